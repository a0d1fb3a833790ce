package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

type feedEvent struct {
	ID        string          `json:"id"`
	Timestamp int64           `json:"timestamp"`
	Type      string          `json:"type"`
	Payload   json.RawMessage `json:"payload"`
}

// follower reads a tenant's feed as a consumer does: always from the
// next_marker it was given.
type follower struct {
	c    *client
	next string
	seen map[string]bool
}

func follow(t *testing.T, c *client) *follower {
	r := c.call("GET", "/events", "").want(t, 200)
	next, _ := r.body["metadata"].(map[string]any)["next_marker"].(string)
	if next == "" {
		t.Fatalf("no next_marker: %s", r.raw)
	}
	return &follower{c: c, next: next, seen: map[string]bool{}}
}

// await long-polls until n more events arrived (or a minute passed) and
// returns them.
func (f *follower) await(t *testing.T, n int) []feedEvent {
	t.Helper()
	var got []feedEvent
	for deadline := time.Now().Add(time.Minute); len(got) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d events, got %d: %+v", n, len(got), got)
		}
		r := f.c.call("GET", "/events?wait=10&marker="+f.next, "").want(t, 200)
		var page struct {
			Values   []feedEvent `json:"values"`
			Metadata struct {
				NextMarker string `json:"next_marker"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(r.raw), &page); err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Values {
			if f.seen[ev.ID] {
				t.Fatalf("event %s delivered twice", ev.ID)
			}
			f.seen[ev.ID] = true
		}
		got = append(got, page.Values...)
		if page.Metadata.NextMarker == "" {
			t.Fatalf("no next_marker: %s", r.raw)
		}
		f.next = page.Metadata.NextMarker
	}
	return got
}

func types(evs []feedEvent) string {
	var s []string
	for _, ev := range evs {
		s = append(s, ev.Type)
	}
	return strings.Join(s, ",")
}

// Every change is an event, in order, once: a service joining and leaving,
// a value set twice and removed, and a session dying with its services.
func TestEventsFeed(t *testing.T) {
	c := otherTenant(t, newClient(t))
	f := follow(t, c)

	sid, _ := c.createSession(`{"heartbeat_timeout": 30}`)
	c.call("POST", "/services", `{"id": "api-1", "session_id": "`+sid+`", "tags": ["http"]}`).want(t, 201)
	c.call("DELETE", "/services/api-1", "").want(t, 204)
	evs := f.await(t, 2)
	if types(evs) != "service.join,service.remove" {
		t.Fatalf("events: %s", types(evs))
	}
	var svc map[string]any
	json.Unmarshal(evs[0].Payload, &svc)
	if svc["id"] != "api-1" || svc["session_id"] != sid || fmt.Sprint(svc["tags"]) != "[http]" {
		t.Fatalf("service.join payload: %s", evs[0].Payload)
	}

	c.call("PUT", "/configuration/production/cassandra/listen_ip", `{"value": "a"}`).want(t, 204)
	c.call("PUT", "/configuration/production/cassandra/listen_ip", `{"value": "b"}`).want(t, 204)
	c.call("DELETE", "/configuration/production/cassandra/listen_ip", "").want(t, 204)
	evs = f.await(t, 3)
	if types(evs) != "configuration_value.update,configuration_value.update,configuration_value.remove" {
		t.Fatalf("events: %s", types(evs))
	}
	for i, want := range []string{
		`{"configuration_value_id":"/production/cassandra/listen_ip","old_value":null,"new_value":"a"}`,
		`{"configuration_value_id":"/production/cassandra/listen_ip","old_value":"a","new_value":"b"}`,
		`{"configuration_value_id":"/production/cassandra/listen_ip","old_value":"b"}`,
	} {
		if string(evs[i].Payload) != want {
			t.Fatalf("event %d payload %s, want %s", i, evs[i].Payload, want)
		}
	}

	// Closing a session reports each service it held as removed.
	closing, _ := c.createSession(`{"heartbeat_timeout": 30}`)
	c.call("POST", "/services", `{"id": "c-1", "session_id": "`+closing+`"}`).want(t, 201)
	c.call("DELETE", "/sessions/"+closing, "").want(t, 204)
	if evs = f.await(t, 2); types(evs) != "service.join,service.remove" || !strings.Contains(string(evs[1].Payload), `"c-1"`) {
		t.Fatalf("closing a session: %s %s", types(evs), evs[len(evs)-1].Payload)
	}

	// A session that stops heartbeating: one services.timeout with its
	// services, and nothing else (no service.remove for them).
	dying, _ := c.createSession(`{"heartbeat_timeout": 3}`)
	for _, id := range []string{"w-1", "w-2"} {
		c.call("POST", "/services", `{"id": "`+id+`", "session_id": "`+dying+`"}`).want(t, 201)
	}
	evs = f.await(t, 3)
	if types(evs) != "service.join,service.join,services.timeout" {
		t.Fatalf("events: %s", types(evs))
	}
	var gone []map[string]any
	json.Unmarshal(evs[2].Payload, &gone)
	if len(gone) != 2 || gone[0]["session_id"] != dying {
		t.Fatalf("services.timeout payload: %s", evs[2].Payload)
	}
	// Nothing more arrives for that death.
	r := c.call("GET", "/events?wait=3&marker="+f.next, "").want(t, 200)
	if n := r.body["metadata"].(map[string]any)["count"]; n != float64(0) {
		t.Fatalf("more events after the timeout: %s", r.raw)
	}
	c.call("GET", "/services/w-1", "").fault(t, 404, "notFoundError")
}

func TestEventsQuery(t *testing.T) {
	c := otherTenant(t, newClient(t))
	f := follow(t, c)
	c.call("PUT", "/configuration/k-one", `{"value": "1"}`).want(t, 204)
	c.call("DELETE", "/configuration/k-one", "").want(t, 204)
	f.await(t, 2)

	// The last hour, without a marker; a type filter; the marker is inclusive.
	r := c.call("GET", "/events", "").want(t, 200)
	if r.body["metadata"].(map[string]any)["count"] != float64(2) || r.body["metadata"].(map[string]any)["marker"] != nil {
		t.Fatalf("last hour: %s", r.raw)
	}
	first := r.body["values"].([]any)[0].(map[string]any)["id"].(string)
	r = c.call("GET", "/events?type=configuration_value.remove&marker="+first, "").want(t, 200)
	if vals := r.body["values"].([]any); len(vals) != 1 || vals[0].(map[string]any)["type"] != "configuration_value.remove" {
		t.Fatalf("type filter: %s", r.raw)
	}
	r = c.call("GET", "/events?limit=1&marker="+first, "").want(t, 200)
	if vals := r.body["values"].([]any); len(vals) != 1 || vals[0].(map[string]any)["id"] != first ||
		r.body["metadata"].(map[string]any)["next_href"] == nil {
		t.Fatalf("marker is not inclusive or no next page: %s", r.raw)
	}

	c.call("GET", "/events?type=nope", "").fault(t, 400, "badRequest")
	c.call("GET", "/events?wait=21", "").fault(t, 400, "badRequest")
	c.call("GET", "/events?marker=zz", "").fault(t, 400, "badRequest")
	c.call("GET", "/events?limit=0", "").fault(t, 400, "invalidLimit")

	// A long poll with nothing to say answers empty after the wait.
	start := time.Now()
	r = c.call("GET", "/events?wait=2&marker="+f.next, "").want(t, 200)
	if took := time.Since(start); took < 1500*time.Millisecond || r.body["metadata"].(map[string]any)["count"] != float64(0) {
		t.Fatalf("empty long poll answered after %v: %s", took, r.raw)
	}
	if r.body["metadata"].(map[string]any)["next_marker"] != f.next {
		t.Fatalf("an empty page must hand back the same next_marker: %s", r.raw)
	}
}
