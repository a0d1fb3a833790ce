package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/service-registry/registry/internal/registry"
)

// ConfigStores is what the configuration suite needs of a store.
type ConfigStores struct {
	Config registry.ConfigStore
	// SetLimit overrides a tenant's limit of a resource.
	SetLimit func(ctx context.Context, tenant string, r registry.Resource, limit int) error
}

// NewConfigStores returns the stores and a tenant name no other test uses.
type NewConfigStores func(t *testing.T) (ConfigStores, string)

// RunConfig runs the conformance tests of configuration values.
func RunConfig(t *testing.T, newStores NewConfigStores) {
	tests := []struct {
		name string
		fn   func(*testing.T, ConfigStores, string)
	}{
		{"SetGet", testConfigSetGet},
		{"IfMatch", testConfigIfMatch},
		{"IfNoneMatch", testConfigIfNoneMatch},
		{"Delete", testConfigDelete},
		{"Namespaces", testConfigNamespaces},
		{"Pages", testConfigPages},
		{"TenantsAreWalls", testConfigTenantsAreWalls},
		{"Limit", testConfigLimit},
		{"CompareAndSetRace", testConfigCompareAndSetRace},
		{"CreateOnlyRace", testConfigCreateOnlyRace},
		{"UpsertRace", testConfigUpsertRace},
		{"CreatesAtLimitRace", testConfigCreatesAtLimitRace},
		{"DeleteRace", testConfigDeleteRace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, tenant := newStores(t)
			tt.fn(t, s, tenant)
		})
	}
}

func atVersion(v int64) *int64 { return &v }

func putConfig(t *testing.T, s ConfigStores, tenant, id, value string) *registry.ConfigValue {
	t.Helper()
	v, err := s.Config.PutConfig(context.Background(), tenant, id, value, registry.Precondition{})
	if err != nil {
		t.Fatalf("PutConfig %s: %v", id, err)
	}
	return v
}

// wantConfig checks that id holds value at version.
func wantConfig(t *testing.T, s ConfigStores, tenant, id, value string, version int64) {
	t.Helper()
	got, err := s.Config.GetConfig(context.Background(), tenant, id)
	if err != nil {
		t.Fatalf("GetConfig %s: %v", id, err)
	}
	if want := (registry.ConfigValue{ID: id, Value: value, Version: version}); *got != want {
		t.Fatalf("GetConfig = %+v, want %+v", *got, want)
	}
}

func wantNoConfig(t *testing.T, s ConfigStores, tenant, id string) {
	t.Helper()
	_, err := s.Config.GetConfig(context.Background(), tenant, id)
	mustNotFound(t, "GetConfig "+id, err)
}

func mustConflict(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("%s: got %v, want ErrConflict", what, err)
	}
}

// listConfig walks every page of a listing and returns the ids in order,
// checking that pages before the last are full and that each next marker
// follows the page before it.
func listConfig(t *testing.T, s ConfigStores, tenant, namespace string, req registry.PageRequest) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("too many pages")
		}
		page, err := s.Config.ListConfig(context.Background(), tenant, namespace, req)
		if err != nil {
			t.Fatalf("ListConfig %q: %v", namespace, err)
		}
		if page.Next != "" && len(page.Items) != req.Limit {
			t.Fatalf("a page before the last has %d items, want %d", len(page.Items), req.Limit)
		}
		for _, v := range page.Items {
			ids = append(ids, v.ID)
		}
		if page.Next == "" {
			return ids
		}
		if len(ids) > 0 && page.Next <= ids[len(ids)-1] {
			t.Fatalf("next marker %q does not follow %q", page.Next, ids[len(ids)-1])
		}
		req.Marker = page.Next
	}
}

