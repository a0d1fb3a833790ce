package sweeper_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/registry"
	"github.com/service-registry/registry/internal/sweeper"
)

type expiredCall struct {
	shard  int
	tenant string
	now    time.Time
	limit  int
}

type timeOutCall struct {
	ref dynamo.SessionRef
	now time.Time
}

type result struct {
	t   dynamo.Timeout
	err error
}

// fakeStore serves expired sessions per shard and answers TimeOut from a
// table keyed by session id, recording every call.
type fakeStore struct {
	mu         sync.Mutex
	expired    map[int][]dynamo.SessionRef
	expiredErr map[int]error
	timeouts   map[string]result
	expCalls   []expiredCall
	toCalls    []timeOutCall
}

func (f *fakeStore) ExpiredSessions(_ context.Context, shard int, tenant string, now time.Time, limit int) ([]dynamo.SessionRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expCalls = append(f.expCalls, expiredCall{shard, tenant, now, limit})
	if err := f.expiredErr[shard]; err != nil {
		return nil, err
	}
	return f.expired[shard], nil
}

func (f *fakeStore) TimeOut(_ context.Context, ref dynamo.SessionRef, now time.Time) (dynamo.Timeout, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.toCalls = append(f.toCalls, timeOutCall{ref, now})
	r := f.timeouts[ref.ID]
	return r.t, r.err
}

func (f *fakeStore) sweeps() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.expCalls {
		if c.shard == 0 {
			n++
		}
	}
	return n
}

var _ sweeper.Store = (*fakeStore)(nil)

var now = time.UnixMilli(1_900_000_000_000)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newSweeper(store *fakeStore, shards int) *sweeper.Sweeper {
	return &sweeper.Sweeper{
		Store:    store,
		Shards:   shards,
		Interval: time.Second,
		Now:      func() time.Time { return now },
		Log:      discard(),
	}
}

func ref(tenant, id string) dynamo.SessionRef { return dynamo.SessionRef{Tenant: tenant, ID: id} }

func appended(deadline time.Time, services int) result {
	return result{t: dynamo.Timeout{Appended: true, Deadline: deadline, Services: services}}
}

func TestSweepTimesOutEveryExpiredSession(t *testing.T) {
	store := &fakeStore{
		expired: map[int][]dynamo.SessionRef{
			0: {ref("acme", "a"), ref("acme", "b")},
			2: {ref("globex", "c")},
			3: {ref("acme", "d"), ref("initech", "e")},
		},
		timeouts: map[string]result{
			"a": appended(now.Add(-2*time.Second), 2),
			"b": {}, // someone else appended its timeout
			"c": appended(now.Add(-time.Second), 0),
			"d": {err: registry.Unavailable(errors.New("throttled"))},
			"e": appended(now.Add(-3*time.Second), 1),
		},
	}
	st, err := newSweeper(store, 4).Sweep(context.Background())
	if err != nil {
		t.Fatalf("Sweep: %v; one session's error must not fail the sweep", err)
	}
	if want := (sweeper.Stats{Expired: 5, TimedOut: 3}); st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	var shards []int
	for _, c := range store.expCalls {
		shards = append(shards, c.shard)
		if c.tenant != "" || !c.now.Equal(now) || c.limit < 1 {
			t.Errorf("ExpiredSessions(shard %d, tenant %q, now %v, limit %d), want every tenant at %v with a positive limit",
				c.shard, c.tenant, c.now, c.limit, now)
		}
	}
	if !reflect.DeepEqual(shards, []int{0, 1, 2, 3}) {
		t.Fatalf("queried shards %v, want each of 0..3 once", shards)
	}
	var ids []string
	for _, c := range store.toCalls {
		ids = append(ids, c.ref.ID)
		if !c.now.Equal(now) {
			t.Errorf("TimeOut(%v) at %v, want %v", c.ref, c.now, now)
		}
	}
	// "e" comes after the failing "d": the sweep goes on.
	if !reflect.DeepEqual(ids, []string{"a", "b", "c", "d", "e"}) {
		t.Fatalf("timed out %v, want a b c d e", ids)
	}
	if store.toCalls[4].ref != ref("initech", "e") {
		t.Fatalf("TimeOut got %+v, want the ref as the index returned it", store.toCalls[4].ref)
	}
}

