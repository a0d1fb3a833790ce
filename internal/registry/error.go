// Package registry holds the domain of the Service Registry: its objects, the
// rules they obey, and the errors every layer speaks.
package registry

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error so the HTTP layer can map it to a status and a
// fault type without knowing where it came from.
type Kind string

const (
	KindInvalid       Kind = "invalid"       // input fails its rules
	KindInvalidLimit  Kind = "invalidLimit"  // a bad page size
	KindNotFound      Kind = "notFound"      // the object does not exist (or is dead)
	KindExists        Kind = "exists"        // the id is already taken
	KindLimitReached  Kind = "limitReached"  // a per-tenant quota is used up
	KindPrecondition  Kind = "precondition"  // If-Match / If-None-Match did not hold
	KindUnauthorized  Kind = "unauthorized"  // no or unknown credentials
	KindForbidden     Kind = "forbidden"     // valid credentials, wrong tenant
	KindTooLarge      Kind = "tooLarge"      // request body over the limit
	KindNotAllowed    Kind = "notAllowed"    // method not allowed on the route
	KindUnavailable   Kind = "unavailable"   // the store failed or throttled after retries
	KindInternal      Kind = "internal"      // a bug
	KindRateLimited   Kind = "rateLimited"   // too many requests
	KindRouteNotFound Kind = "routeNotFound" // no such route
)

// Error is the one error type of the domain. Message is safe to show to a
// client; Err is the internal cause, logged but never sent.
type Error struct {
	Kind    Kind
	Message string
	// Details, when set, names the object the error is about (for example
	// "session abc"); it becomes the fault's details field.
	Details string
	// RetryAfter, when positive, is how long the client should wait before
	// trying again (the Retry-After header).
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) and friends match any *Error of the
// same kind, so sentinel checks work on errors that carry details.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Details == "" && t.Err == nil && t.Kind == e.Kind
}

// Sentinels for errors.Is. Stores return errors that match these.
var (
	ErrNotFound     = &Error{Kind: KindNotFound}
	ErrExists       = &Error{Kind: KindExists}
	ErrConflict     = &Error{Kind: KindPrecondition}
	ErrInvalid      = &Error{Kind: KindInvalid}
	ErrUnavailable  = &Error{Kind: KindUnavailable}
	ErrLimitReached = &Error{Kind: KindLimitReached}

	// ErrInvalidToken is a heartbeat token that is neither the current one
	// nor the one it just replaced.
	ErrInvalidToken = &Error{Kind: KindInvalid, Message: "The heartbeat token is not valid for this session."}
)

// Errorf builds an *Error of the given kind with a client-safe message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports that an object of the given kind and id does not exist.
func NotFound(objectKind, id string) *Error {
	return &Error{
		Kind:    KindNotFound,
		Message: fmt.Sprintf("The %s does not exist.", objectKind),
		Details: fmt.Sprintf("%s %s", objectKind, id),
	}
}

// Unavailable wraps a store failure: the client sees a generic message, the
// cause is kept for the log.
func Unavailable(cause error) *Error {
	return &Error{Kind: KindUnavailable, Message: "The backing store is unavailable; try again.", Err: cause}
}

// KindOf returns the kind of err, KindInternal for anything that is not an
// *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}
