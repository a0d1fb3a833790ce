package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

// Stores is what the services suite needs of a store.
type Stores struct {
	Sessions registry.SessionStore
	Services registry.ServiceStore
	Account  registry.AccountStore
	// SetLimit overrides a tenant's limit of a resource.
	SetLimit func(ctx context.Context, tenant string, r registry.Resource, limit int) error
}

// NewStores returns the stores and a tenant name no other test uses.
type NewStores func(t *testing.T) (Stores, string)

// RunServices runs the conformance tests of services, the overview and the
// per-tenant limits.
func RunServices(t *testing.T, newStores NewStores) {
	tests := []struct {
		name string
		fn   func(*testing.T, Stores, string)
	}{
		{"CreateGet", testServiceCreateGet},
		{"VanishWithSession", testServicesVanishWithSession},
		{"UpdateDelete", testServiceUpdateDelete},
		{"ListByTag", testServiceListByTag},
		{"CloseSession", testCloseSession},
		{"Overview", testOverview},
		{"LimitsHoldUnderConcurrency", testLimitsUnderConcurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, tenant := newStores(t)
			tt.fn(t, s, tenant)
		})
	}
}

func newService(t *testing.T, s Stores, tenant, id, sessionID string, now time.Time, tags ...string) *registry.Service {
	t.Helper()
	svc := &registry.Service{ID: id, SessionID: sessionID, Tags: tags, Metadata: registry.Metadata{"port": "5432"}}
	if err := s.Services.CreateService(context.Background(), tenant, svc, now); err != nil {
		t.Fatalf("CreateService %s: %v", id, err)
	}
	return svc
}

func usage(t *testing.T, s Stores, tenant string, r registry.Resource) int {
	t.Helper()
	u, err := s.Account.Limits(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return u[r].Used
}

func testServiceCreateGet(t *testing.T, s Stores, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s.Sessions, tenant, 30, t0)
	newService(t, s, tenant, "db.primary", sess.ID, t0, "mysql", "primary", "mysql")
	got, err := s.Services.GetService(ctx, tenant, "db.primary", t0)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "db.primary" || got.SessionID != sess.ID || !slices.Equal(got.Tags, []string{"mysql", "primary"}) ||
		got.Metadata["port"] != "5432" || got.Version != 1 {
		t.Fatalf("GetService = %+v", got)
	}
	if n := usage(t, s, tenant, registry.ResourceService); n != 1 {
		t.Fatalf("service usage = %d, want 1", n)
	}
	err = s.Services.CreateService(ctx, tenant, &registry.Service{ID: "db.primary", SessionID: sess.ID}, t0)
	if !errors.Is(err, registry.ErrExists) {
		t.Fatalf("CreateService with a taken id: %v, want ErrExists", err)
	}
	err = s.Services.CreateService(ctx, tenant, &registry.Service{ID: "orphan", SessionID: "nosuchsession"}, t0)
	mustNotFound(t, "CreateService on an unknown session", err)
	if n := usage(t, s, tenant, registry.ResourceService); n != 1 {
		t.Fatalf("failed creates changed the usage to %d", n)
	}
	_, err = s.Services.GetService(ctx, tenant+"-other", "db.primary", t0)
	mustNotFound(t, "GetService from another tenant", err)
}

// Dead means dead, at once: at the session's deadline its services vanish
// from every read and write, though nothing cleaned them up.
func testServicesVanishWithSession(t *testing.T, s Stores, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s.Sessions, tenant, 5, t0)
	newService(t, s, tenant, "web-1", sess.ID, t0, "web")
	at := sess.Deadline
	_, err := s.Services.GetService(ctx, tenant, "web-1", at)
	mustNotFound(t, "GetService at the session's deadline", err)
	for _, tag := range []string{"", "web"} {
		page, err := s.Services.ListServices(ctx, tenant, tag, registry.PageRequest{Limit: 10}, at)
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("ListServices(tag=%q) at the deadline = %d items, %v", tag, len(page.Items), err)
		}
	}
	mustNotFound(t, "UpdateService at the deadline",
		s.Services.UpdateService(ctx, tenant, "web-1", registry.ServiceInput{Tags: []string{"x"}, HasTags: true}, at))
	mustNotFound(t, "DeleteService at the deadline", s.Services.DeleteService(ctx, tenant, "web-1", at))
	err = s.Services.CreateService(ctx, tenant, &registry.Service{ID: "web-2", SessionID: sess.ID}, at)
	mustNotFound(t, "CreateService on a dead session", err)
}

