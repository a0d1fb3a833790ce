package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/memstore"
	"github.com/service-registry/registry/internal/registry"
)

// tokens is a fake Authenticator: token → tenant.
type tokens map[string]string

func (t tokens) Authenticate(_ context.Context, token string) (string, error) {
	if tenant, ok := t[token]; ok {
		return tenant, nil
	}
	return "", registry.Errorf(registry.KindUnauthorized, "bad token")
}

type harness struct {
	t     *testing.T
	srv   *httptest.Server
	clock *registry.FakeClock
	store *memstore.Store
}

func newHarness(t *testing.T) *harness {
	clock := registry.NewFakeClock(time.UnixMilli(1_900_000_000_000))
	store := memstore.New()
	s := &api.Server{
		Sessions: store,
		Services: store,
		Account:  store,
		Auth:     tokens{"tok-acme": "acme", "tok-globex": "globex"},
		Now:      clock.Now,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, clock: clock, store: store}
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request as tenant acme unless headers say otherwise.
func (h *harness) do(method, path, body string, headers ...string) response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", "tok-acme")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			h.t.Fatalf("%s %s: body is not a JSON object: %q", method, path, raw)
		}
	}
	return out
}

// fault checks that r is a fault of the given status and type.
func (r response) fault(t *testing.T, status int, typ string) {
	t.Helper()
	if r.status != status || r.body["type"] != typ || r.body["code"] != float64(status) ||
		r.body["message"] == "" || r.body["txnId"] == "" {
		t.Fatalf("got %d %s, want a %d %s fault", r.status, r.raw, status, typ)
	}
	for _, k := range []string{"type", "code", "message", "details", "txnId"} {
		if _, ok := r.body[k]; !ok {
			t.Fatalf("fault lacks %q: %s", k, r.raw)
		}
	}
}

func (h *harness) createSession(body string) (id, token string) {
	h.t.Helper()
	r := h.do("POST", "/v1.0/acme/sessions", body)
	if r.status != http.StatusCreated {
		h.t.Fatalf("create session: %d %s", r.status, r.raw)
	}
	id, _ = r.body["id"].(string)
	token, _ = r.body["token"].(string)
	if loc := r.header.Get("Location"); loc != h.srv.URL+"/v1.0/acme/sessions/"+id {
		h.t.Fatalf("Location = %q", loc)
	}
	return id, token
}

