package e2e

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSessionLifecycle(t *testing.T) {
	c := newClient(t)
	id, token := c.createSession(`{"heartbeat_timeout": 30, "metadata": {"host": "db-1"}}`)

	r := c.call("GET", "/sessions/"+id, "").want(t, 200)
	if r.body["id"] != id || r.body["heartbeat_timeout"] != float64(30) || r.body["last_seen"] != nil ||
		r.body["metadata"].(map[string]any)["host"] != "db-1" {
		t.Fatalf("get: %s", r.raw)
	}

	// Two heartbeats, each with the token the one before handed out.
	before := time.Now().UnixMilli()
	for range 2 {
		r = c.call("POST", "/sessions/"+id+"/heartbeat", `{"token":"`+token+`"}`).want(t, 200)
		next, _ := r.body["token"].(string)
		if next == "" || next == token {
			t.Fatalf("heartbeat answered %s", r.raw)
		}
		token = next
	}
	r = c.call("GET", "/sessions/"+id, "").want(t, 200)
	if seen, _ := r.body["last_seen"].(float64); int64(seen) < before-5000 {
		t.Fatalf("last_seen after heartbeats: %s", r.raw)
	}

	c.call("POST", "/sessions/"+id+"/heartbeat", `{"token":"not-a-token"}`).fault(t, 400, "badRequest")

	c.call("PUT", "/sessions/"+id, `{"heartbeat_timeout": 60, "metadata": {"role": "replica"}}`).want(t, 204)
	r = c.call("GET", "/sessions/"+id, "").want(t, 200)
	if md := r.body["metadata"].(map[string]any); r.body["heartbeat_timeout"] != float64(60) || len(md) != 1 || md["role"] != "replica" {
		t.Fatalf("after update: %s", r.raw)
	}

	c.call("DELETE", "/sessions/"+id, "").want(t, 204)
	c.call("GET", "/sessions/"+id, "").fault(t, 404, "notFoundError")
	c.call("POST", "/sessions/"+id+"/heartbeat", `{"token":"`+token+`"}`).fault(t, 404, "notFoundError")
}

// A retried heartbeat (its answer lost) gets the current token back; two
// concurrent heartbeats with one token end holding the same token.
func TestHeartbeatRetryAndRace(t *testing.T) {
	c := newClient(t)
	id, token := c.createSession(`{"heartbeat_timeout": 30}`)
	var wg sync.WaitGroup
	got := make([]response, 2)
	for i := range got {
		wg.Go(func() { got[i] = c.call("POST", "/sessions/"+id+"/heartbeat", `{"token":"`+token+`"}`) })
	}
	wg.Wait()
	got[0].want(t, 200)
	got[1].want(t, 200)
	if got[0].body["token"] != got[1].body["token"] {
		t.Fatalf("concurrent heartbeats left two tokens: %s and %s", got[0].raw, got[1].raw)
	}
	current := got[0].body["token"].(string)
	// Retry with the replaced token once more: still the current one.
	r := c.call("POST", "/sessions/"+id+"/heartbeat", `{"token":"`+token+`"}`).want(t, 200)
	if r.body["token"] != current {
		t.Fatalf("retry answered %s, want token %q", r.raw, current)
	}
	// The current token still works and rotates.
	r = c.call("POST", "/sessions/"+id+"/heartbeat", `{"token":"`+current+`"}`).want(t, 200)
	if r.body["token"] == current {
		t.Fatal("heartbeat with the current token did not rotate it")
	}
	// Now the first token is two behind.
	c.call("POST", "/sessions/"+id+"/heartbeat", `{"token":"`+token+`"}`).fault(t, 400, "badRequest")
}

