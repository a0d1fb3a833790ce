package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/service-registry/registry/internal/registry"
)

var _ registry.ConfigStore = (*Store)(nil)

// configOf returns the tenant's values. Callers hold the mutex.
func (s *Store) configOf(tenant string) map[string]registry.ConfigValue {
	m := s.config[tenant]
	if m == nil {
		m = map[string]registry.ConfigValue{}
		s.config[tenant] = m
	}
	return m
}

func (s *Store) PutConfig(_ context.Context, tenant, id, value string, pre registry.Precondition) (*registry.ConfigValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	values := s.configOf(tenant)
	cur, exists := values[id]
	switch {
	case pre.IfNoneMatch && exists:
		return nil, registry.ConfigExists(id)
	case pre.IfExists && !exists, pre.IfMatch != nil && (!exists || cur.Version != *pre.IfMatch):
		return nil, registry.ConfigMismatch(id)
	case !exists:
		if err := s.quota.take(tenant, registry.ResourceConfigurationValue); err != nil {
			return nil, err
		}
		cur = registry.ConfigValue{ID: id}
	}
	cur.Value = value
	cur.Version++
	values[id] = cur
	return &cur, nil
}

func (s *Store) GetConfig(_ context.Context, tenant, id string) (*registry.ConfigValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.configOf(tenant)[id]
	if !ok {
		return nil, registry.NotFound("configuration value", id)
	}
	return &v, nil
}

func (s *Store) ListConfig(_ context.Context, tenant, namespace string, page registry.PageRequest) (registry.Page[*registry.ConfigValue], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	values := s.configOf(tenant)
	var ids []string
	for id := range values {
		if strings.HasPrefix(id, namespace) && id >= page.Marker {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out registry.Page[*registry.ConfigValue]
	for i, id := range ids {
		if i == page.Limit {
			out.Next = id
			break
		}
		v := values[id]
		out.Items = append(out.Items, &v)
	}
	return out, nil
}

func (s *Store) DeleteConfig(_ context.Context, tenant, id string, pre registry.Precondition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	values := s.configOf(tenant)
	cur, exists := values[id]
	switch {
	case !exists:
		return registry.NotFound("configuration value", id)
	case pre.IfMatch != nil && cur.Version != *pre.IfMatch:
		return registry.ConfigMismatch(id)
	}
	delete(values, id)
	s.quota.give(tenant, registry.ResourceConfigurationValue, 1)
	return nil
}