// wantConfigRoom checks that exactly n more values fit under the tenant's limit,
// which proves that the store counts what it holds, no more and no less.
// It leaves the store as it found it.
func wantConfigRoom(t *testing.T, s ConfigStores, tenant string, n int) {
	t.Helper()
	ctx := context.Background()
	var made []string
	for i := range n + 1 {
		id := fmt.Sprintf("room-%d", i)
		_, err := s.Config.PutConfig(ctx, tenant, id, "x", registry.Precondition{IfNoneMatch: true})
		if i < n && err != nil {
			t.Fatalf("value %d of the %d that should fit: %v", i+1, n, err)
		}
		if i == n && !errors.Is(err, registry.ErrLimitReached) {
			t.Fatalf("value %d, past the %d that should fit: got %v, want ErrLimitReached", i+1, n, err)
		}
		if err == nil {
			made = append(made, id)
		}
	}
	for _, id := range made {
		if err := s.Config.DeleteConfig(ctx, tenant, id, registry.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
}

func setConfigLimit(t *testing.T, s ConfigStores, tenant string, limit int) {
	t.Helper()
	if err := s.SetLimit(context.Background(), tenant, registry.ResourceConfigurationValue, limit); err != nil {
		t.Fatal(err)
	}
}

func testConfigSetGet(t *testing.T, s ConfigStores, tenant string) {
	const id = "/production/cassandra/listen_ip"
	if v := putConfig(t, s, tenant, id, "10.0.0.1"); *v != (registry.ConfigValue{ID: id, Value: "10.0.0.1", Version: 1}) {
		t.Fatalf("PutConfig of a new value = %+v, want version 1", *v)
	}
	wantConfig(t, s, tenant, id, "10.0.0.1", 1)
	if v := putConfig(t, s, tenant, id, "10.0.0.2"); v.Version != 2 || v.Value != "10.0.0.2" {
		t.Fatalf("PutConfig of an existing value = %+v, want version 2", *v)
	}
	wantConfig(t, s, tenant, id, "10.0.0.2", 2)
	// Setting the same value again is a write like any other.
	if v := putConfig(t, s, tenant, id, "10.0.0.2"); v.Version != 3 {
		t.Fatalf("PutConfig of the same value = %+v, want version 3", *v)
	}
	wantNoConfig(t, s, tenant, "listen_ip")
	wantNoConfig(t, s, tenant, "/production/cassandra")
	wantNoConfig(t, s, tenant, "/production/cassandra/listen_ip2")
}

func testConfigIfMatch(t *testing.T, s ConfigStores, tenant string) {
	ctx := context.Background()
	const id = "/app/feature_flag"
	putConfig(t, s, tenant, id, "off")
	v, err := s.Config.PutConfig(ctx, tenant, id, "on", registry.Precondition{IfMatch: atVersion(1)})
	if err != nil || v.Version != 2 || v.Value != "on" {
		t.Fatalf("PutConfig with the current version = %+v, %v", v, err)
	}
	_, err = s.Config.PutConfig(ctx, tenant, id, "stale", registry.Precondition{IfMatch: atVersion(1)})
	mustConflict(t, "PutConfig with a stale version", err)
	wantConfig(t, s, tenant, id, "on", 2)

	v, err = s.Config.PutConfig(ctx, tenant, id, "any", registry.Precondition{IfExists: true})
	if err != nil || v.Version != 3 {
		t.Fatalf("PutConfig if it exists, on an existing value = %+v, %v", v, err)
	}
	_, err = s.Config.PutConfig(ctx, tenant, "/app/absent", "x", registry.Precondition{IfExists: true})
	mustConflict(t, "PutConfig if it exists, on an absent value", err)
	_, err = s.Config.PutConfig(ctx, tenant, "/app/absent", "x", registry.Precondition{IfMatch: atVersion(1)})
	mustConflict(t, "PutConfig with a version, on an absent value", err)
	wantNoConfig(t, s, tenant, "/app/absent")
}

func testConfigIfNoneMatch(t *testing.T, s ConfigStores, tenant string) {
	ctx := context.Background()
	const id = "bootstrap_token"
	v, err := s.Config.PutConfig(ctx, tenant, id, "first", registry.Precondition{IfNoneMatch: true})
	if err != nil || v.Version != 1 {
		t.Fatalf("create-only PutConfig of an absent value = %+v, %v", v, err)
	}
	_, err = s.Config.PutConfig(ctx, tenant, id, "second", registry.Precondition{IfNoneMatch: true})
	mustConflict(t, "create-only PutConfig of an existing value", err)
	wantConfig(t, s, tenant, id, "first", 1)
}

func testConfigDelete(t *testing.T, s ConfigStores, tenant string) {
	ctx := context.Background()
	const id = "/app/db_url"
	putConfig(t, s, tenant, id, "a")
	putConfig(t, s, tenant, id, "b")
	mustConflict(t, "DeleteConfig with a stale version",
		s.Config.DeleteConfig(ctx, tenant, id, registry.Precondition{IfMatch: atVersion(1)}))
	wantConfig(t, s, tenant, id, "b", 2)
	if err := s.Config.DeleteConfig(ctx, tenant, id, registry.Precondition{IfMatch: atVersion(2)}); err != nil {
		t.Fatalf("DeleteConfig with the current version: %v", err)
	}
	wantNoConfig(t, s, tenant, id)
	mustNotFound(t, "second DeleteConfig", s.Config.DeleteConfig(ctx, tenant, id, registry.Precondition{}))
	mustNotFound(t, "DeleteConfig with a version, of an absent value",
		s.Config.DeleteConfig(ctx, tenant, id, registry.Precondition{IfMatch: atVersion(2)}))
	mustNotFound(t, "DeleteConfig if it exists, of an absent value",
		s.Config.DeleteConfig(ctx, tenant, id, registry.Precondition{IfExists: true}))

	// Created again, the value starts over.
	if v := putConfig(t, s, tenant, id, "c"); v.Version != 1 {
		t.Fatalf("PutConfig after delete = %+v, want version 1", *v)
	}
	if err := s.Config.DeleteConfig(ctx, tenant, id, registry.Precondition{IfExists: true}); err != nil {
		t.Fatalf("DeleteConfig if it exists: %v", err)
	}
	wantNoConfig(t, s, tenant, id)
}

// A namespace lists exactly the values under it and its sub-namespaces.
func testConfigNamespaces(t *testing.T, s ConfigStores, tenant string) {
	ids := []string{
		"listen_ip",                        // a bare key
		"/production/cassandra",            // a key named like the namespace
		"/production/cassandra/listen_ip",  // in it
		"/production/cassandra/ring/token", // in a sub-namespace
		"/production/cassandra2/listen_ip", // a namespace it is a prefix of
		"/production/listen_ip",            // in the parent
		"/production/zookeeper/listen_ip",  // in a sibling
		"/PRODUCTION/cassandra/listen_ip",  // ids are case-sensitive
		"/staging/cassandra/listen_ip",
	}
	for _, id := range ids {
		putConfig(t, s, tenant, id, "v")
	}
	all := slices.Sorted(slices.Values(ids))
	cases := []struct {
		namespace, marker string
		want              []string
	}{
		{"/production/cassandra/", "", []string{"/production/cassandra/listen_ip", "/production/cassandra/ring/token"}},
		{"/production/cassandra/ring/", "", []string{"/production/cassandra/ring/token"}},
		{"/production/", "", []string{"/production/cassandra", "/production/cassandra/listen_ip",
			"/production/cassandra/ring/token", "/production/cassandra2/listen_ip", "/production/listen_ip",
			"/production/zookeeper/listen_ip"}},
		{"/production/listen_ip/", "", nil},
		{"/nothing/", "", nil},
		{"", "", all},
		// A marker inside the namespace starts there; one before it starts
		// at its beginning; one past it leaves nothing.
		{"/production/cassandra/", "/production/cassandra/m_m", []string{"/production/cassandra/ring/token"}},
		{"/production/cassandra/", "/app/key", []string{"/production/cassandra/listen_ip", "/production/cassandra/ring/token"}},
		{"/production/cassandra/", "/staging/key", nil},
		{"", "/production/zookeeper/listen_ip", []string{"/production/zookeeper/listen_ip", "/staging/cassandra/listen_ip", "listen_ip"}},
	}
	for _, c := range cases {
		for _, limit := range []int{1, 2, registry.MaxLimit} {
			got := listConfig(t, s, tenant, c.namespace, registry.PageRequest{Limit: limit, Marker: c.marker})
			if !slices.Equal(got, c.want) {
				t.Errorf("ListConfig(%q, marker %q, limit %d) = %q, want %q", c.namespace, c.marker, limit, got, c.want)
			}
		}
	}
}

// Pages follow each other without gaps or repeats.
func testConfigPages(t *testing.T, s ConfigStores, tenant string) {
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("/svc/key_%02d", i)
		putConfig(t, s, tenant, id, "v")
		want = append(want, id)
	}
	for _, limit := range []int{1, 2, 3, 7, 8} {
		if got := listConfig(t, s, tenant, "", registry.PageRequest{Limit: limit}); !slices.Equal(got, want) {
			t.Fatalf("pages of %d: %q, want %q", limit, got, want)
		}
	}
	page, err := s.Config.ListConfig(context.Background(), tenant, "", registry.PageRequest{Limit: 7})
	if err != nil || len(page.Items) != 7 || page.Next != "" {
		t.Fatalf("a page exactly as large as the list: %d items, next %q, %v", len(page.Items), page.Next, err)
	}
}

func testConfigTenantsAreWalls(t *testing.T, s ConfigStores, tenant string) {
	ctx := context.Background()
	const id = "/shared/name"
	putConfig(t, s, tenant, id, "ours")
	other := tenant + "-other"
	wantNoConfig(t, s, other, id)
	mustNotFound(t, "DeleteConfig from another tenant", s.Config.DeleteConfig(ctx, other, id, registry.Precondition{}))
	_, err := s.Config.PutConfig(ctx, other, id, "theirs", registry.Precondition{IfMatch: atVersion(1)})
	mustConflict(t, "PutConfig with our version from another tenant", err)
	if got := listConfig(t, s, other, "", registry.PageRequest{Limit: 10}); len(got) != 0 {
		t.Fatalf("another tenant lists %q", got)
	}
	// The other tenant's value under the same id is its own.
	if v := putConfig(t, s, other, id, "theirs"); v.Version != 1 {
		t.Fatalf("the other tenant's first write = %+v, want version 1", *v)
	}
	wantConfig(t, s, tenant, id, "ours", 1)
}

func testConfigLimit(t *testing.T, s ConfigStores, tenant string) {
	ctx := context.Background()
	setConfigLimit(t, s, tenant, 3)
	putConfig(t, s, tenant, "key_one", "1")
	putConfig(t, s, tenant, "key_two", "2")
	if _, err := s.Config.PutConfig(ctx, tenant, "key_three", "3", registry.Precondition{IfNoneMatch: true}); err != nil {
		t.Fatalf("the third value, at a limit of 3: %v", err)
	}
	for _, pre := range []registry.Precondition{{}, {IfNoneMatch: true}} {
		_, err := s.Config.PutConfig(ctx, tenant, "key_four", "4", pre)
		if !errors.Is(err, registry.ErrLimitReached) {
			t.Fatalf("a fourth value (%+v): got %v, want ErrLimitReached", pre, err)
		}
	}
	wantNoConfig(t, s, tenant, "key_four")
	// Updates are not creates: they pass at the limit.
	putConfig(t, s, tenant, "key_one", "1b")
	if _, err := s.Config.PutConfig(ctx, tenant, "key_two", "2b", registry.Precondition{IfMatch: atVersion(1)}); err != nil {
		t.Fatalf("compare-and-set at the limit: %v", err)
	}
	if err := s.Config.DeleteConfig(ctx, tenant, "key_three", registry.Precondition{}); err != nil {
		t.Fatal(err)
	}
	wantConfigRoom(t, s, tenant, 1)
}

// Of many compare-and-sets from one version, exactly one wins.
func testConfigCompareAndSetRace(t *testing.T, s ConfigStores, tenant string) {
	const id, n = "/cluster/leader", 16
	putConfig(t, s, tenant, id, "nobody")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Config.PutConfig(context.Background(), tenant, id, fmt.Sprintf("node-%d", i),
				registry.Precondition{IfMatch: atVersion(1)})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("nodes %d and %d both won", winner, i)
		case err == nil:
			winner = i
		default:
			mustConflict(t, fmt.Sprintf("node %d", i), err)
		}
	}
	if winner < 0 {
		t.Fatal("nobody won")
	}
	wantConfig(t, s, tenant, id, fmt.Sprintf("node-%d", winner), 2)
}

