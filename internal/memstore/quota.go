package memstore

import (
	"context"

	"github.com/service-registry/registry/internal/registry"
)

// quota counts a tenant's objects against its limits, like the DynamoDB
// store's quota item. Callers hold the store's mutex.
type quota struct {
	used   map[string]map[registry.Resource]int // tenant → resource → count
	limits map[string]map[registry.Resource]int // tenant → resource → override
}

func (q *quota) limit(tenant string, r registry.Resource) int {
	if n, ok := q.limits[tenant][r]; ok {
		return n
	}
	return registry.DefaultLimits[r]
}

// take counts one more r, or fails if the tenant's limit is reached.
func (q *quota) take(tenant string, r registry.Resource) error {
	if q.used == nil {
		q.used = map[string]map[registry.Resource]int{}
	}
	if q.used[tenant] == nil {
		q.used[tenant] = map[registry.Resource]int{}
	}
	limit := q.limit(tenant, r)
	if q.used[tenant][r] >= limit {
		return registry.LimitReached(r, limit)
	}
	q.used[tenant][r]++
	return nil
}

// give returns n of r.
func (q *quota) give(tenant string, r registry.Resource, n int) {
	if q.used[tenant] != nil {
		q.used[tenant][r] -= n
	}
}

// SetLimit overrides the tenant's limit of r.
func (s *Store) SetLimit(_ context.Context, tenant string, r registry.Resource, limit int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quota.limits == nil {
		s.quota.limits = map[string]map[registry.Resource]int{}
	}
	if s.quota.limits[tenant] == nil {
		s.quota.limits[tenant] = map[registry.Resource]int{}
	}
	s.quota.limits[tenant][r] = limit
	return nil
}

// Limits returns the tenant's usage and limit of every resource.
func (s *Store) Limits(_ context.Context, tenant string) (map[registry.Resource]registry.Usage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[registry.Resource]registry.Usage{}
	for _, r := range registry.Resources {
		out[r] = registry.Usage{Used: s.quota.used[tenant][r], Limit: s.quota.limit(tenant, r)}
	}
	return out, nil
}
