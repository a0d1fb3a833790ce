package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/registry"
)

const eventsPath = "/v1.0/acme/events"

// fakeEventFeed is an in-memory feed of one tenant: event i (from 1) has id
// dynamo.EventID(i). It records every call, in order, and is safe for
// concurrent use: a test appends while a request is held.
type fakeEventFeed struct {
	mu      sync.Mutex
	events  []*registry.Event
	calls   []string // "rectify", "since", "read", each with its tenant
	since   []time.Time
	rectify []time.Time
	reads   []registry.FeedRequest

	rectifyErr, sinceErr, readErr error
}

var _ api.EventFeed = (*fakeEventFeed)(nil)

// add appends an event and returns its id.
func (f *fakeEventFeed) add(ts time.Time, typ registry.EventType, payload string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := dynamo.EventID(int64(len(f.events) + 1))
	f.events = append(f.events, &registry.Event{ID: id, Timestamp: ts, Type: typ, Payload: []byte(payload)})
	return id
}

func (f *fakeEventFeed) head() string { // the id the next event will have
	return dynamo.EventID(int64(len(f.events) + 1))
}

func (f *fakeEventFeed) Read(_ context.Context, tenant string, req registry.FeedRequest) (registry.FeedPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "read "+tenant)
	f.reads = append(f.reads, req)
	if f.readErr != nil {
		return registry.FeedPage{}, f.readErr
	}
	from, ok := dynamo.ParseEventID(req.From)
	if !ok {
		return registry.FeedPage{}, registry.Errorf(registry.KindInvalid, "marker is not an event id.")
	}
	if req.Limit < 1 {
		return registry.FeedPage{}, fmt.Errorf("fake feed: limit %d", req.Limit)
	}
	page := registry.FeedPage{Next: req.From}
	i := max(from, 1) - 1
	for ; i < int64(len(f.events)) && len(page.Events) < req.Limit; i++ {
		ev := f.events[i]
		if req.Type == "" || ev.Type == req.Type {
			cp := *ev
			page.Events = append(page.Events, &cp)
		}
		page.Next = dynamo.EventID(i + 2)
	}
	page.More = i < int64(len(f.events))
	return page, nil
}

func (f *fakeEventFeed) Since(_ context.Context, tenant string, t time.Time) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "since "+tenant)
	f.since = append(f.since, t)
	if f.sinceErr != nil {
		return "", f.sinceErr
	}
	for _, ev := range f.events {
		if !ev.Timestamp.Before(t) {
			return ev.ID, nil
		}
	}
	return f.head(), nil
}

func (f *fakeEventFeed) Rectify(_ context.Context, tenant string, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "rectify "+tenant)
	f.rectify = append(f.rectify, now)
	return f.rectifyErr
}

func (f *fakeEventFeed) ValidEventID(id string) bool {
	_, ok := dynamo.ParseEventID(id)
	return ok
}

// snapshot returns copies of the recorded calls.
func (f *fakeEventFeed) snapshot() (calls []string, since, rectify []time.Time, reads []registry.FeedRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...), append([]time.Time(nil), f.since...),
		append([]time.Time(nil), f.rectify...), append([]registry.FeedRequest(nil), f.reads...)
}

func (f *fakeEventFeed) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reads)
}

// newEventsHarness serves only the events route, from feed.
func newEventsHarness(t *testing.T) (*harness, *fakeEventFeed) {
	clock := registry.NewFakeClock(time.UnixMilli(1_900_000_000_000))
	feed := &fakeEventFeed{}
	s := &api.Server{
		Events: feed,
		Auth:   tokens{"tok-acme": "acme", "tok-globex": "globex"},
		Now:    clock.Now,
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, clock: clock}, feed
}

// eventsPage is a decoded events response.
type eventsPage struct {
	ids                          []string
	values                       []map[string]any
	count, limit                 float64
	marker, nextMarker, nextHref any // string or nil (JSON null)
	hasMarker, hasNext, hasHref  bool
}