func TestSessionLifecycle(t *testing.T) {
	h := newHarness(t)
	id, token := h.createSession(`{"heartbeat_timeout": 10, "metadata": {"host": "db-1"}}`)
	if id == "" || token == "" {
		t.Fatal("create answered no id or token")
	}

	r := h.do("GET", "/v1.0/acme/sessions/"+id, "")
	if r.status != 200 || r.body["id"] != id || r.body["heartbeat_timeout"] != float64(10) ||
		r.body["last_seen"] != nil || r.body["metadata"].(map[string]any)["host"] != "db-1" {
		t.Fatalf("get: %d %s", r.status, r.raw)
	}

	h.clock.Advance(5 * time.Second)
	r = h.do("POST", "/v1.0/acme/sessions/"+id+"/heartbeat", `{"token":"`+token+`"}`)
	next, _ := r.body["token"].(string)
	if r.status != 200 || next == "" || next == token {
		t.Fatalf("heartbeat: %d %s", r.status, r.raw)
	}
	r = h.do("GET", "/v1.0/acme/sessions/"+id, "")
	if r.body["last_seen"] != float64(h.clock.Now().UnixMilli()) {
		t.Fatalf("last_seen after heartbeat: %s", r.raw)
	}

	// The answer was lost; the client retries with the old token.
	r = h.do("POST", "/v1.0/acme/sessions/"+id+"/heartbeat", `{"token":"`+token+`"}`)
	if r.status != 200 || r.body["token"] != next {
		t.Fatalf("retried heartbeat: %d %s, want token %q", r.status, r.raw, next)
	}
	h.do("POST", "/v1.0/acme/sessions/"+id+"/heartbeat", `{"token":"wrong"}`).fault(t, 400, "badRequest")

	if r = h.do("PUT", "/v1.0/acme/sessions/"+id, `{"metadata": {"role": "replica"}}`); r.status != 204 || r.raw != "" {
		t.Fatalf("update: %d %s", r.status, r.raw)
	}
	r = h.do("GET", "/v1.0/acme/sessions/"+id, "")
	if md := r.body["metadata"].(map[string]any); len(md) != 1 || md["role"] != "replica" {
		t.Fatalf("metadata after update: %s", r.raw)
	}

	if r = h.do("DELETE", "/v1.0/acme/sessions/"+id, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	h.do("GET", "/v1.0/acme/sessions/"+id, "").fault(t, 404, "notFoundError")
}

// Dead means dead, at once: at the deadline every read and write is a 404,
// with no cleanup having run.
func TestSessionDeadAtDeadline(t *testing.T) {
	h := newHarness(t)
	id, token := h.createSession(`{"heartbeat_timeout": 3}`)
	h.clock.Advance(3*time.Second - time.Millisecond)
	if r := h.do("GET", "/v1.0/acme/sessions/"+id, ""); r.status != 200 {
		t.Fatalf("1 ms before the deadline: %d", r.status)
	}
	h.clock.Advance(time.Millisecond)
	h.do("GET", "/v1.0/acme/sessions/"+id, "").fault(t, 404, "notFoundError")
	h.do("POST", "/v1.0/acme/sessions/"+id+"/heartbeat", `{"token":"`+token+`"}`).fault(t, 404, "notFoundError")
	h.do("PUT", "/v1.0/acme/sessions/"+id, `{"heartbeat_timeout": 30}`).fault(t, 404, "notFoundError")
	h.do("DELETE", "/v1.0/acme/sessions/"+id, "").fault(t, 404, "notFoundError")
	r := h.do("GET", "/v1.0/acme/sessions", "")
	if r.status != 200 || r.body["metadata"].(map[string]any)["count"] != float64(0) {
		t.Fatalf("list after death: %s", r.raw)
	}
}

func TestSessionValidation(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createSession(`{"heartbeat_timeout": 30}`)
	long := strings.Repeat("x", 256)
	many := map[string]string{}
	for i := range 21 {
		many[string(rune('a'+i))] = "v"
	}
	manyJSON, _ := json.Marshal(many)
	cases := []struct {
		name, method, path, body string
	}{
		{"missing timeout", "POST", "/v1.0/acme/sessions", `{}`},
		{"timeout too small", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 2}`},
		{"timeout too large", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 121}`},
		{"timeout not an integer", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10.5}`},
		{"timeout a string", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": "10"}`},
		{"metadata value not a string", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10, "metadata": {"a": 1}}`},
		{"metadata value empty", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10, "metadata": {"a": ""}}`},
		{"metadata key too long", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10, "metadata": {"` + long + `": "v"}}`},
		{"metadata value too long", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10, "metadata": {"a": "` + long + `"}}`},
		{"too many metadata entries", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10, "metadata": ` + string(manyJSON) + `}`},
		{"unknown field", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10, "ttl": 5}`},
		{"duplicate key", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10, "heartbeat_timeout": 20}`},
		{"a field in another case", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10, "HEARTBEAT_TIMEOUT": 20}`},
		{"duplicate object-valued key", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10, "metadata": {}, "metadata": {}}`},
		{"null body", "POST", "/v1.0/acme/sessions", `null`},
		{"trailing data", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": 10} {}`},
		{"not an object", "POST", "/v1.0/acme/sessions", `[10]`},
		{"malformed", "POST", "/v1.0/acme/sessions", `{"heartbeat_timeout": `},
		{"empty body", "POST", "/v1.0/acme/sessions", ``},
		{"empty update", "PUT", "/v1.0/acme/sessions/" + id, `{}`},
		{"bad update timeout", "PUT", "/v1.0/acme/sessions/" + id, `{"heartbeat_timeout": 0}`},
		{"heartbeat without token", "POST", "/v1.0/acme/sessions/" + id + "/heartbeat", `{}`},
		{"heartbeat token not a string", "POST", "/v1.0/acme/sessions/" + id + "/heartbeat", `{"token": 5}`},
		{"heartbeat token with a Kelvin sign", "POST", "/v1.0/acme/sessions/" + id + "/heartbeat", "{\"to\u212aen\": \"x\"}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.do(c.method, c.path, c.body).fault(t, 400, "badRequest")
		})
	}
	// Nothing above changed the session.
	r := h.do("GET", "/v1.0/acme/sessions/"+id, "")
	if r.body["heartbeat_timeout"] != float64(30) || len(r.body["metadata"].(map[string]any)) != 0 {
		t.Fatalf("a rejected request changed the session: %s", r.raw)
	}
	if r := h.do("GET", "/v1.0/acme/sessions", ""); r.body["metadata"].(map[string]any)["count"] != float64(1) {
		t.Fatalf("a rejected create made a session: %s", r.raw)
	}
}

func TestSessionLimits413(t *testing.T) {
	h := newHarness(t)
	body := `{"heartbeat_timeout": 10, "metadata": {"a": "` + strings.Repeat("x", api.MaxBodyBytes) + `"}}`
	h.do("POST", "/v1.0/acme/sessions", body).fault(t, 413, "requestTooLargeError")
}

