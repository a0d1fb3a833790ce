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
