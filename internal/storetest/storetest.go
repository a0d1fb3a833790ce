// Package storetest is the conformance suite every registry store passes:
// the in-memory one used by unit tests and the DynamoDB one, so the fake
// cannot drift from the real thing.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

// NewStore returns a store and a tenant name no other test uses.
type NewStore func(t *testing.T) (registry.SessionStore, string)

// Run runs every conformance test against the store.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, registry.SessionStore, string)
	}{
		{"CreateGet", testCreateGet},
		{"DeadAtDeadline", testDeadAtDeadline},
		{"HeartbeatRotates", testHeartbeatRotates},
		{"HeartbeatRetry", testHeartbeatRetry},
		{"HeartbeatRace", testHeartbeatRace},
		{"Update", testUpdate},
		{"Delete", testDelete},
		{"List", testList},
		{"TenantsAreWalls", testTenantsAreWalls},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, tenant := newStore(t)
			tt.fn(t, s, tenant)
		})
	}
}

// t0 is a fixed start; stores take now as a parameter, so no test sleeps.
var t0 = time.UnixMilli(1_900_000_000_000)

func newSession(t *testing.T, s registry.SessionStore, tenant string, timeout int, now time.Time) *registry.Session {
	t.Helper()
	sess := &registry.Session{
		ID:               registry.NewSessionID(),
		HeartbeatTimeout: timeout,
		Metadata:         registry.Metadata{"host": "db-1"},
		Deadline:         now.Add(time.Duration(timeout) * time.Second),
		Token:            registry.NewToken(),
	}
	if err := s.CreateSession(context.Background(), tenant, sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return sess
}

func mustNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("%s: got %v, want ErrNotFound", what, err)
	}
}

func testCreateGet(t *testing.T, s registry.SessionStore, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s, tenant, 10, t0)
	got, err := s.GetSession(ctx, tenant, sess.ID, t0)
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	if got.ID != sess.ID || got.HeartbeatTimeout != 10 || got.Metadata["host"] != "db-1" ||
		!got.LastSeen.IsZero() || !got.Deadline.Equal(sess.Deadline) || got.Token != sess.Token {
		t.Fatalf("GetSession = %+v, want %+v", got, sess)
	}
	// A retry of the same create (its answer lost) succeeds; another
	// session under a taken id does not.
	if err := s.CreateSession(ctx, tenant, sess); err != nil {
		t.Fatalf("retried CreateSession: %v", err)
	}
	clash := *sess
	clash.Token = registry.NewToken()
	if err := s.CreateSession(ctx, tenant, &clash); !errors.Is(err, registry.ErrExists) {
		t.Fatalf("CreateSession of another session with the same id: got %v, want ErrExists", err)
	}
	_, err = s.GetSession(ctx, tenant, "nosuchsession", t0)
	mustNotFound(t, "GetSession of an unknown id", err)
}

// Dead means dead, at once: at the deadline every read and write fails,
// though nothing has cleaned the session up.
func testDeadAtDeadline(t *testing.T, s registry.SessionStore, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s, tenant, 5, t0)
	justBefore := sess.Deadline.Add(-time.Millisecond)
	if _, err := s.GetSession(ctx, tenant, sess.ID, justBefore); err != nil {
		t.Fatalf("GetSession 1 ms before the deadline: %v", err)
	}
	at := sess.Deadline
	_, err := s.GetSession(ctx, tenant, sess.ID, at)
	mustNotFound(t, "GetSession at the deadline", err)
	_, err = s.Heartbeat(ctx, tenant, sess.ID, sess.Token, registry.NewToken(), at)
	mustNotFound(t, "Heartbeat at the deadline", err)
	timeout := 30
	err = s.UpdateSession(ctx, tenant, sess.ID, registry.SessionInput{HeartbeatTimeout: &timeout}, at)
	mustNotFound(t, "UpdateSession at the deadline", err)
	err = s.DeleteSession(ctx, tenant, sess.ID, at)
	mustNotFound(t, "DeleteSession at the deadline", err)
	page, err := s.ListSessions(ctx, tenant, registry.PageRequest{Limit: 10}, at)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	for _, p := range page.Items {
		if p.ID == sess.ID {
			t.Fatalf("ListSessions at the deadline lists the dead session")
		}
	}
}

