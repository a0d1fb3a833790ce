package registry

import (
	"context"
	"time"
)

// SessionStore keeps sessions. Every method takes the caller's notion of now,
// so expiry is decided by one clock and tested without sleeping. A session
// whose deadline is not after now is dead: every method treats it as absent.
//
// Errors match ErrNotFound (absent or dead), ErrInvalidToken (a heartbeat
// token that is neither current nor just replaced) or ErrUnavailable.
type SessionStore interface {
	// CreateSession stores s; s.Deadline and s.Token must already be set.
	// It is idempotent: storing the same session again (a retry whose first
	// answer was lost) succeeds, while another session under a taken id
	// fails with ErrExists.
	CreateSession(ctx context.Context, tenant string, s *Session) error
	GetSession(ctx context.Context, tenant, id string, now time.Time) (*Session, error)
	ListSessions(ctx context.Context, tenant string, page PageRequest, now time.Time) (Page[*Session], error)
	UpdateSession(ctx context.Context, tenant, id string, in SessionInput, now time.Time) error
	// Heartbeat accepts token if it is the current one (rotating it to
	// next) or the one just replaced (a retry: the current token stays).
	// Either way the deadline moves to now + the heartbeat timeout, and the
	// token now current is returned.
	Heartbeat(ctx context.Context, tenant, id, token, next string, now time.Time) (string, error)
	// DeleteSession removes a live session and everything it holds.
	DeleteSession(ctx context.Context, tenant, id string, now time.Time) error
}

// ServiceStore keeps services. A service is visible only while its session
// is alive: at the session's deadline its services vanish from every read,
// whether or not anything has cleaned them up.
//
// Errors match ErrNotFound (the service, or for CreateService the session,
// is absent or dead), ErrExists (the id is taken), ErrLimitReached or
// ErrUnavailable.
type ServiceStore interface {
	CreateService(ctx context.Context, tenant string, svc *Service, now time.Time) error
	GetService(ctx context.Context, tenant, id string, now time.Time) (*Service, error)
	// ListServices lists live services by id; a non-empty tag keeps only
	// the services carrying it.
	ListServices(ctx context.Context, tenant, tag string, page PageRequest, now time.Time) (Page[*Service], error)
	UpdateService(ctx context.Context, tenant, id string, in ServiceInput, now time.Time) error
	DeleteService(ctx context.Context, tenant, id string, now time.Time) error
}

// AccountStore answers questions about a tenant's whole account.
type AccountStore interface {
	// Overview lists live sessions by id, each with its services.
	Overview(ctx context.Context, tenant string, page PageRequest, now time.Time) (Page[*SessionOverview], error)
	// Limits reports the tenant's usage and limit of every resource.
	Limits(ctx context.Context, tenant string) (map[Resource]Usage, error)
}

// SessionOverview is a session with the services it holds.
type SessionOverview struct {
	Session  *Session
	Services []*Service
}

// ConfigStore keeps configuration values.
//
// Errors match ErrNotFound, ErrConflict (a Precondition did not hold),
// ErrLimitReached or ErrUnavailable.
type ConfigStore interface {
	// PutConfig sets the value of id, creating it if need be, and returns
	// the value as stored (with its new version).
	PutConfig(ctx context.Context, tenant, id, value string, pre Precondition) (*ConfigValue, error)
	GetConfig(ctx context.Context, tenant, id string) (*ConfigValue, error)
	// ListConfig lists values by id; a non-empty namespace ("/a/b/") keeps
	// only the values under it and its sub-namespaces.
	ListConfig(ctx context.Context, tenant, namespace string, page PageRequest) (Page[*ConfigValue], error)
	DeleteConfig(ctx context.Context, tenant, id string, pre Precondition) error
}
