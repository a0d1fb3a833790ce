// Package memstore is an in-memory registry store for unit tests of the
// layers above storage. The conformance suite in storetest holds it to the
// same behaviour as the DynamoDB store.
package memstore

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

type session struct {
	registry.Session
	prevToken string
}

// Store is safe for concurrent use.
type Store struct {
	mu       sync.Mutex
	sessions map[string]map[string]*session             // tenant → id → session
	services map[string]map[string]*registry.Service    // tenant → id → service
	config   map[string]map[string]registry.ConfigValue // tenant → id → value
	quota    quota
	rates    map[string]*counter // tenant → request counter
}

var (
	_ registry.SessionStore = (*Store)(nil)
	_ registry.RateLimiter  = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{
		sessions: map[string]map[string]*session{},
		services: map[string]map[string]*registry.Service{},
		config:   map[string]map[string]registry.ConfigValue{},
	}
}

func (s *Store) tenant(t string) map[string]*session {
	m := s.sessions[t]
	if m == nil {
		m = map[string]*session{}
		s.sessions[t] = m
	}
	return m
}

// live returns the session if it exists and is alive at now.
func (s *Store) live(tenant, id string, now time.Time) (*session, error) {
	ss, ok := s.tenant(tenant)[id]
	if !ok || !ss.AliveAt(now) {
		return nil, registry.NotFound("session", id)
	}
	return ss, nil
}

func (s *Store) CreateSession(_ context.Context, tenant string, in *registry.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.tenant(tenant)
	if old, ok := m[in.ID]; ok {
		if old.Token == in.Token {
			return nil // a retry of this very create
		}
		return registry.ErrExists
	}
	if err := s.quota.take(tenant, registry.ResourceSession); err != nil {
		return err
	}
	m[in.ID] = &session{Session: copySession(in)}
	return nil
}

func (s *Store) GetSession(_ context.Context, tenant, id string, now time.Time) (*registry.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.live(tenant, id, now)
	if err != nil {
		return nil, err
	}
	out := copySession(&ss.Session)
	return &out, nil
}

func (s *Store) ListSessions(_ context.Context, tenant string, page registry.PageRequest, now time.Time) (registry.Page[*registry.Session], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, next := s.liveSessionPage(tenant, page, now)
	out := registry.Page[*registry.Session]{Next: next}
	for _, id := range ids {
		c := copySession(&s.sessions[tenant][id].Session)
		out.Items = append(out.Items, &c)
	}
	return out, nil
}

// liveSessionPage returns the ids of one page of the tenant's live sessions,
// in order, and the id that starts the next page ("" on the last).
func (s *Store) liveSessionPage(tenant string, page registry.PageRequest, now time.Time) (ids []string, next string) {
	for id, ss := range s.tenant(tenant) {
		if id >= page.Marker && ss.AliveAt(now) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) > page.Limit {
		return ids[:page.Limit], ids[page.Limit]
	}
	return ids, ""
}

func (s *Store) UpdateSession(_ context.Context, tenant, id string, in registry.SessionInput, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.live(tenant, id, now)
	if err != nil {
		return err
	}
	if in.HeartbeatTimeout != nil {
		ss.HeartbeatTimeout = *in.HeartbeatTimeout
	}
	if in.HasMetadata {
		ss.Metadata = maps(in.Metadata)
	}
	return nil
}

func (s *Store) Heartbeat(_ context.Context, tenant, id, token, next string, now time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.live(tenant, id, now)
	if err != nil {
		return "", err
	}
	switch token {
	case ss.Token:
		ss.prevToken, ss.Token = ss.Token, next
	case ss.prevToken:
		// A retry of a heartbeat whose answer was lost: extend, keep the token.
	default:
		return "", registry.ErrInvalidToken
	}
	ss.LastSeen = now
	ss.Deadline = now.Add(time.Duration(ss.HeartbeatTimeout) * time.Second)
	return ss.Token, nil
}

func (s *Store) DeleteSession(_ context.Context, tenant, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.live(tenant, id, now); err != nil {
		return err
	}
	for sid, svc := range s.services[tenant] {
		if svc.SessionID == id {
			delete(s.services[tenant], sid)
			s.quota.give(tenant, registry.ResourceService, 1)
		}
	}
	delete(s.sessions[tenant], id)
	s.quota.give(tenant, registry.ResourceSession, 1)
	return nil
}

func copySession(in *registry.Session) registry.Session {
	out := *in
	out.Metadata = maps(in.Metadata)
	return out
}

func maps(m registry.Metadata) registry.Metadata {
	out := make(registry.Metadata, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