func TestSweepNothingExpired(t *testing.T) {
	store := &fakeStore{}
	st, err := newSweeper(store, 16).Sweep(context.Background())
	if err != nil || st != (sweeper.Stats{}) {
		t.Fatalf("Sweep = %+v, %v; want zero stats", st, err)
	}
	if len(store.expCalls) != 16 || len(store.toCalls) != 0 {
		t.Fatalf("%d ExpiredSessions and %d TimeOut calls, want 16 and 0", len(store.expCalls), len(store.toCalls))
	}
}

// A shard that cannot be queried is reported, and the other shards are
// still swept.
func TestSweepGoesOnPastAShardError(t *testing.T) {
	queryErr := registry.Unavailable(errors.New("index unavailable"))
	store := &fakeStore{
		expired:    map[int][]dynamo.SessionRef{0: {ref("acme", "a")}, 2: {ref("acme", "c")}},
		expiredErr: map[int]error{1: queryErr},
		timeouts: map[string]result{
			"a": appended(now.Add(-time.Second), 1),
			"c": appended(now.Add(-time.Second), 0),
		},
	}
	st, err := newSweeper(store, 3).Sweep(context.Background())
	if !errors.Is(err, queryErr) {
		t.Fatalf("Sweep error %v, want %v", err, queryErr)
	}
	if want := (sweeper.Stats{Expired: 2, TimedOut: 2}); st != want {
		t.Fatalf("stats %+v, want %+v: the shards after the failing one were not swept", st, want)
	}
}

