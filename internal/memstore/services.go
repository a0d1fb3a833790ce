package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

var (
	_ registry.ServiceStore = (*Store)(nil)
	_ registry.AccountStore = (*Store)(nil)
)

func (s *Store) tenantServices(tenant string) map[string]*registry.Service {
	m := s.services[tenant]
	if m == nil {
		m = map[string]*registry.Service{}
		s.services[tenant] = m
	}
	return m
}

// liveService returns the service if it exists and its session is alive.
func (s *Store) liveService(tenant, id string, now time.Time) (*registry.Service, error) {
	svc, ok := s.tenantServices(tenant)[id]
	if !ok {
		return nil, registry.NotFound("service", id)
	}
	if _, err := s.live(tenant, svc.SessionID, now); err != nil {
		return nil, registry.NotFound("service", id)
	}
	return svc, nil
}

func (s *Store) CreateService(_ context.Context, tenant string, in *registry.Service, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.live(tenant, in.SessionID, now); err != nil {
		return registry.NotFound("session", in.SessionID)
	}
	m := s.tenantServices(tenant)
	if _, ok := m[in.ID]; ok {
		return &registry.Error{Kind: registry.KindExists, Message: "A service with this id already exists.",
			Details: "service " + in.ID}
	}
	if err := s.quota.take(tenant, registry.ResourceService); err != nil {
		return err
	}
	in.Version = 1
	in.Tags = registry.DedupTags(in.Tags)
	c := copyService(in)
	m[in.ID] = &c
	return nil
}

func (s *Store) GetService(_ context.Context, tenant, id string, now time.Time) (*registry.Service, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, err := s.liveService(tenant, id, now)
	if err != nil {
		return nil, err
	}
	c := copyService(svc)
	return &c, nil
}

func (s *Store) ListServices(_ context.Context, tenant, tag string, page registry.PageRequest, now time.Time) (registry.Page[*registry.Service], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, svc := range s.tenantServices(tenant) {
		if id < page.Marker || (tag != "" && !slices.Contains(svc.Tags, tag)) {
			continue
		}
		if _, err := s.live(tenant, svc.SessionID, now); err == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out registry.Page[*registry.Service]
	for i, id := range ids {
		if i == page.Limit {
			out.Next = id
			break
		}
		c := copyService(s.services[tenant][id])
		out.Items = append(out.Items, &c)
	}
	return out, nil
}

func (s *Store) UpdateService(_ context.Context, tenant, id string, in registry.ServiceInput, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, err := s.liveService(tenant, id, now)
	if err != nil {
		return err
	}
	if in.HasTags {
		svc.Tags = registry.DedupTags(in.Tags)
	}
	if in.HasMetadata {
		svc.Metadata = maps(in.Metadata)
	}
	svc.Version++
	return nil
}

func (s *Store) DeleteService(_ context.Context, tenant, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.liveService(tenant, id, now); err != nil {
		return err
	}
	delete(s.services[tenant], id)
	s.quota.give(tenant, registry.ResourceService, 1)
	return nil
}

func (s *Store) Overview(_ context.Context, tenant string, page registry.PageRequest, now time.Time) (registry.Page[*registry.SessionOverview], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, next := s.liveSessionPage(tenant, page, now)
	out := registry.Page[*registry.SessionOverview]{Next: next}
	for _, id := range ids {
		c := copySession(&s.sessions[tenant][id].Session)
		ov := &registry.SessionOverview{Session: &c}
		for _, svc := range s.tenantServices(tenant) {
			if svc.SessionID == id {
				sc := copyService(svc)
				ov.Services = append(ov.Services, &sc)
			}
		}
		slices.SortFunc(ov.Services, func(a, b *registry.Service) int { return strings.Compare(a.ID, b.ID) })
		out.Items = append(out.Items, ov)
	}
	return out, nil
}

func copyService(in *registry.Service) registry.Service {
	out := *in
	out.Tags = slices.Clone(in.Tags)
	if out.Tags == nil {
		out.Tags = []string{}
	}
	out.Metadata = maps(in.Metadata)
	return out
}