func testServiceUpdateDelete(t *testing.T, s Stores, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s.Sessions, tenant, 30, t0)
	newService(t, s, tenant, "api-1", sess.ID, t0, "api", "blue")
	err := s.Services.UpdateService(ctx, tenant, "api-1", registry.ServiceInput{Tags: []string{"api", "green"}, HasTags: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Services.GetService(ctx, tenant, "api-1", t0)
	if !slices.Equal(got.Tags, []string{"api", "green"}) || got.Metadata["port"] != "5432" || got.Version != 2 {
		t.Fatalf("after updating tags: %+v", got)
	}
	// The tag lists follow the update.
	for tag, want := range map[string]int{"blue": 0, "green": 1, "api": 1} {
		page, err := s.Services.ListServices(ctx, tenant, tag, registry.PageRequest{Limit: 10}, t0)
		if err != nil || len(page.Items) != want {
			t.Fatalf("ListServices(tag=%q) = %d items, %v; want %d", tag, len(page.Items), err, want)
		}
		if want == 1 && page.Items[0].Version != 2 {
			t.Fatalf("ListServices(tag=%q) shows a stale copy: %+v", tag, page.Items[0])
		}
	}
	err = s.Services.UpdateService(ctx, tenant, "api-1", registry.ServiceInput{Metadata: registry.Metadata{"zone": "a"}, HasMetadata: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = s.Services.GetService(ctx, tenant, "api-1", t0)
	if len(got.Metadata) != 1 || got.Metadata["zone"] != "a" || !slices.Equal(got.Tags, []string{"api", "green"}) {
		t.Fatalf("after replacing metadata: %+v", got)
	}
	if err := s.Services.DeleteService(ctx, tenant, "api-1", t0); err != nil {
		t.Fatal(err)
	}
	_, err = s.Services.GetService(ctx, tenant, "api-1", t0)
	mustNotFound(t, "GetService after delete", err)
	mustNotFound(t, "second DeleteService", s.Services.DeleteService(ctx, tenant, "api-1", t0))
	page, err := s.Services.ListServices(ctx, tenant, "green", registry.PageRequest{Limit: 10}, t0)
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("tag list after delete: %d items, %v", len(page.Items), err)
	}
	if n := usage(t, s, tenant, registry.ResourceService); n != 0 {
		t.Fatalf("service usage after delete = %d", n)
	}
	// The id is free again.
	newService(t, s, tenant, "api-1", sess.ID, t0)
}

// Filtering by tag and dropping dead sessions' services never shortens a
// page before the last, and pages never overlap or skip.
func testServiceListByTag(t *testing.T, s Stores, tenant string) {
	ctx := context.Background()
	alive := newSession(t, s.Sessions, tenant, 60, t0)
	dying := newSession(t, s.Sessions, tenant, 5, t0)
	want := map[string]bool{}
	for i := range 9 {
		id := fmt.Sprintf("svc-%02d", i)
		switch {
		case i%3 == 0:
			newService(t, s, tenant, id, dying.ID, t0, "web") // dead when listed
		case i%3 == 1:
			newService(t, s, tenant, id, alive.ID, t0, "web", "edge")
			want[id] = true
		default:
			newService(t, s, tenant, id, alive.ID, t0, "worker") // other tag
		}
	}
	now := t0.Add(10 * time.Second)
	for _, limit := range []int{1, 2, 5} {
		seen := map[string]bool{}
		req := registry.PageRequest{Limit: limit}
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("too many pages")
			}
			page, err := s.Services.ListServices(ctx, tenant, "web", req, now)
			if err != nil {
				t.Fatal(err)
			}
			if page.Next != "" && len(page.Items) != limit {
				t.Fatalf("limit %d: a page before the last has %d items", limit, len(page.Items))
			}
			for _, svc := range page.Items {
				if !want[svc.ID] || seen[svc.ID] {
					t.Fatalf("limit %d: unexpected %q", limit, svc.ID)
				}
				seen[svc.ID] = true
			}
			if page.Next == "" {
				break
			}
			req.Marker = page.Next
		}
		if len(seen) != len(want) {
			t.Fatalf("limit %d: listed %d services with the tag, want %d", limit, len(seen), len(want))
		}
	}
	all, err := s.Services.ListServices(ctx, tenant, "", registry.PageRequest{Limit: 100}, now)
	if err != nil || len(all.Items) != 6 {
		t.Fatalf("ListServices without a tag = %d items, %v; want 6", len(all.Items), err)
	}
}

