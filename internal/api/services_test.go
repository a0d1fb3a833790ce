package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

func (h *harness) createService(body string) {
	h.t.Helper()
	if r := h.do("POST", "/v1.0/acme/services", body); r.status != http.StatusCreated {
		h.t.Fatalf("create service: %d %s", r.status, r.raw)
	}
}

func TestServiceLifecycle(t *testing.T) {
	h := newHarness(t)
	sid, _ := h.createSession(`{"heartbeat_timeout": 30}`)
	r := h.do("POST", "/v1.0/acme/services", `{"id": "db.Primary-1", "session_id": "`+sid+`", "tags": ["mysql", "mysql", "primary"], "metadata": {"port": "3306"}}`)
	if r.status != 201 || r.header.Get("Location") != h.srv.URL+"/v1.0/acme/services/db.Primary-1" {
		t.Fatalf("create: %d %s Location=%q", r.status, r.raw, r.header.Get("Location"))
	}
	r = h.do("GET", "/v1.0/acme/services/db.Primary-1", "")
	if r.status != 200 || r.body["session_id"] != sid || fmt.Sprint(r.body["tags"]) != "[mysql primary]" ||
		r.body["metadata"].(map[string]any)["port"] != "3306" {
		t.Fatalf("get: %d %s", r.status, r.raw)
	}
	h.do("POST", "/v1.0/acme/services", `{"id": "db.Primary-1", "session_id": "`+sid+`"}`).fault(t, 400, "serviceWithThisIdExists")

	if r = h.do("PUT", "/v1.0/acme/services/db.Primary-1", `{"tags": ["replica"]}`); r.status != 204 {
		t.Fatalf("update: %d %s", r.status, r.raw)
	}
	r = h.do("GET", "/v1.0/acme/services?tag=replica", "")
	if vals := r.body["values"].([]any); len(vals) != 1 || vals[0].(map[string]any)["metadata"].(map[string]any)["port"] != "3306" {
		t.Fatalf("list by the new tag: %s", r.raw)
	}
	if r = h.do("GET", "/v1.0/acme/services?tag=mysql", ""); len(r.body["values"].([]any)) != 0 {
		t.Fatalf("list by the old tag: %s", r.raw)
	}
	h.do("PUT", "/v1.0/acme/services/db.Primary-1", `{"session_id": "`+sid+`"}`).fault(t, 400, "badRequest")

	if r = h.do("DELETE", "/v1.0/acme/services/db.Primary-1", ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	h.do("GET", "/v1.0/acme/services/db.Primary-1", "").fault(t, 404, "notFoundError")
	h.do("DELETE", "/v1.0/acme/services/db.Primary-1", "").fault(t, 404, "notFoundError")
}

// A service lives exactly as long as its session: at the deadline it is gone,
// with nothing having cleaned it up; a dead or unknown session takes no new
// service.
func TestServiceDiesWithSession(t *testing.T) {
	h := newHarness(t)
	sid, _ := h.createSession(`{"heartbeat_timeout": 3}`)
	h.createService(`{"id": "web-1", "session_id": "` + sid + `", "tags": ["web"]}`)
	h.clock.Advance(3 * time.Second)
	h.do("GET", "/v1.0/acme/services/web-1", "").fault(t, 404, "notFoundError")
	for _, path := range []string{"/v1.0/acme/services", "/v1.0/acme/services?tag=web", "/v1.0/acme/views/overview"} {
		if r := h.do("GET", path, ""); len(r.body["values"].([]any)) != 0 {
			t.Fatalf("%s after the session died: %s", path, r.raw)
		}
	}
	r := h.do("POST", "/v1.0/acme/services", `{"id": "web-2", "session_id": "`+sid+`"}`)
	r.fault(t, 404, "notFoundError")
	if !strings.Contains(r.body["details"].(string), sid) {
		t.Fatalf("the fault does not name the session: %s", r.raw)
	}
	h.do("POST", "/v1.0/acme/services", `{"id": "web-3", "session_id": "nosuchsession"}`).fault(t, 404, "notFoundError")
}

func TestServiceValidation(t *testing.T) {
	h := newHarness(t)
	sid, _ := h.createSession(`{"heartbeat_timeout": 30}`)
	h.createService(`{"id": "svc-1", "session_id": "` + sid + `", "tags": ["a"]}`)
	tags11 := `["1","2","3","4","5","6","7","8","9","10","11"]`
	cases := []struct{ name, method, path, body string }{
		{"missing id", "POST", "/v1.0/acme/services", `{"session_id": "` + sid + `"}`},
		{"id too short", "POST", "/v1.0/acme/services", `{"id": "ab", "session_id": "` + sid + `"}`},
		{"id too long", "POST", "/v1.0/acme/services", `{"id": "` + strings.Repeat("a", 66) + `", "session_id": "` + sid + `"}`},
		{"id with a slash", "POST", "/v1.0/acme/services", `{"id": "a/b/c", "session_id": "` + sid + `"}`},
		{"id with a space", "POST", "/v1.0/acme/services", `{"id": "a b c", "session_id": "` + sid + `"}`},
		{"missing session", "POST", "/v1.0/acme/services", `{"id": "svc-2"}`},
		{"malformed session id", "POST", "/v1.0/acme/services", `{"id": "svc-2", "session_id": "NOT-VALID!"}`},
		{"too many tags", "POST", "/v1.0/acme/services", `{"id": "svc-2", "session_id": "` + sid + `", "tags": ` + tags11 + `}`},
		{"empty tag", "POST", "/v1.0/acme/services", `{"id": "svc-2", "session_id": "` + sid + `", "tags": [""]}`},
		{"tag too long", "POST", "/v1.0/acme/services", `{"id": "svc-2", "session_id": "` + sid + `", "tags": ["` + strings.Repeat("t", 56) + `"]}`},
		{"tag not a string", "POST", "/v1.0/acme/services", `{"id": "svc-2", "session_id": "` + sid + `", "tags": [1]}`},
		{"bad metadata", "POST", "/v1.0/acme/services", `{"id": "svc-2", "session_id": "` + sid + `", "metadata": {"k": ""}}`},
		{"empty update", "PUT", "/v1.0/acme/services/svc-1", `{}`},
		{"update with bad tags", "PUT", "/v1.0/acme/services/svc-1", `{"tags": "a"}`},
		{"bad tag filter", "GET", "/v1.0/acme/services?tag=", ``},
		{"bad marker", "GET", "/v1.0/acme/services?marker=a/b", ``},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { h.do(c.method, c.path, c.body).fault(t, 400, "badRequest") })
	}
	r := h.do("GET", "/v1.0/acme/services", "")
	if vals := r.body["values"].([]any); len(vals) != 1 || fmt.Sprint(vals[0].(map[string]any)["tags"]) != "[a]" {
		t.Fatalf("a rejected request changed the services: %s", r.raw)
	}
}