func readEventsPage(t *testing.T, r response) eventsPage {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.status, r.raw)
	}
	values, ok := r.body["values"].([]any)
	md, ok2 := r.body["metadata"].(map[string]any)
	if !ok || !ok2 {
		t.Fatalf("not a list response: %s", r.raw)
	}
	var p eventsPage
	for _, v := range values {
		ev := v.(map[string]any)
		p.values = append(p.values, ev)
		p.ids = append(p.ids, ev["id"].(string))
	}
	p.count, _ = md["count"].(float64)
	p.limit, _ = md["limit"].(float64)
	p.marker, p.hasMarker = md["marker"]
	p.nextMarker, p.hasNext = md["next_marker"]
	p.nextHref, p.hasHref = md["next_href"]
	if !p.hasMarker || !p.hasNext || !p.hasHref {
		t.Fatalf("metadata lacks marker, next_marker or next_href: %s", r.raw)
	}
	if int(p.count) != len(values) {
		t.Fatalf("count %v but %d values: %s", p.count, len(values), r.raw)
	}
	return p
}

func eventIDRange(from, to int64) []string { // EventID(from) .. EventID(to), inclusive
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, dynamo.EventID(i))
	}
	return out
}

func TestEventsWithoutMarkerStartAnHourBack(t *testing.T) {
	h, feed := newEventsHarness(t)
	now := h.clock.Now()
	feed.add(now.Add(-2*time.Hour), registry.EventServiceJoin, `{}`)
	feed.add(now.Add(-time.Hour-time.Millisecond), registry.EventServiceJoin, `{}`)
	feed.add(now.Add(-time.Hour), registry.EventServiceRemove, `{"id":"db-1","session_id":"s","tags":["a"],"metadata":{"k":"v"}}`)
	feed.add(now.Add(-10*time.Minute), registry.EventConfigUpdate, `{"configuration_value_id":"a/b","old_value":null,"new_value":"x"}`)
	feed.add(now, registry.EventServicesTimeout, `[]`)

	p := readEventsPage(t, h.do("GET", eventsPath, ""))
	if want := eventIDRange(3, 5); !reflect.DeepEqual(p.ids, want) {
		t.Fatalf("ids %v, want %v (the events of the last hour)", p.ids, want)
	}
	_, since, _, _ := feed.snapshot()
	if len(since) != 1 || !since[0].Equal(now.Add(-time.Hour)) {
		t.Fatalf("Since called with %v, want once with %v", since, now.Add(-time.Hour))
	}
	if p.marker != nil || p.nextMarker != dynamo.EventID(6) || p.nextHref != nil || p.limit != 100 {
		t.Fatalf("metadata marker %v next_marker %v next_href %v limit %v; want null, %s, null, 100",
			p.marker, p.nextMarker, p.nextHref, p.limit, dynamo.EventID(6))
	}
	// Each event is rendered with its id, timestamp in ms, type and payload as JSON.
	first := p.values[0]
	if first["timestamp"] != float64(now.Add(-time.Hour).UnixMilli()) || first["type"] != "service.remove" || len(first) != 4 {
		t.Fatalf("first event %v", first)
	}
	payload, ok := first["payload"].(map[string]any)
	if !ok || payload["id"] != "db-1" || !reflect.DeepEqual(payload["tags"], []any{"a"}) {
		t.Fatalf("payload %v, want the stored JSON object", first["payload"])
	}
	if second := p.values[1]["payload"].(map[string]any); second["old_value"] != nil || len(second) != 3 {
		t.Fatalf("second payload %v", second)
	}
	if third, ok := p.values[2]["payload"].([]any); !ok || len(third) != 0 {
		t.Fatalf("third payload %v, want []", p.values[2]["payload"])
	}
}

// With no event in the last hour, the read starts at the head: only events
// still to come are seen, and next_marker says where they will be.
func TestEventsWithoutMarkerNothingRecent(t *testing.T) {
	h, feed := newEventsHarness(t)
	feed.add(h.clock.Now().Add(-3*time.Hour), registry.EventServiceJoin, `{}`)
	p := readEventsPage(t, h.do("GET", eventsPath, ""))
	if len(p.ids) != 0 || p.nextMarker != dynamo.EventID(2) || p.nextHref != nil {
		t.Fatalf("ids %v next_marker %v next_href %v; want none, %s, null", p.ids, p.nextMarker, p.nextHref, dynamo.EventID(2))
	}
}

