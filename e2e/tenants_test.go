package e2e

import (
	"strings"
	"testing"
)

// Tenants are walls: one tenant's requests never read, list, change or
// delete another's objects, never reveal them, and equal ids never collide.
func TestTenantsAreWalls(t *testing.T) {
	base := newClient(t)
	a, b := otherTenant(t, base), otherTenant(t, base)

	sa, tokenA := a.createSession(`{"heartbeat_timeout": 60, "metadata": {"owner": "a"}}`)
	sb, _ := b.createSession(`{"heartbeat_timeout": 60}`)
	// The same service id and configuration id in both tenants.
	a.call("POST", "/services", `{"id": "shared-svc", "session_id": "`+sa+`", "tags": ["a-only"]}`).want(t, 201)
	b.call("POST", "/services", `{"id": "shared-svc", "session_id": "`+sb+`", "tags": ["b-only"]}`).want(t, 201)
	a.call("PUT", "/configuration/shared/key-one", `{"value": "secret-of-a"}`).want(t, 204)
	b.call("PUT", "/configuration/shared/key-one", `{"value": "value-of-b"}`).want(t, 204)

	// Through its own path, b sees only its own objects.
	b.call("GET", "/sessions/"+sa, "").fault(t, 404, "notFoundError")
	b.call("PUT", "/sessions/"+sa, `{"heartbeat_timeout": 5}`).fault(t, 404, "notFoundError")
	b.call("POST", "/sessions/"+sa+"/heartbeat", `{"token": "`+tokenA+`"}`).fault(t, 404, "notFoundError")
	b.call("DELETE", "/sessions/"+sa, "").fault(t, 404, "notFoundError")
	b.call("POST", "/services", `{"id": "sneaky", "session_id": "`+sa+`"}`).fault(t, 404, "notFoundError")
	if r := b.call("GET", "/services/shared-svc", "").want(t, 200); r.body["session_id"] != sb {
		t.Fatalf("b's shared-svc: %s", r.raw)
	}
	if r := b.call("GET", "/configuration/shared/key-one", "").want(t, 200); r.body["value"] != "value-of-b" {
		t.Fatalf("b's value: %s", r.raw)
	}
	for _, path := range []string{"/sessions", "/services", "/services?tag=a-only", "/configuration",
		"/configuration/shared/", "/views/overview", "/events"} {
		r := b.call("GET", path, "").want(t, 200)
		if strings.Contains(r.raw, sa) || strings.Contains(r.raw, "a-only") || strings.Contains(r.raw, "secret-of-a") {
			t.Fatalf("b's %s reveals a's objects: %s", path, r.raw)
		}
	}

	// With a's tenant in the path, b's token is refused, revealing nothing.
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/sessions", ""},
		{"GET", "/sessions/" + sa, ""},
		{"POST", "/sessions", `{"heartbeat_timeout": 10}`},
		{"PUT", "/sessions/" + sa, `{"heartbeat_timeout": 5}`},
		{"POST", "/sessions/" + sa + "/heartbeat", `{"token": "` + tokenA + `"}`},
		{"DELETE", "/sessions/" + sa, ""},
		{"GET", "/services", ""},
		{"GET", "/services/shared-svc", ""},
		{"POST", "/services", `{"id": "x-svc", "session_id": "` + sa + `"}`},
		{"PUT", "/services/shared-svc", `{"tags": []}`},
		{"DELETE", "/services/shared-svc", ""},
		{"GET", "/configuration", ""},
		{"GET", "/configuration/shared/key-one", ""},
		{"PUT", "/configuration/shared/key-one", `{"value": "overwritten"}`},
		{"DELETE", "/configuration/shared/key-one", ""},
		{"GET", "/views/overview", ""},
		{"GET", "/limits", ""},
		{"GET", "/events", ""},
	} {
		r := b.call(req.method, a.base+req.path, req.body)
		r.fault(t, 403, "forbiddenError")
		if strings.Contains(r.raw, sa) || strings.Contains(r.raw, "secret-of-a") {
			t.Fatalf("%s %s: the 403 reveals a's objects: %s", req.method, req.path, r.raw)
		}
	}

	// a's objects are as a left them.
	if r := a.call("GET", "/sessions/"+sa, "").want(t, 200); r.body["heartbeat_timeout"] != float64(60) {
		t.Fatalf("a's session changed: %s", r.raw)
	}
	if r := a.call("GET", "/services/shared-svc", "").want(t, 200); r.body["session_id"] != sa || !strings.Contains(r.raw, "a-only") {
		t.Fatalf("a's service changed: %s", r.raw)
	}
	if r := a.call("GET", "/configuration/shared/key-one", "").want(t, 200); r.body["value"] != "secret-of-a" {
		t.Fatalf("a's value changed: %s", r.raw)
	}
	if r := a.call("GET", "/sessions", "").want(t, 200); r.body["metadata"].(map[string]any)["count"] != float64(1) {
		t.Fatalf("a's sessions: %s", r.raw)
	}
}