func TestCloseSessionRemovesServices(t *testing.T) {
	h := newHarness(t)
	sid, _ := h.createSession(`{"heartbeat_timeout": 30}`)
	h.createService(`{"id": "svc-1", "session_id": "` + sid + `"}`)
	h.createService(`{"id": "svc-2", "session_id": "` + sid + `"}`)
	if r := h.do("DELETE", "/v1.0/acme/sessions/"+sid, ""); r.status != 204 {
		t.Fatalf("close: %d %s", r.status, r.raw)
	}
	h.do("GET", "/v1.0/acme/services/svc-1", "").fault(t, 404, "notFoundError")
	r := h.do("GET", "/v1.0/acme/limits", "")
	if used := r.body["resource_used"].(map[string]any); used["service"] != float64(0) || used["session"] != float64(0) {
		t.Fatalf("usage after close: %s", r.raw)
	}
}

func TestOverview(t *testing.T) {
	h := newHarness(t)
	s1, _ := h.createSession(`{"heartbeat_timeout": 30}`)
	s2, _ := h.createSession(`{"heartbeat_timeout": 30}`)
	h.createService(`{"id": "svc-a", "session_id": "` + s1 + `"}`)
	h.createService(`{"id": "svc-b", "session_id": "` + s1 + `"}`)
	r := h.do("GET", "/v1.0/acme/views/overview", "")
	if r.status != 200 || r.body["metadata"].(map[string]any)["count"] != float64(2) {
		t.Fatalf("overview: %d %s", r.status, r.raw)
	}
	for _, v := range r.body["values"].([]any) {
		ov := v.(map[string]any)
		id := ov["session"].(map[string]any)["id"]
		n := len(ov["services"].([]any))
		if (id == s1 && n != 2) || (id == s2 && n != 0) {
			t.Fatalf("session %s has %d services: %s", id, n, r.raw)
		}
	}
	r = h.do("GET", "/v1.0/acme/views/overview?limit=1", "")
	if r.body["metadata"].(map[string]any)["next_href"] == nil {
		t.Fatalf("overview with limit 1 has no next page: %s", r.raw)
	}
}

func TestLimits(t *testing.T) {
	h := newHarness(t)
	r := h.do("GET", "/v1.0/acme/limits", "")
	res := r.body["resource"].(map[string]any)
	if r.status != 200 || res["session"] != float64(100) || res["service"] != float64(200) || res["configuration_value"] != float64(1000) {
		t.Fatalf("limits: %d %s", r.status, r.raw)
	}
	rate := r.body["rate"].(map[string]any)["/.*"].(map[string]any)
	if rate["limit"] != float64(50000) || rate["window"] != "24.0 hours" {
		t.Fatalf("rate: %s", r.raw)
	}

	h.store.SetLimit(context.Background(), "acme", registry.ResourceSession, 1)
	h.createSession(`{"heartbeat_timeout": 30}`)
	r = h.do("POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 30}`)
	r.fault(t, 400, "limitReached")
	r = h.do("GET", "/v1.0/acme/limits", "")
	if r.body["resource"].(map[string]any)["session"] != float64(1) || r.body["resource_used"].(map[string]any)["session"] != float64(1) {
		t.Fatalf("limits after override: %s", r.raw)
	}
}