func TestEventsMarkerIsInclusive(t *testing.T) {
	h, feed := newEventsHarness(t)
	for range 5 {
		feed.add(h.clock.Now().Add(-5*time.Hour), registry.EventServiceJoin, `{}`)
	}
	marker := dynamo.EventID(3)
	p := readEventsPage(t, h.do("GET", eventsPath+"?marker="+marker, ""))
	if want := eventIDRange(3, 5); !reflect.DeepEqual(p.ids, want) {
		t.Fatalf("ids %v, want %v: the marker's event first, however old", p.ids, want)
	}
	if p.marker != marker || p.nextMarker != dynamo.EventID(6) || p.nextHref != nil {
		t.Fatalf("marker %v next_marker %v next_href %v", p.marker, p.nextMarker, p.nextHref)
	}
	calls, since, _, reads := feed.snapshot()
	if len(since) != 0 {
		t.Fatalf("Since called with a marker: %v", calls)
	}
	if len(reads) != 1 || reads[0].From != marker || reads[0].Limit != 100 || reads[0].Type != "" {
		t.Fatalf("reads %+v, want one from %s, limit 100, every type", reads, marker)
	}
}

// Following next_marker (or next_href) from the first page to the last sees
// every event exactly once, in order, and resumes exactly where it stopped.
func TestEventsFollowingNextMarker(t *testing.T) {
	h, feed := newEventsHarness(t)
	for i := range 7 {
		feed.add(h.clock.Now().Add(-time.Minute+time.Duration(i)*time.Second), registry.EventServiceJoin, fmt.Sprintf(`{"n":%d}`, i))
	}
	var seen []string
	path := eventsPath + "?limit=3"
	var last eventsPage
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatalf("no last page after %d pages; seen %v", page, seen)
		}
		last = readEventsPage(t, h.do("GET", path, ""))
		seen = append(seen, last.ids...)
		if last.limit != 3 || len(last.ids) > 3 {
			t.Fatalf("page %d: limit %v, %d events", page, last.limit, len(last.ids))
		}
		next, _ := last.nextMarker.(string)
		if next == "" {
			t.Fatalf("page %d: next_marker %v, want always set", page, last.nextMarker)
		}
		if last.nextHref == nil {
			break
		}
		href, _ := last.nextHref.(string)
		u, err := url.Parse(href)
		if err != nil || !strings.HasPrefix(href, h.srv.URL+eventsPath+"?") ||
			u.Query().Get("marker") != next || u.Query().Get("limit") != "3" {
			t.Fatalf("page %d: next_href %q, want this route with marker=%s and limit=3", page, href, next)
		}
		path = strings.TrimPrefix(href, h.srv.URL)
	}
	if want := eventIDRange(1, 7); !reflect.DeepEqual(seen, want) {
		t.Fatalf("seen %v, want %v", seen, want)
	}
	if last.nextMarker != dynamo.EventID(8) {
		t.Fatalf("last page next_marker %v, want %s (the id after the last event)", last.nextMarker, dynamo.EventID(8))
	}

	// At the end, the marker stays put; a new event is found there.
	end := last.nextMarker.(string)
	p := readEventsPage(t, h.do("GET", eventsPath+"?limit=3&marker="+end, ""))
	if len(p.ids) != 0 || p.nextMarker != end || p.nextHref != nil {
		t.Fatalf("at the end: ids %v next_marker %v next_href %v", p.ids, p.nextMarker, p.nextHref)
	}
	id := feed.add(h.clock.Now(), registry.EventServiceRemove, `{}`)
	p = readEventsPage(t, h.do("GET", eventsPath+"?limit=3&marker="+end, ""))
	if !reflect.DeepEqual(p.ids, []string{id}) || p.nextMarker != dynamo.EventID(9) {
		t.Fatalf("after an append: ids %v next_marker %v, want [%s] and %s", p.ids, p.nextMarker, id, dynamo.EventID(9))
	}
}

func TestEventsTypeFilter(t *testing.T) {
	h, feed := newEventsHarness(t)
	for range 2 {
		for _, typ := range registry.EventTypes {
			feed.add(h.clock.Now(), typ, `{}`)
		}
	}
	for i, typ := range registry.EventTypes {
		t.Run(string(typ), func(t *testing.T) {
			p := readEventsPage(t, h.do("GET", eventsPath+"?type="+string(typ)+"&marker="+dynamo.EventID(1), ""))
			want := []string{dynamo.EventID(int64(i + 1)), dynamo.EventID(int64(i + 1 + len(registry.EventTypes)))}
			if !reflect.DeepEqual(p.ids, want) {
				t.Fatalf("ids %v, want %v", p.ids, want)
			}
			for _, v := range p.values {
				if v["type"] != string(typ) {
					t.Fatalf("event of type %v in a %s page", v["type"], typ)
				}
			}
			// Resume after everything read, matching or not.
			if p.nextMarker != dynamo.EventID(11) {
				t.Fatalf("next_marker %v, want %s", p.nextMarker, dynamo.EventID(11))
			}
			_, _, _, reads := feed.snapshot()
			if got := reads[len(reads)-1].Type; got != typ {
				t.Fatalf("feed read type %q, want %q", got, typ)
			}
		})
	}
}