func TestAuth(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createSession(`{"heartbeat_timeout": 30}`)
	h.do("GET", "/v1.0/acme/sessions", "", "X-Auth-Token", "").fault(t, 401, "unauthorizedError")
	h.do("GET", "/v1.0/acme/sessions", "", "X-Auth-Token", "nope").fault(t, 401, "unauthorizedError")
	// A valid token on another tenant's path is forbidden, whatever the id.
	h.do("GET", "/v1.0/acme/sessions/"+id, "", "X-Auth-Token", "tok-globex").fault(t, 403, "forbiddenError")
	// Through its own path the other tenant cannot see acme's session.
	h.do("GET", "/v1.0/globex/sessions/"+id, "", "X-Auth-Token", "tok-globex").fault(t, 404, "notFoundError")
}

func TestRoutingFaults(t *testing.T) {
	h := newHarness(t)
	h.do("GET", "/v1.0/acme/nothing-here", "").fault(t, 404, "notFoundError")
	h.do("GET", "/", "").fault(t, 404, "notFoundError")
	r := h.do("PATCH", "/v1.0/acme/sessions", "")
	r.fault(t, 405, "methodNotAllowed")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Fatalf("Allow = %q", allow)
	}
	h.do("GET", "/v1.0/acme/sessions/Not_An_Id!", "").fault(t, 404, "notFoundError")
	// Where ServeMux would redirect (to clean a path), the answer is a 404
	// fault: a redirect behind a gateway would lose the stage.
	r = h.do("GET", "/v1.0/acme/sessions//x", "")
	r.fault(t, 404, "notFoundError")
	if r.header.Get("Location") != "" {
		t.Fatalf("Location = %q on a 404", r.header.Get("Location"))
	}
	if r := h.do("GET", "/v1.0/acme/sessions", ""); r.header.Get("X-Txn-Id") == "" {
		t.Fatal("no X-Txn-Id header")
	}
}

func TestSessionPagination(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for range 5 {
		id, _ := h.createSession(`{"heartbeat_timeout": 60}`)
		ids = append(ids, id)
	}
	h.do("GET", "/v1.0/acme/sessions?limit=0", "").fault(t, 400, "invalidLimit")
	h.do("GET", "/v1.0/acme/sessions?limit=1001", "").fault(t, 400, "invalidLimit")
	h.do("GET", "/v1.0/acme/sessions?limit=abc", "").fault(t, 400, "invalidLimit")
	h.do("GET", "/v1.0/acme/sessions?marker=Bad!Marker", "").fault(t, 400, "badRequest")

	var seen []string
	path := "/v1.0/acme/sessions?limit=2&extra=kept"
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("too many pages")
		}
		r := h.do("GET", path, "")
		if r.status != 200 {
			t.Fatalf("list: %d %s", r.status, r.raw)
		}
		md := r.body["metadata"].(map[string]any)
		for _, v := range r.body["values"].([]any) {
			seen = append(seen, v.(map[string]any)["id"].(string))
		}
		if md["count"] != float64(len(r.body["values"].([]any))) || md["limit"] != float64(2) {
			t.Fatalf("metadata: %v", md)
		}
		if md["next_marker"] == nil {
			if md["next_href"] != nil {
				t.Fatalf("next_href without next_marker: %v", md)
			}
			break
		}
		href := md["next_href"].(string)
		if !strings.HasPrefix(href, h.srv.URL+"/v1.0/acme/sessions?") || !strings.Contains(href, "extra=kept") ||
			!strings.Contains(href, "marker="+md["next_marker"].(string)) || !strings.Contains(href, "limit=2") {
			t.Fatalf("next_href = %q", href)
		}
		path = strings.TrimPrefix(href, h.srv.URL)
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %d sessions, want 5: %v", len(seen), seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i-1] >= seen[i] {
			t.Fatalf("not sorted by id: %v", seen)
		}
	}
}

// The base path a gateway adds (the stage) appears in the links it hands out.
func TestLinksCarryGatewayBasePath(t *testing.T) {
	s := &api.Server{Sessions: memstore.New(), Auth: tokens{"tok-acme": "acme"},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	req := httptest.NewRequest("POST", "https://abc.execute-api.example.com/v1.0/acme/sessions",
		bytes.NewBufferString(`{"heartbeat_timeout": 10}`))
	req.Header.Set("X-Auth-Token", "tok-acme")
	req.Header.Set("X-Forwarded-Proto", "https")
	req = req.WithContext(api.WithGateway(req.Context(), api.Gateway{RequestID: "req-1", BasePath: "/api"}))
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	loc := rec.Header().Get("Location")
	if rec.Code != 201 || !strings.HasPrefix(loc, "https://abc.execute-api.example.com/api/v1.0/acme/sessions/") {
		t.Fatalf("%d Location = %q", rec.Code, loc)
	}
	if rec.Header().Get("X-Txn-Id") != "req-1" {
		t.Fatalf("txn id = %q, want the gateway's request id", rec.Header().Get("X-Txn-Id"))
	}
}
