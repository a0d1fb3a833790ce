package registry

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"time"
)

// Heartbeat timeouts are whole seconds within these bounds.
const (
	MinHeartbeatTimeout = 3
	MaxHeartbeatTimeout = 120
)

// Session is a client-held context that must be heartbeated. It is dead the
// instant Deadline passes, whether or not anything has cleaned it up yet.
type Session struct {
	ID               string
	HeartbeatTimeout int // seconds
	Metadata         Metadata
	// LastSeen is the time of the last accepted heartbeat; zero before the first.
	LastSeen time.Time
	// Deadline is LastSeen (or creation) + HeartbeatTimeout.
	Deadline time.Time
	// Token is the heartbeat token the next heartbeat must present.
	Token string
}

// AliveAt reports whether the session is still alive at now.
func (s *Session) AliveAt(now time.Time) bool { return now.Before(s.Deadline) }

// SessionInput is what a client may set on a session. On update a nil field
// is left as it is.
type SessionInput struct {
	HeartbeatTimeout *int
	Metadata         Metadata
	HasMetadata      bool
}

// ValidateCreate checks the input of POST /sessions.
func (in SessionInput) ValidateCreate() error {
	if in.HeartbeatTimeout == nil {
		return Errorf(KindInvalid, "heartbeat_timeout is required.")
	}
	return in.validateFields()
}

// ValidateUpdate checks the input of PUT /sessions/{id}.
func (in SessionInput) ValidateUpdate() error {
	if in.HeartbeatTimeout == nil && !in.HasMetadata {
		return Errorf(KindInvalid, "Nothing to update: give heartbeat_timeout and/or metadata.")
	}
	return in.validateFields()
}

func (in SessionInput) validateFields() error {
	if t := in.HeartbeatTimeout; t != nil && (*t < MinHeartbeatTimeout || *t > MaxHeartbeatTimeout) {
		return Errorf(KindInvalid, "heartbeat_timeout must be an integer from %d to %d seconds.",
			MinHeartbeatTimeout, MaxHeartbeatTimeout)
	}
	if in.HasMetadata {
		return in.Metadata.Validate()
	}
	return nil
}

// Session ids are 12 characters of lowercase base32: 60 random bits, within
// the 15-character limit, and safe in URLs and DynamoDB keys.
const sessionIDLength = 12

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewSessionID returns a fresh random session id.
func NewSessionID() string {
	b := make([]byte, 8) // 64 bits encode to 13 characters; 12 keep 60 of them
	rand.Read(b)
	return idEncoding.EncodeToString(b)[:sessionIDLength]
}

// NewToken returns a fresh heartbeat token: 256 random bits, URL-safe.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ValidSessionID reports whether id has the shape of a session id, so that
// lookups of ids that cannot exist fail fast and never reach the store.
func ValidSessionID(id string) bool {
	if len(id) < 1 || len(id) > 15 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