func TestEventsFilteredNextHrefKeepsType(t *testing.T) {
	h, feed := newEventsHarness(t)
	for range 3 {
		feed.add(h.clock.Now(), registry.EventServiceJoin, `{}`)
		feed.add(h.clock.Now(), registry.EventServiceRemove, `{}`)
	}
	p := readEventsPage(t, h.do("GET", eventsPath+"?type=service.remove&limit=2&marker="+dynamo.EventID(1), ""))
	if want := []string{dynamo.EventID(2), dynamo.EventID(4)}; !reflect.DeepEqual(p.ids, want) {
		t.Fatalf("ids %v, want %v", p.ids, want)
	}
	href, _ := p.nextHref.(string)
	u, err := url.Parse(href)
	if err != nil || u.Query().Get("type") != "service.remove" || u.Query().Get("marker") != dynamo.EventID(5) {
		t.Fatalf("next_href %q, want type=service.remove and marker=%s", href, dynamo.EventID(5))
	}
	p = readEventsPage(t, h.do("GET", strings.TrimPrefix(href, h.srv.URL), ""))
	if want := []string{dynamo.EventID(6)}; !reflect.DeepEqual(p.ids, want) || p.nextHref != nil {
		t.Fatalf("second page ids %v next_href %v, want %v and null", p.ids, p.nextHref, want)
	}
}

func TestEventsBadRequests(t *testing.T) {
	cases := []struct {
		name, query string
		typ         string // fault type
	}{
		{"marker not hex", "marker=zzzzzzzzzzzzzzzz", "badRequest"},
		{"marker too short", "marker=1", "badRequest"},
		{"marker too long", "marker=00000000000000001", "badRequest"},
		{"marker out of range", "marker=ffffffffffffffff", "badRequest"},
		{"limit 0", "limit=0", "invalidLimit"},
		{"limit 1001", "limit=1001", "invalidLimit"},
		{"limit negative", "limit=-1", "invalidLimit"},
		{"limit not a number", "limit=ten", "invalidLimit"},
		{"wait 0", "wait=0", "badRequest"},
		{"wait 21", "wait=21", "badRequest"},
		{"wait negative", "wait=-1", "badRequest"},
		{"wait not a number", "wait=x", "badRequest"},
		{"wait fractional", "wait=1.5", "badRequest"},
		{"wait empty", "wait=", "badRequest"},
		{"type unknown", "type=service.update", "badRequest"},
		{"type empty", "type=", "badRequest"},
		{"type wrong case", "type=SERVICE.JOIN", "badRequest"},
		{"type with space", "type=service.join%20", "badRequest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, feed := newEventsHarness(t)
			feed.add(h.clock.Now(), registry.EventServiceJoin, `{}`)
			h.do("GET", eventsPath+"?"+tc.query, "").fault(t, http.StatusBadRequest, tc.typ)
			if calls, _, _, _ := feed.snapshot(); len(calls) != 0 {
				t.Fatalf("a bad request reached the feed: %v", calls)
			}
		})
	}
}

func TestEventsValidBounds(t *testing.T) {
	for _, q := range []string{"limit=1", "limit=1000", "wait=1", "wait=20", "type=services.timeout"} {
		t.Run(q, func(t *testing.T) {
			h, feed := newEventsHarness(t)
			feed.add(h.clock.Now(), registry.EventServicesTimeout, `[]`)
			// An event is there, so even a long poll answers at once.
			start := time.Now()
			p := readEventsPage(t, h.do("GET", eventsPath+"?"+q, ""))
			if len(p.ids) != 1 || time.Since(start) > 2*time.Second {
				t.Fatalf("ids %v after %v", p.ids, time.Since(start))
			}
		})
	}
}