func testHeartbeatRotates(t *testing.T, s registry.SessionStore, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s, tenant, 10, t0)
	now := t0.Add(8 * time.Second)
	next := registry.NewToken()
	got, err := s.Heartbeat(ctx, tenant, sess.ID, sess.Token, next, now)
	if err != nil || got != next {
		t.Fatalf("Heartbeat = %q, %v; want the new token", got, err)
	}
	read, err := s.GetSession(ctx, tenant, sess.ID, now)
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	if !read.LastSeen.Equal(now) || !read.Deadline.Equal(now.Add(10*time.Second)) {
		t.Fatalf("after heartbeat last_seen=%v deadline=%v, want %v and %v",
			read.LastSeen, read.Deadline, now, now.Add(10*time.Second))
	}
	// Alive past the creation deadline because of the heartbeat.
	if _, err := s.GetSession(ctx, tenant, sess.ID, t0.Add(15*time.Second)); err != nil {
		t.Fatalf("GetSession after the first deadline: %v", err)
	}
	// The next heartbeat needs the new token; a made-up one fails.
	if _, err := s.Heartbeat(ctx, tenant, sess.ID, "made-up", registry.NewToken(), now); !errors.Is(err, registry.ErrInvalidToken) {
		t.Fatalf("Heartbeat with an unknown token: got %v, want ErrInvalidToken", err)
	}
	third := registry.NewToken()
	if got, err := s.Heartbeat(ctx, tenant, sess.ID, next, third, now.Add(time.Second)); err != nil || got != third {
		t.Fatalf("second Heartbeat = %q, %v", got, err)
	}
	// The first token is now two behind: rejected.
	if _, err := s.Heartbeat(ctx, tenant, sess.ID, sess.Token, registry.NewToken(), now.Add(2*time.Second)); !errors.Is(err, registry.ErrInvalidToken) {
		t.Fatalf("Heartbeat with a token two behind: got %v, want ErrInvalidToken", err)
	}
}

// A retry presenting the token just replaced gets the current token back and
// still extends the deadline.
func testHeartbeatRetry(t *testing.T, s registry.SessionStore, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s, tenant, 10, t0)
	next := registry.NewToken()
	if _, err := s.Heartbeat(ctx, tenant, sess.ID, sess.Token, next, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	retryAt := t0.Add(9 * time.Second)
	got, err := s.Heartbeat(ctx, tenant, sess.ID, sess.Token, registry.NewToken(), retryAt)
	if err != nil || got != next {
		t.Fatalf("retried Heartbeat = %q, %v; want the current token %q", got, err, next)
	}
	read, err := s.GetSession(ctx, tenant, sess.ID, retryAt)
	if err != nil {
		t.Fatal(err)
	}
	if !read.Deadline.Equal(retryAt.Add(10*time.Second)) || read.Token != next {
		t.Fatalf("after the retry deadline=%v token=%q; want %v and %q", read.Deadline, read.Token, retryAt.Add(10*time.Second), next)
	}
}

// Concurrent heartbeats presenting the same token never leave two different
// valid tokens: every winner holds the one current token.
func testHeartbeatRace(t *testing.T, s registry.SessionStore, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s, tenant, 60, t0)
	const n = 8
	results := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = s.Heartbeat(ctx, tenant, sess.ID, sess.Token, fmt.Sprintf("next-%d-%s", i, registry.NewToken()), t0.Add(time.Second))
		})
	}
	wg.Wait()
	read, err := s.GetSession(ctx, tenant, sess.ID, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("heartbeat %d: %v", i, errs[i])
		}
		if results[i] != read.Token {
			t.Fatalf("heartbeat %d was given %q but the current token is %q", i, results[i], read.Token)
		}
	}
}

