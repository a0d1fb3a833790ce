package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestServiceLifecycle(t *testing.T) {
	c := otherTenant(t, newClient(t))
	sid, _ := c.createSession(`{"heartbeat_timeout": 30}`)
	r := c.call("POST", "/services", `{"id": "db-1", "session_id": "`+sid+`", "tags": ["mysql", "primary"], "metadata": {"port": "3306"}}`).want(t, 201)
	if loc := r.header.Get("Location"); loc != c.base+"/services/db-1" {
		t.Fatalf("Location = %q", loc)
	}
	c.call("POST", "/services", `{"id": "db-2", "session_id": "`+sid+`", "tags": ["mysql"]}`).want(t, 201)
	c.call("POST", "/services", `{"id": "db-1", "session_id": "`+sid+`"}`).fault(t, 400, "serviceWithThisIdExists")

	r = c.call("GET", "/services/db-1", "").want(t, 200)
	if r.body["session_id"] != sid || fmt.Sprint(r.body["tags"]) != "[mysql primary]" {
		t.Fatalf("get: %s", r.raw)
	}
	r = c.call("GET", "/services?tag=primary", "").want(t, 200)
	if vals := r.body["values"].([]any); len(vals) != 1 || vals[0].(map[string]any)["id"] != "db-1" {
		t.Fatalf("list by tag: %s", r.raw)
	}
	// Paging a tag filter by next_href.
	r = c.call("GET", "/services?tag=mysql&limit=1", "").want(t, 200)
	href, _ := r.body["metadata"].(map[string]any)["next_href"].(string)
	if href == "" {
		t.Fatalf("no next page: %s", r.raw)
	}
	r = c.call("GET", href, "").want(t, 200)
	if vals := r.body["values"].([]any); len(vals) != 1 || vals[0].(map[string]any)["id"] != "db-2" {
		t.Fatalf("second page: %s", r.raw)
	}

	c.call("PUT", "/services/db-1", `{"tags": ["replica"], "metadata": {"port": "3307"}}`).want(t, 204)
	r = c.call("GET", "/services?tag=replica", "").want(t, 200)
	if vals := r.body["values"].([]any); len(vals) != 1 || vals[0].(map[string]any)["metadata"].(map[string]any)["port"] != "3307" {
		t.Fatalf("after update: %s", r.raw)
	}

	r = c.call("GET", "/views/overview", "").want(t, 200)
	if vals := r.body["values"].([]any); len(vals) != 1 || len(vals[0].(map[string]any)["services"].([]any)) != 2 {
		t.Fatalf("overview: %s", r.raw)
	}

	c.call("DELETE", "/services/db-2", "").want(t, 204)
	c.call("GET", "/services/db-2", "").fault(t, 404, "notFoundError")
	// Closing the session takes its remaining services with it.
	c.call("DELETE", "/sessions/"+sid, "").want(t, 204)
	c.call("GET", "/services/db-1", "").fault(t, 404, "notFoundError")
	r = c.call("GET", "/limits", "").want(t, 200)
	if used := r.body["resource_used"].(map[string]any); used["service"] != float64(0) || used["session"] != float64(0) {
		t.Fatalf("usage after closing: %s", r.raw)
	}
}

// Services of a dead session vanish at its deadline, before any cleanup.
func TestServicesDieWithSession(t *testing.T) {
	c := otherTenant(t, newClient(t))
	sid, _ := c.createSession(`{"heartbeat_timeout": 3}`)
	c.call("POST", "/services", `{"id": "web-1", "session_id": "`+sid+`", "tags": ["web"]}`).want(t, 201)
	time.Sleep(3100 * time.Millisecond)
	c.call("GET", "/services/web-1", "").fault(t, 404, "notFoundError")
	for _, path := range []string{"/services", "/services?tag=web", "/views/overview"} {
		if r := c.call("GET", path, "").want(t, 200); len(r.body["values"].([]any)) != 0 {
			t.Fatalf("%s lists the dead session's service: %s", path, r.raw)
		}
	}
	c.call("POST", "/services", `{"id": "web-2", "session_id": "`+sid+`"}`).fault(t, 404, "notFoundError")
}

// Concurrent creates at the limit never overshoot it.
func TestLimitReachedUnderConcurrency(t *testing.T) {
	c := otherTenant(t, newClient(t))
	setLimit(t, c.tenant, "service", 3)
	sid, _ := c.createSession(`{"heartbeat_timeout": 30}`)
	const n = 8
	got := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got[i] = c.call("POST", "/services", fmt.Sprintf(`{"id": "svc-%d", "session_id": %q}`, i, sid))
		})
	}
	wg.Wait()
	created := 0
	for _, r := range got {
		switch r.status {
		case 201:
			created++
		default:
			r.fault(t, 400, "limitReached")
		}
	}
	if created != 3 {
		t.Fatalf("%d services created under a limit of 3", created)
	}
	r := c.call("GET", "/limits", "").want(t, 200)
	if r.body["resource"].(map[string]any)["service"] != float64(3) || r.body["resource_used"].(map[string]any)["service"] != float64(3) {
		t.Fatalf("limits: %s", r.raw)
	}
	if vals := c.call("GET", "/services", "").want(t, 200).body["values"].([]any); len(vals) != 3 {
		t.Fatalf("%d services listed, want 3", len(vals))
	}
}