func TestEventsLongPollWakesOnNewEvent(t *testing.T) {
	t.Parallel()
	h, feed := newEventsHarness(t)
	var id string
	var mu sync.Mutex
	time.AfterFunc(300*time.Millisecond, func() {
		mu.Lock()
		defer mu.Unlock()
		id = feed.add(time.Now(), registry.EventServiceJoin, `{"id":"late"}`)
	})
	start := time.Now()
	p := readEventsPage(t, h.do("GET", eventsPath+"?wait=5", ""))
	elapsed := time.Since(start)
	mu.Lock()
	defer mu.Unlock()
	if elapsed < 250*time.Millisecond || elapsed > 3*time.Second {
		t.Fatalf("answered after %v, want soon after the event arrived at 300ms", elapsed)
	}
	if id == "" || !reflect.DeepEqual(p.ids, []string{id}) || p.nextMarker != dynamo.EventID(2) {
		t.Fatalf("ids %v next_marker %v, want [%s] and %s", p.ids, p.nextMarker, id, dynamo.EventID(2))
	}
	if _, _, rectify, reads := feed.snapshot(); len(rectify) != 1 || len(reads) < 2 {
		t.Fatalf("%d Rectify calls and %d reads, want 1 Rectify and a read per poll", len(rectify), len(reads))
	}
}

// A filtered long poll is woken by a matching event only, and reports it.
func TestEventsLongPollFiltered(t *testing.T) {
	t.Parallel()
	h, feed := newEventsHarness(t)
	feed.add(h.clock.Now(), registry.EventServiceJoin, `{}`)
	time.AfterFunc(200*time.Millisecond, func() { feed.add(time.Now(), registry.EventServiceJoin, `{}`) })
	time.AfterFunc(600*time.Millisecond, func() { feed.add(time.Now(), registry.EventServiceRemove, `{}`) })
	start := time.Now()
	p := readEventsPage(t, h.do("GET", eventsPath+"?wait=5&type=service.remove&marker="+dynamo.EventID(1), ""))
	elapsed := time.Since(start)
	if elapsed < 550*time.Millisecond || elapsed > 3*time.Second {
		t.Fatalf("answered after %v, want soon after the matching event at 600ms", elapsed)
	}
	if want := []string{dynamo.EventID(3)}; !reflect.DeepEqual(p.ids, want) || p.nextMarker != dynamo.EventID(4) {
		t.Fatalf("ids %v next_marker %v, want %v and %s", p.ids, p.nextMarker, want, dynamo.EventID(4))
	}
	// Each poll resumes after what the last one passed over.
	_, _, _, reads := feed.snapshot()
	if last := reads[len(reads)-1]; last.From != dynamo.EventID(3) || last.Type != registry.EventServiceRemove {
		t.Fatalf("last poll read %+v, want from %s (past the non-matching events)", last, dynamo.EventID(3))
	}
}

func TestEventsLongPollTimesOutEmpty(t *testing.T) {
	t.Parallel()
	h, feed := newEventsHarness(t)
	start := time.Now()
	p := readEventsPage(t, h.do("GET", eventsPath+"?wait=1", ""))
	elapsed := time.Since(start)
	// The handler stops polling when the next poll would be past the
	// deadline, so it may answer up to one poll interval (250ms) early.
	if elapsed < 700*time.Millisecond || elapsed > 3*time.Second {
		t.Fatalf("empty long poll answered after %v, want about 1s", elapsed)
	}
	if len(p.ids) != 0 || p.count != 0 || p.nextMarker != dynamo.EventID(1) || p.nextHref != nil {
		t.Fatalf("ids %v next_marker %v next_href %v, want an empty page at %s", p.ids, p.nextMarker, p.nextHref, dynamo.EventID(1))
	}
	if _, _, rectify, reads := feed.snapshot(); len(rectify) != 1 || len(reads) < 2 {
		t.Fatalf("%d Rectify calls and %d reads, want 1 Rectify and several polls", len(rectify), len(reads))
	}
}

// When no event is at or after the marker, the request is held until one
// arrives or the whole wait has passed.
func TestEventsLongPollHoldsFullWait(t *testing.T) {
	t.Parallel()
	h, _ := newEventsHarness(t)
	start := time.Now()
	readEventsPage(t, h.do("GET", eventsPath+"?wait=1", ""))
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Fatalf("empty long poll with wait=1 answered after %v, want at least 1s", elapsed)
	}
}

// Without wait, an empty page is answered at once, after one read.
func TestEventsNoWaitAnswersAtOnce(t *testing.T) {
	h, feed := newEventsHarness(t)
	start := time.Now()
	p := readEventsPage(t, h.do("GET", eventsPath, ""))
	if elapsed := time.Since(start); elapsed > time.Second || len(p.ids) != 0 {
		t.Fatalf("answered %v after %v, want an empty page at once", p.ids, elapsed)
	}
	if n := feed.readCount(); n != 1 {
		t.Fatalf("%d reads, want 1", n)
	}
}