func testUpdate(t *testing.T, s registry.SessionStore, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s, tenant, 10, t0)
	timeout := 90
	if err := s.UpdateSession(ctx, tenant, sess.ID, registry.SessionInput{HeartbeatTimeout: &timeout}, t0); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetSession(ctx, tenant, sess.ID, t0)
	if got.HeartbeatTimeout != 90 || got.Metadata["host"] != "db-1" {
		t.Fatalf("after updating the timeout: %+v", got)
	}
	md := registry.Metadata{"role": "primary"}
	if err := s.UpdateSession(ctx, tenant, sess.ID, registry.SessionInput{Metadata: md, HasMetadata: true}, t0); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetSession(ctx, tenant, sess.ID, t0)
	if got.HeartbeatTimeout != 90 || len(got.Metadata) != 1 || got.Metadata["role"] != "primary" {
		t.Fatalf("after replacing the metadata: %+v", got)
	}
	// The new timeout applies from the next heartbeat on.
	if _, err := s.Heartbeat(ctx, tenant, sess.ID, sess.Token, registry.NewToken(), t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, tenant, sess.ID, t0.Add(60*time.Second)); err != nil {
		t.Fatalf("the new 90 s timeout did not apply: %v", err)
	}
	err := s.UpdateSession(ctx, tenant, "nosuchsession", registry.SessionInput{HeartbeatTimeout: &timeout}, t0)
	mustNotFound(t, "UpdateSession of an unknown id", err)
}

func testDelete(t *testing.T, s registry.SessionStore, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s, tenant, 10, t0)
	if err := s.DeleteSession(ctx, tenant, sess.ID, t0); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetSession(ctx, tenant, sess.ID, t0)
	mustNotFound(t, "GetSession after delete", err)
	mustNotFound(t, "second DeleteSession", s.DeleteSession(ctx, tenant, sess.ID, t0))
}

// Pages follow each other without gaps or repeats, and dead sessions in the
// middle of the range are skipped without shortening a page.
func testList(t *testing.T, s registry.SessionStore, tenant string) {
	ctx := context.Background()
	live := map[string]bool{}
	for i := range 7 {
		timeout := 60
		if i%3 == 0 {
			timeout = 5 // dead by the time we list
		}
		sess := newSession(t, s, tenant, timeout, t0)
		if timeout == 60 {
			live[sess.ID] = true
		}
	}
	now := t0.Add(10 * time.Second)
	seen := map[string]bool{}
	var last string
	req := registry.PageRequest{Limit: 2}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("too many pages")
		}
		page, err := s.ListSessions(ctx, tenant, req, now)
		if err != nil {
			t.Fatal(err)
		}
		if page.Next != "" && len(page.Items) != req.Limit {
			t.Fatalf("a page before the last has %d items, want %d", len(page.Items), req.Limit)
		}
		for _, sess := range page.Items {
			if !live[sess.ID] || seen[sess.ID] || sess.ID <= last {
				t.Fatalf("unexpected %q in page (live=%v seen=%v last=%q)", sess.ID, live[sess.ID], seen[sess.ID], last)
			}
			seen[sess.ID], last = true, sess.ID
		}
		if page.Next == "" {
			break
		}
		if page.Next <= last {
			t.Fatalf("next marker %q does not follow %q", page.Next, last)
		}
		req.Marker = page.Next
	}
	if len(seen) != len(live) {
		t.Fatalf("listed %d live sessions, want %d", len(seen), len(live))
	}
}

func testTenantsAreWalls(t *testing.T, s registry.SessionStore, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s, tenant, 10, t0)
	other := tenant + "-other"
	_, err := s.GetSession(ctx, other, sess.ID, t0)
	mustNotFound(t, "GetSession from another tenant", err)
	_, err = s.Heartbeat(ctx, other, sess.ID, sess.Token, registry.NewToken(), t0)
	mustNotFound(t, "Heartbeat from another tenant", err)
	mustNotFound(t, "DeleteSession from another tenant", s.DeleteSession(ctx, other, sess.ID, t0))
	page, err := s.ListSessions(ctx, other, registry.PageRequest{Limit: 100}, t0)
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("ListSessions of another tenant = %d items, %v", len(page.Items), err)
	}
}