// Of many create-only writes of one id, exactly one wins, and the value is
// counted once.
func testConfigCreateOnlyRace(t *testing.T, s ConfigStores, tenant string) {
	const id, n = "/cluster/init_lock", 16
	setConfigLimit(t, s, tenant, 3)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Config.PutConfig(context.Background(), tenant, id, fmt.Sprintf("node-%d", i),
				registry.Precondition{IfNoneMatch: true})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("nodes %d and %d both created the value", winner, i)
		case err == nil:
			winner = i
		default:
			mustConflict(t, fmt.Sprintf("node %d", i), err)
		}
	}
	if winner < 0 {
		t.Fatal("nobody created the value")
	}
	wantConfig(t, s, tenant, id, fmt.Sprintf("node-%d", winner), 1)
	wantConfigRoom(t, s, tenant, 2)
}

// Concurrent writes without precondition to one new id all succeed, each
// gets a version of its own, and the value is counted once.
func testConfigUpsertRace(t *testing.T, s ConfigStores, tenant string) {
	const id, n = "/cluster/heartbeat", 16
	setConfigLimit(t, s, tenant, 3)
	versions := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := s.Config.PutConfig(context.Background(), tenant, id, fmt.Sprintf("node-%d", i), registry.Precondition{})
			if err != nil {
				t.Errorf("node %d: %v", i, err)
				return
			}
			versions[i] = v.Version
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	slices.Sort(versions)
	for i, v := range versions {
		if v != int64(i+1) {
			t.Fatalf("versions handed out: %v, want 1 to %d once each", versions, n)
		}
	}
	got, err := s.Config.GetConfig(context.Background(), tenant, id)
	if err != nil || got.Version != n {
		t.Fatalf("after the race: %+v, %v; want version %d", got, err, n)
	}
	wantConfigRoom(t, s, tenant, 2)
}