// A client that gives up on a long poll stops the polling.
func TestEventsLongPollStopsWhenClientLeaves(t *testing.T) {
	t.Parallel()
	h, feed := newEventsHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+eventsPath+"?wait=20", nil)
	req.Header.Set("X-Auth-Token", "tok-acme")
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("got %d, want the client to time out", res.StatusCode)
	}
	time.Sleep(600 * time.Millisecond)
	n := feed.readCount()
	time.Sleep(800 * time.Millisecond)
	if m := feed.readCount(); m != n {
		t.Fatalf("reads went from %d to %d after the client left", n, m)
	}
}

func TestEventsRectifyOncePerRequest(t *testing.T) {
	h, feed := newEventsHarness(t)
	t0 := h.clock.Now()
	readEventsPage(t, h.do("GET", eventsPath, ""))
	h.clock.Advance(time.Minute)
	readEventsPage(t, h.do("GET", eventsPath+"?marker="+dynamo.EventID(1), ""))
	calls, _, rectify, _ := feed.snapshot()
	if want := []time.Time{t0, t0.Add(time.Minute)}; !reflect.DeepEqual(rectify, want) {
		t.Fatalf("Rectify at %v, want %v (once per request, at the server's now)", rectify, want)
	}
	// Rectify comes first, for the token's tenant.
	if want := []string{"rectify acme", "since acme", "read acme", "rectify acme", "read acme"}; !reflect.DeepEqual(calls, want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
}

func TestEventsFeedErrors(t *testing.T) {
	unavailable := registry.Unavailable(errors.New("throttled"))
	cases := []struct {
		name   string
		set    func(f *fakeEventFeed)
		status int
		typ    string
		calls  []string
	}{
		{"rectify unavailable", func(f *fakeEventFeed) { f.rectifyErr = unavailable },
			503, "systemFailureError", []string{"rectify acme"}},
		{"rectify unavailable, joined", func(f *fakeEventFeed) { f.rectifyErr = errors.Join(nil, unavailable) },
			503, "systemFailureError", []string{"rectify acme"}},
		{"rectify bug", func(f *fakeEventFeed) { f.rectifyErr = errors.New("nil map") },
			500, "internalError", []string{"rectify acme"}},
		{"since unavailable", func(f *fakeEventFeed) { f.sinceErr = unavailable },
			503, "systemFailureError", []string{"rectify acme", "since acme"}},
		{"read unavailable", func(f *fakeEventFeed) { f.readErr = unavailable },
			503, "systemFailureError", []string{"rectify acme", "since acme", "read acme"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, feed := newEventsHarness(t)
			tc.set(feed)
			r := h.do("GET", eventsPath+"?wait=2", "")
			r.fault(t, tc.status, tc.typ)
			if strings.Contains(r.raw, "throttled") || strings.Contains(r.raw, "nil map") {
				t.Fatalf("the cause leaked to the client: %s", r.raw)
			}
			if calls, _, _, _ := feed.snapshot(); !reflect.DeepEqual(calls, tc.calls) {
				t.Fatalf("calls %v, want %v", calls, tc.calls)
			}
		})
	}
}

func TestEventsAuth(t *testing.T) {
	h, feed := newEventsHarness(t)
	h.do("GET", eventsPath, "", "X-Auth-Token", "tok-globex").fault(t, http.StatusForbidden, "forbiddenError")
	h.do("GET", eventsPath, "", "X-Auth-Token", "nope").fault(t, http.StatusUnauthorized, "unauthorizedError")
	h.do("POST", eventsPath, "").fault(t, http.StatusMethodNotAllowed, "methodNotAllowed")
	if calls, _, _, _ := feed.snapshot(); len(calls) != 0 {
		t.Fatalf("an unauthorised request reached the feed: %v", calls)
	}
	// globex reads its own feed: the tenant passed down is the token's.
	readEventsPage(t, h.do("GET", "/v1.0/globex/events", "", "X-Auth-Token", "tok-globex"))
	if calls, _, _, _ := feed.snapshot(); len(calls) == 0 || calls[0] != "rectify globex" || calls[len(calls)-1] != "read globex" {
		t.Fatalf("calls %v, want them for globex", calls)
	}
}