// emf is the part of a CloudWatch embedded-metric-format line the tests read.
type emf struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string              `json:"Namespace"`
			Dimensions [][]string          `json:"Dimensions"`
			Metrics    []map[string]string `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
	TimeoutLag       *float64 `json:"TimeoutLag"`
	TimedOutServices *float64 `json:"TimedOutServices"`
}

func TestSweepWritesOneMetricPerAppendedTimeout(t *testing.T) {
	store := &fakeStore{
		expired: map[int][]dynamo.SessionRef{
			0: {ref("acme", "a"), ref("acme", "b")},
			1: {ref("acme", "c"), ref("acme", "d")},
		},
		timeouts: map[string]result{
			"a": appended(now.Add(-1500*time.Millisecond), 2),
			"b": {}, // not appended by this sweep: no metric
			"c": {err: errors.New("boom")},
			"d": appended(now.Add(-250*time.Millisecond), 0),
		},
	}
	var buf bytes.Buffer
	s := newSweeper(store, 2)
	s.Metrics = &buf
	if _, err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	want := []struct{ lag, services float64 }{{1500, 2}, {250, 0}}
	if len(lines) != len(want) {
		t.Fatalf("got %d metric lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, line := range lines {
		var got emf
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i, err, line)
		}
		if got.AWS.Timestamp != now.UnixMilli() {
			t.Errorf("line %d: _aws.Timestamp %d, want %d", i, got.AWS.Timestamp, now.UnixMilli())
		}
		if len(got.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("line %d: %d CloudWatchMetrics directives, want 1: %s", i, len(got.AWS.CloudWatchMetrics), line)
		}
		d := got.AWS.CloudWatchMetrics[0]
		if d.Namespace != "ServiceRegistry" {
			t.Errorf("line %d: namespace %q, want ServiceRegistry", i, d.Namespace)
		}
		if d.Dimensions == nil {
			t.Errorf("line %d: Dimensions missing (EMF requires it): %s", i, line)
		}
		units := map[string]string{}
		for _, m := range d.Metrics {
			units[m["Name"]] = m["Unit"]
		}
		if wantUnits := map[string]string{"TimeoutLag": "Milliseconds", "TimedOutServices": "Count"}; !reflect.DeepEqual(units, wantUnits) {
			t.Errorf("line %d: metrics %v, want %v", i, units, wantUnits)
		}
		if got.TimeoutLag == nil || *got.TimeoutLag != want[i].lag {
			t.Errorf("line %d: TimeoutLag %v, want %v: %s", i, got.TimeoutLag, want[i].lag, line)
		}
		if got.TimedOutServices == nil || *got.TimedOutServices != want[i].services {
			t.Errorf("line %d: TimedOutServices %v, want %v: %s", i, got.TimedOutServices, want[i].services, line)
		}
	}
}

func TestSweepWithoutMetricsWriter(t *testing.T) {
	store := &fakeStore{
		expired:  map[int][]dynamo.SessionRef{0: {ref("acme", "a")}},
		timeouts: map[string]result{"a": appended(now.Add(-time.Second), 1)},
	}
	s := newSweeper(store, 1) // Metrics nil: discarded, no panic
	if st, err := s.Sweep(context.Background()); err != nil || st.TimedOut != 1 {
		t.Fatalf("Sweep = %+v, %v", st, err)
	}
}

func TestRunSweepsEveryIntervalUntilUntil(t *testing.T) {
	store := &fakeStore{
		expired:  map[int][]dynamo.SessionRef{0: {ref("acme", "a")}},
		timeouts: map[string]result{"a": appended(now.Add(-time.Second), 1)},
	}
	s := newSweeper(store, 2)
	s.Interval = 10 * time.Millisecond
	start := time.Now()
	total, err := s.Run(context.Background(), start.Add(55*time.Millisecond))
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	n := store.sweeps()
	if n < 3 || n > 8 {
		t.Fatalf("%d sweeps in %v, want about 6 (3..8)", n, elapsed)
	}
	if len(store.expCalls) != 2*n {
		t.Fatalf("%d ExpiredSessions calls for %d sweeps of 2 shards", len(store.expCalls), n)
	}
	// Every sweep found and timed out "a" once; Run adds them up.
	if want := (sweeper.Stats{Expired: n, TimedOut: n}); total != want {
		t.Fatalf("total %+v, want %+v", total, want)
	}
	if elapsed > time.Second {
		t.Fatalf("Run took %v, want about 55ms", elapsed)
	}
}

// Run sweeps at least once, even when until is already near.
func TestRunSweepsOnceWhenUntilIsNear(t *testing.T) {
	store := &fakeStore{}
	s := newSweeper(store, 1)
	s.Interval = time.Hour
	if _, err := s.Run(context.Background(), time.Now().Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := store.sweeps(); n != 1 {
		t.Fatalf("%d sweeps, want 1", n)
	}
}

// A failed sweep is logged and the next one runs.
func TestRunGoesOnAfterFailedSweep(t *testing.T) {
	store := &fakeStore{expiredErr: map[int]error{0: errors.New("throttled")}}
	s := newSweeper(store, 1)
	s.Interval = 5 * time.Millisecond
	if _, err := s.Run(context.Background(), time.Now().Add(30*time.Millisecond)); err != nil {
		t.Fatalf("Run: %v, want nil (sweep errors are logged)", err)
	}
	if n := store.sweeps(); n < 2 {
		t.Fatalf("%d sweeps, want the sweeper to keep going after a failure", n)
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	store := &fakeStore{}
	s := newSweeper(store, 1)
	s.Interval = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(35*time.Millisecond, cancel)
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := s.Run(ctx, start.Add(time.Minute))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run error %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after its context was cancelled")
	}
	if n := store.sweeps(); n < 1 || n > 10 {
		t.Fatalf("%d sweeps before cancellation, want a handful", n)
	}
	after := store.sweeps()
	time.Sleep(50 * time.Millisecond)
	if store.sweeps() != after {
		t.Fatal("sweeps went on after Run returned")
	}
}