// Concurrent creates never overshoot the limit.
func testConfigCreatesAtLimitRace(t *testing.T, s ConfigStores, tenant string) {
	const limit, n = 3, 16
	setConfigLimit(t, s, tenant, limit)
	putConfig(t, s, tenant, "existing", "v")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Config.PutConfig(context.Background(), tenant, fmt.Sprintf("key_%02d", i), "v", registry.Precondition{})
		})
	}
	wg.Wait()
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, registry.ErrLimitReached):
			t.Fatalf("create %d: got %v, want success or ErrLimitReached", i, err)
		}
	}
	if created != limit-1 {
		t.Fatalf("%d concurrent creates succeeded with room for %d", created, limit-1)
	}
	if got := listConfig(t, s, tenant, "", registry.PageRequest{Limit: 100}); len(got) != limit {
		t.Fatalf("%d values stored under a limit of %d: %q", len(got), limit, got)
	}
	wantConfigRoom(t, s, tenant, 0)
}

// Of many deletes of one value, exactly one succeeds, and the value is
// given back to the limit once.
func testConfigDeleteRace(t *testing.T, s ConfigStores, tenant string) {
	const n = 16
	setConfigLimit(t, s, tenant, 2)
	putConfig(t, s, tenant, "keeper", "v")
	putConfig(t, s, tenant, "doomed", "v")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Config.DeleteConfig(context.Background(), tenant, "doomed", registry.Precondition{})
		})
	}
	wg.Wait()
	deleted := 0
	for i, err := range errs {
		switch {
		case err == nil:
			deleted++
		case !errors.Is(err, registry.ErrNotFound):
			t.Fatalf("delete %d: got %v, want success or ErrNotFound", i, err)
		}
	}
	if deleted != 1 {
		t.Fatalf("%d concurrent deletes of one value succeeded", deleted)
	}
	wantConfigRoom(t, s, tenant, 1)
}