// Dead means dead at the deadline, whether or not the sweeper got to it yet
// (the unit and store tests pin down the case where nothing cleaned up).
func TestSessionDeadAtDeadline(t *testing.T) {
	c := newClient(t)
	id, token := c.createSession(`{"heartbeat_timeout": 3}`)
	c.call("GET", "/sessions/"+id, "").want(t, 200)
	time.Sleep(3100 * time.Millisecond)
	c.call("GET", "/sessions/"+id, "").fault(t, 404, "notFoundError")
	c.call("POST", "/sessions/"+id+"/heartbeat", `{"token":"`+token+`"}`).fault(t, 404, "notFoundError")
	c.call("PUT", "/sessions/"+id, `{"heartbeat_timeout": 30}`).fault(t, 404, "notFoundError")
	r := c.call("GET", "/sessions?limit=1000", "").want(t, 200)
	for _, v := range r.body["values"].([]any) {
		if v.(map[string]any)["id"] == id {
			t.Fatal("the dead session is listed")
		}
	}
}

// Paging by next_href, which must be a URL the client can follow as given.
func TestSessionPagination(t *testing.T) {
	c := otherTenant(t, newClient(t)) // an empty tenant: the list is exactly ours
	want := map[string]bool{}
	for range 5 {
		id, _ := c.createSession(`{"heartbeat_timeout": 60}`)
		want[id] = true
	}
	c.call("GET", "/sessions?limit=0", "").fault(t, 400, "invalidLimit")
	c.call("GET", "/sessions?limit=x", "").fault(t, 400, "invalidLimit")
	seen := map[string]bool{}
	next := "/sessions?limit=2"
	for page := 0; next != ""; page++ {
		if page > 5 {
			t.Fatal("too many pages")
		}
		r := c.call("GET", next, "").want(t, 200)
		for _, v := range r.body["values"].([]any) {
			id := v.(map[string]any)["id"].(string)
			if seen[id] || !want[id] {
				t.Fatalf("unexpected or repeated %q", id)
			}
			seen[id] = true
		}
		md := r.body["metadata"].(map[string]any)
		next = ""
		if href, ok := md["next_href"].(string); ok {
			if !strings.HasPrefix(href, c.base+"/sessions?") {
				t.Fatalf("next_href %q is not below %q", href, c.base)
			}
			next = href
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("paged through %d sessions, want %d", len(seen), len(want))
	}
}

func TestFaults(t *testing.T) {
	c := newClient(t)
	id, _ := c.createSession(`{"heartbeat_timeout": 30}`)
	other := otherTenant(t, c)

	c.call("GET", "/sessions", "", "X-Auth-Token", "").fault(t, 401, "unauthorizedError")
	c.call("GET", "/sessions", "", "X-Auth-Token", "wrong").fault(t, 401, "unauthorizedError")
	// A valid token on another tenant's path: forbidden, whatever the id.
	other.call("GET", c.base+"/sessions/"+id, "").fault(t, 403, "forbiddenError")
	other.call("GET", c.base+"/sessions", "").fault(t, 403, "forbiddenError")
	// Through its own path the other tenant cannot see the session.
	other.call("GET", "/sessions/"+id, "").fault(t, 404, "notFoundError")

	c.call("POST", "/sessions", `{"heartbeat_timeout": 1}`).fault(t, 400, "badRequest")
	c.call("POST", "/sessions", `{"heartbeat_timeout": 10`).fault(t, 400, "badRequest")
	c.call("POST", "/sessions", `{"heartbeat_timeout": 10, "metadata": {"a": "`+strings.Repeat("x", 70_000)+`"}}`).
		fault(t, 413, "requestTooLargeError")
	c.call("GET", "/no-such-route", "").fault(t, 404, "notFoundError")
	r := c.call("PATCH", "/sessions/"+id, "")
	r.fault(t, 405, "methodNotAllowed")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "PUT") {
		t.Fatalf("Allow = %q", allow)
	}
	c.call("GET", "/sessions/"+id, "").want(t, 200)
	if r := c.call("GET", "/sessions/"+id, ""); r.header.Get("X-Txn-Id") == "" {
		t.Fatal("no X-Txn-Id header")
	}
}