// Closing a session deletes its services and gives back their quota.
func testCloseSession(t *testing.T, s Stores, tenant string) {
	ctx := context.Background()
	sess := newSession(t, s.Sessions, tenant, 30, t0)
	other := newSession(t, s.Sessions, tenant, 30, t0)
	newService(t, s, tenant, "a-1", sess.ID, t0, "a")
	newService(t, s, tenant, "a-2", sess.ID, t0, "a")
	newService(t, s, tenant, "b-1", other.ID, t0, "a")
	if err := s.Sessions.DeleteSession(ctx, tenant, sess.ID, t0); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a-1", "a-2"} {
		_, err := s.Services.GetService(ctx, tenant, id, t0)
		mustNotFound(t, "GetService of a closed session's service", err)
	}
	page, err := s.Services.ListServices(ctx, tenant, "a", registry.PageRequest{Limit: 10}, t0)
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != "b-1" {
		t.Fatalf("tag list after close: %+v, %v", page.Items, err)
	}
	if n := usage(t, s, tenant, registry.ResourceService); n != 1 {
		t.Fatalf("service usage after close = %d, want 1", n)
	}
	if n := usage(t, s, tenant, registry.ResourceSession); n != 1 {
		t.Fatalf("session usage after close = %d, want 1", n)
	}
	// The ids are free again.
	newService(t, s, tenant, "a-1", other.ID, t0)
}

func testOverview(t *testing.T, s Stores, tenant string) {
	ctx := context.Background()
	var live []*registry.Session
	for i := range 4 {
		sess := newSession(t, s.Sessions, tenant, 60, t0)
		live = append(live, sess)
		for j := range i {
			newService(t, s, tenant, fmt.Sprintf("%s-svc-%d", sess.ID, j), sess.ID, t0)
		}
	}
	dead := newSession(t, s.Sessions, tenant, 5, t0)
	newService(t, s, tenant, "dead-svc", dead.ID, t0)
	now := t0.Add(10 * time.Second)
	got := map[string]int{}
	req := registry.PageRequest{Limit: 3}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		page, err := s.Account.Overview(ctx, tenant, req, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, ov := range page.Items {
			if _, dup := got[ov.Session.ID]; dup {
				t.Fatalf("session %s on two pages", ov.Session.ID)
			}
			for _, svc := range ov.Services {
				if svc.SessionID != ov.Session.ID {
					t.Fatalf("service %s of session %s listed under %s", svc.ID, svc.SessionID, ov.Session.ID)
				}
			}
			got[ov.Session.ID] = len(ov.Services)
		}
		if page.Next == "" {
			break
		}
		req.Marker = page.Next
	}
	if len(got) != len(live) {
		t.Fatalf("overview lists %d sessions, want the %d live ones: %v", len(got), len(live), got)
	}
	for i, sess := range live {
		if got[sess.ID] != i {
			t.Fatalf("session %s has %d services in the overview, want %d", sess.ID, got[sess.ID], i)
		}
	}
}

// N concurrent creates at a limit never overshoot it.
func testLimitsUnderConcurrency(t *testing.T, s Stores, tenant string) {
	ctx := context.Background()
	if err := s.SetLimit(ctx, tenant, registry.ResourceSession, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLimit(ctx, tenant, registry.ResourceService, 4); err != nil {
		t.Fatal(err)
	}
	const n = 10
	var wg sync.WaitGroup
	sessErrs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			sessErrs[i] = s.Sessions.CreateSession(ctx, tenant, &registry.Session{ID: registry.NewSessionID(),
				HeartbeatTimeout: 60, Deadline: t0.Add(time.Minute), Token: registry.NewToken()})
		})
	}
	wg.Wait()
	if created := countLimited(t, sessErrs); created != 3 {
		t.Fatalf("%d sessions created under a limit of 3", created)
	}
	page, err := s.Sessions.ListSessions(ctx, tenant, registry.PageRequest{Limit: 100}, t0)
	if err != nil || len(page.Items) != 3 {
		t.Fatalf("ListSessions = %d sessions, %v; want 3", len(page.Items), err)
	}
	sessionID := page.Items[0].ID
	svcErrs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			svcErrs[i] = s.Services.CreateService(ctx, tenant, &registry.Service{ID: fmt.Sprintf("svc-%d", i), SessionID: sessionID}, t0)
		})
	}
	wg.Wait()
	if created := countLimited(t, svcErrs); created != 4 {
		t.Fatalf("%d services created under a limit of 4", created)
	}
	if n := usage(t, s, tenant, registry.ResourceService); n != 4 {
		t.Fatalf("service usage = %d, want 4", n)
	}
}

// countLimited counts the successes, failing on any error but the limit.
func countLimited(t *testing.T, errs []error) int {
	t.Helper()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, registry.ErrLimitReached):
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	return ok
}
