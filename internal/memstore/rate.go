package memstore

import (
	"context"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

// counter is a tenant's request counter, like the DynamoDB store's RATE item.
type counter struct {
	day     string
	used, n int
	sec     int64
	limits  registry.RequestLimits
}

func (s *Store) counter(tenant string) *counter {
	if s.rates == nil {
		s.rates = map[string]*counter{}
	}
	c := s.rates[tenant]
	if c == nil {
		c = &counter{limits: registry.DefaultRequestLimits}
		s.rates[tenant] = c
	}
	return c
}

// TakeRequest counts one request of tenant, or answers KindRateLimited.
func (s *Store) TakeRequest(_ context.Context, tenant string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counter(tenant)
	day, sec := registry.UTCDay(now), now.Unix()
	if c.day < day {
		c.day, c.used, c.sec, c.n = day, 0, sec, 0
	}
	if c.used >= c.limits.PerDay {
		return registry.RateLimitedPerDay(c.limits.PerDay, now)
	}
	if c.sec < sec {
		c.sec, c.n = sec, 0
	}
	if c.n >= c.limits.PerSecond {
		return registry.RateLimitedPerSecond(c.limits.PerSecond, now)
	}
	c.used++
	c.n++
	return nil
}

// RequestUsage reports the requests counted on now's UTC day.
func (s *Store) RequestUsage(_ context.Context, tenant string, now time.Time) (registry.RequestUsage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counter(tenant)
	u := registry.RequestUsage{Limits: c.limits}
	if c.day == registry.UTCDay(now) {
		u.Used = c.used
	}
	return u, nil
}

// SetRequestLimits overrides the tenant's request limits; nil keeps a value.
func (s *Store) SetRequestLimits(_ context.Context, tenant string, perDay, perSecond *int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counter(tenant)
	if perDay != nil {
		c.limits.PerDay = *perDay
	}
	if perSecond != nil {
		c.limits.PerSecond = *perSecond
	}
	return nil
}
