package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/memstore"
	"github.com/service-registry/registry/internal/registry"
)

const configBase = "/v1.0/acme/configuration"

// newConfigHarness serves only configuration, from a store the test can
// reach to lower limits.
func newConfigHarness(t *testing.T) (*harness, *memstore.Store) {
	store := memstore.New()
	s := &api.Server{
		Config: store,
		Auth:   tokens{"tok-acme": "acme", "tok-globex": "globex"},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv}, store
}

// put sets a value and answers the ETag of the write.
func (h *harness) put(path, value string, headers ...string) string {
	h.t.Helper()
	r := h.do("PUT", configBase+path, `{"value": "`+value+`"}`, headers...)
	if r.status != http.StatusNoContent || r.raw != "" {
		h.t.Fatalf("PUT %s: %d %s", path, r.status, r.raw)
	}
	return r.header.Get("ETag")
}

// wantValue checks that GET answers id with value and ETag.
func (h *harness) wantValue(path, id, value, etag string) {
	h.t.Helper()
	r := h.do("GET", configBase+path, "")
	if r.status != 200 || len(r.body) != 2 || r.body["id"] != id || r.body["value"] != value || r.header.Get("ETag") != etag {
		h.t.Fatalf("GET %s: %d %s ETag %s; want %s = %q with ETag %s", path, r.status, r.raw, r.header.Get("ETag"), id, value, etag)
	}
}

// ids lists the ids of one page of a listing.
func (r response) ids() []string {
	var out []string
	for _, v := range r.body["values"].([]any) {
		out = append(out, v.(map[string]any)["id"].(string))
	}
	return out
}

func TestConfigLifecycle(t *testing.T) {
	h, _ := newConfigHarness(t)
	if etag := h.put("/production/cassandra/listen_ip", "10.0.0.1"); etag != `"1"` {
		t.Fatalf("ETag of a new value = %s", etag)
	}
	h.wantValue("/production/cassandra/listen_ip", "/production/cassandra/listen_ip", "10.0.0.1", `"1"`)
	if etag := h.put("/production/cassandra/listen_ip", "10.0.0.2"); etag != `"2"` {
		t.Fatalf("ETag of an update = %s", etag)
	}
	h.wantValue("/production/cassandra/listen_ip", "/production/cassandra/listen_ip", "10.0.0.2", `"2"`)

	// Without a slash the path is a bare key, a value of its own.
	h.put("/listen_ip", "127.0.0.1")
	h.wantValue("/listen_ip", "listen_ip", "127.0.0.1", `"1"`)
	// Values are opaque: anything JSON can carry in a string comes back.
	odd := `tab\t \"quoted\" <b>&amp;</b> ünïcode`
	h.put("/odd_value", odd)
	h.wantValue("/odd_value", "odd_value", "tab\t \"quoted\" <b>&amp;</b> ünïcode", `"1"`)

	if r := h.do("DELETE", configBase+"/production/cassandra/listen_ip", ""); r.status != 204 || r.raw != "" {
		t.Fatalf("DELETE: %d %s", r.status, r.raw)
	}
	h.do("GET", configBase+"/production/cassandra/listen_ip", "").fault(t, 404, "notFoundError")
	h.do("DELETE", configBase+"/production/cassandra/listen_ip", "").fault(t, 404, "notFoundError")
	h.wantValue("/listen_ip", "listen_ip", "127.0.0.1", `"1"`)
}

func TestConfigPreconditions(t *testing.T) {
	h, _ := newConfigHarness(t)
	h.put("/app/flag", "off")
	if etag := h.put("/app/flag", "on", "If-Match", `"1"`); etag != `"2"` {
		t.Fatalf("compare-and-set answered ETag %s", etag)
	}
	h.do("PUT", configBase+"/app/flag", `{"value": "stale"}`, "If-Match", `"1"`).fault(t, 412, "preconditionFailed")
	h.wantValue("/app/flag", "/app/flag", "on", `"2"`)

	// If-Match: * means the value must exist.
	h.put("/app/flag", "any", "If-Match", "*")
	h.do("PUT", configBase+"/app/absent", `{"value": "x"}`, "If-Match", "*").fault(t, 412, "preconditionFailed")
	h.do("PUT", configBase+"/app/absent", `{"value": "x"}`, "If-Match", `"1"`).fault(t, 412, "preconditionFailed")
	h.do("GET", configBase+"/app/absent", "").fault(t, 404, "notFoundError")

	// If-None-Match: * creates only.
	if etag := h.put("/app/lock", "me", "If-None-Match", "*"); etag != `"1"` {
		t.Fatalf("create-only answered ETag %s", etag)
	}
	h.do("PUT", configBase+"/app/lock", `{"value": "you"}`, "If-None-Match", "*").fault(t, 412, "preconditionFailed")
	h.wantValue("/app/lock", "/app/lock", "me", `"1"`)

	h.do("DELETE", configBase+"/app/flag", "", "If-Match", `"2"`).fault(t, 412, "preconditionFailed")
	if r := h.do("DELETE", configBase+"/app/flag", "", "If-Match", `"3"`); r.status != 204 {
		t.Fatalf("DELETE with the current ETag: %d %s", r.status, r.raw)
	}
	h.do("DELETE", configBase+"/app/flag", "", "If-Match", `"3"`).fault(t, 404, "notFoundError")

	// Forms of the headers the API does not take are bad requests, and
	// change nothing.
	bad := []struct {
		method string
		header []string
	}{
		{"PUT", []string{"If-Match", "1"}},
		{"PUT", []string{"If-Match", `W/"1"`}},
		{"PUT", []string{"If-Match", `"1", "2"`}},
		{"PUT", []string{"If-Match", `"-1"`}},
		{"PUT", []string{"If-Match", `"+1"`}},
		{"PUT", []string{"If-Match", `"one"`}},
		{"PUT", []string{"If-Match", `""`}},
		{"PUT", []string{"If-None-Match", `"1"`}},
		{"PUT", []string{"If-Match", `"1"`, "If-None-Match", "*"}},
		{"DELETE", []string{"If-None-Match", "*"}},
		{"DELETE", []string{"If-Match", "nope"}},
	}
	for _, c := range bad {
		h.do(c.method, configBase+"/app/lock", `{"value": "changed"}`, c.header...).fault(t, 400, "badRequest")
	}
	// Well-formed tags that no version is ever written as: they match
	// nothing (entity tags compare character by character).
	for _, tag := range []string{`"01"`, `"99999999999999999999"`} {
		h.do("PUT", configBase+"/app/lock", `{"value": "changed"}`, "If-Match", tag).fault(t, 412, "preconditionFailed")
	}
	h.wantValue("/app/lock", "/app/lock", "me", `"1"`)
}

// A trailing slash names a namespace: every value under it and its
// sub-namespaces. Without it the same path names one value.
func TestConfigNamespaces(t *testing.T) {
	h, _ := newConfigHarness(t)
	for _, path := range []string{
		"/production/cassandra/listen_ip",
		"/production/cassandra/ring/token",
		"/production/cassandra2/listen_ip",
		"/production/web_port",
		"/staging/cassandra/listen_ip",
		"/cassandra",
	} {
		h.put(path, "v")
	}
	cases := []struct {
		path string
		want []string
	}{
		{"/production/cassandra/", []string{"/production/cassandra/listen_ip", "/production/cassandra/ring/token"}},
		{"/production/", []string{"/production/cassandra/listen_ip", "/production/cassandra/ring/token",
			"/production/cassandra2/listen_ip", "/production/web_port"}},
		{"", []string{"/production/cassandra/listen_ip", "/production/cassandra/ring/token",
			"/production/cassandra2/listen_ip", "/production/web_port", "/staging/cassandra/listen_ip", "cassandra"}},
		{"/", []string{"/production/cassandra/listen_ip", "/production/cassandra/ring/token",
			"/production/cassandra2/listen_ip", "/production/web_port", "/staging/cassandra/listen_ip", "cassandra"}},
	}
	for _, c := range cases {
		r := h.do("GET", configBase+c.path, "")
		if r.status != 200 || !slices.Equal(r.ids(), c.want) {
			t.Fatalf("GET %s: %d %s; want %q", c.path, r.status, r.raw, c.want)
		}
	}
	// The same path without the slash is the value "/production/cassandra",
	// which does not exist until it is set, and then is no namespace member.
	h.do("GET", configBase+"/production/cassandra", "").fault(t, 404, "notFoundError")
	h.put("/production/cassandra", "a value")
	h.wantValue("/production/cassandra", "/production/cassandra", "a value", `"1"`)
	if r := h.do("GET", configBase+"/production/cassandra/", ""); len(r.ids()) != 2 {
		t.Fatalf("the namespace after setting a value of its name: %s", r.raw)
	}

	// A namespace exists only while a value lives under it.
	r := h.do("GET", configBase+"/nothing/", "")
	r.fault(t, 404, "notFoundError")
	if r.body["details"] != "namespace /nothing/" {
		t.Fatalf("details = %v", r.body["details"])
	}
	h.do("DELETE", configBase+"/production/cassandra/ring/token", "")
	h.do("GET", configBase+"/production/cassandra/ring/", "").fault(t, 404, "notFoundError")
	// Past a marker an empty page is the end of the list, not a missing
	// namespace; the whole list is never missing.
	if r := h.do("GET", configBase+"/production/cassandra/?marker=/production/cassandra/zzz", ""); r.status != 200 || len(r.ids()) != 0 {
		t.Fatalf("past the end of a namespace: %d %s", r.status, r.raw)
	}
	h2, _ := newConfigHarness(t)
	if r := h2.do("GET", configBase, ""); r.status != 200 || len(r.ids()) != 0 {
		t.Fatalf("the empty list: %d %s", r.status, r.raw)
	}
}

// Pages follow by next_href, which keeps the path (a namespace's trailing
// slash included) and every other query parameter.
func TestConfigPagination(t *testing.T) {
	h, _ := newConfigHarness(t)
	want := []string{"/app/key_1", "/app/key_2", "/app/sub/key_3", "/app/sub/key_4", "/app/zzz"}
	for _, id := range want {
		h.put(id, "v")
	}
	h.put("/other/key_5", "v")
	h.do("GET", configBase+"/app/?limit=0", "").fault(t, 400, "invalidLimit")
	h.do("GET", configBase+"?limit=1001", "").fault(t, 400, "invalidLimit")
	h.do("GET", configBase+"/app/?marker=no!", "").fault(t, 400, "badRequest")
	h.do("GET", configBase+"?marker=/app/", "").fault(t, 400, "badRequest") // a namespace is no id

	var seen []string
	path := configBase + "/app/?limit=2&extra=kept"
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("too many pages")
		}
		r := h.do("GET", path, "")
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
		}
		seen = append(seen, r.ids()...)
		md := r.body["metadata"].(map[string]any)
		if md["count"] != float64(len(r.ids())) || md["limit"] != float64(2) {
			t.Fatalf("metadata: %v", md)
		}
		href, ok := md["next_href"].(string)
		if !ok {
			break
		}
		if !strings.HasPrefix(href, h.srv.URL+configBase+"/app/?") || !strings.Contains(href, "extra=kept") ||
			!strings.Contains(href, "limit=2") {
			t.Fatalf("next_href = %q", href)
		}
		path = strings.TrimPrefix(href, h.srv.URL)
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("paged through %q, want %q", seen, want)
	}
	r := h.do("GET", configBase+"?limit=5&marker=/app/sub/key_4", "")
	if got := r.ids(); !slices.Equal(got, []string{"/app/sub/key_4", "/app/zzz", "/other/key_5"}) ||
		r.body["metadata"].(map[string]any)["marker"] != "/app/sub/key_4" {
		t.Fatalf("from a marker: %s", r.raw)
	}
}

func TestConfigValidation(t *testing.T) {
	h, _ := newConfigHarness(t)
	long := strings.Repeat("k", 171)
	deep := strings.Repeat("/abc", 11) + "/key"
	cases := []struct {
		name, method, path, body string
	}{
		{"key too short", "PUT", "/ab", `{"value": "v"}`},
		{"namespaced key too short", "PUT", "/production/x", `{"value": "v"}`},
		{"bad character", "PUT", "/production/bad!key", `{"value": "v"}`},
		{"dot in a namespace", "PUT", "/prod.uction/key", `{"value": "v"}`},
		{"key too long", "PUT", "/" + long, `{"value": "v"}`},
		{"segment too long", "PUT", "/" + strings.Repeat("s", 51) + "/key", `{"value": "v"}`},
		{"eleven levels", "PUT", deep, `{"value": "v"}`},
		{"id over 500 characters", "PUT", strings.Repeat("/"+strings.Repeat("s", 50), 7) + "/" + strings.Repeat("k", 143), `{"value": "v"}`},
		{"PUT a namespace", "PUT", "/production/", `{"value": "v"}`},
		{"PUT the root", "PUT", "/", `{"value": "v"}`},
		{"DELETE a namespace", "DELETE", "/production/", ``},
		{"GET a bad id", "GET", "/ab", ``},
		{"GET a bad namespace", "GET", "/ab/", ``},
		{"missing value", "PUT", "/key", `{}`},
		{"null value", "PUT", "/key", `{"value": null}`},
		{"empty value", "PUT", "/key", `{"value": ""}`},
		{"value too long", "PUT", "/key", `{"value": "` + strings.Repeat("v", 1025) + `"}`},
		{"value not a string", "PUT", "/key", `{"value": 5}`},
		{"unknown field", "PUT", "/key", `{"value": "v", "ttl": 5}`},
		{"id in the body", "PUT", "/key", `{"id": "other", "value": "v"}`},
		{"duplicate key", "PUT", "/key", `{"value": "v", "value": "w"}`},
		{"trailing data", "PUT", "/key", `{"value": "v"} {}`},
		{"not an object", "PUT", "/key", `["v"]`},
		{"malformed", "PUT", "/key", `{"value": `},
		{"empty body", "PUT", "/key", ``},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.do(c.method, configBase+c.path, c.body).fault(t, 400, "badRequest")
		})
	}
	h.do("PUT", configBase+"/key", `{"value": "`+strings.Repeat("v", api.MaxBodyBytes)+`"}`).fault(t, 413, "requestTooLargeError")
	if r := h.do("GET", configBase, ""); r.status != 200 || len(r.ids()) != 0 {
		t.Fatalf("a rejected request wrote something: %s", r.raw)
	}
	// The longest id and value that fit are taken.
	maxID := strings.Repeat("/"+strings.Repeat("s", 50), 7) + "/" + strings.Repeat("k", 142)
	h.put(maxID, strings.Repeat("v", 1024))
}

func TestConfigLimit(t *testing.T) {
	h, store := newConfigHarness(t)
	if err := store.SetLimit(context.Background(), "acme", registry.ResourceConfigurationValue, 2); err != nil {
		t.Fatal(err)
	}
	h.put("/app/key_1", "v")
	h.put("/app/key_2", "v")
	r := h.do("PUT", configBase+"/app/key_3", `{"value": "v"}`)
	r.fault(t, 400, "limitReached")
	if !strings.Contains(r.body["message"].(string), "2") {
		t.Fatalf("the fault does not name the limit: %s", r.raw)
	}
	h.put("/app/key_1", "updates pass")
	h.do("DELETE", configBase+"/app/key_2", "")
	h.put("/app/key_3", "v")
}

func TestConfigTenantsAndRoutes(t *testing.T) {
	h, _ := newConfigHarness(t)
	h.put("/secret/key", "acme's")
	h.do("GET", configBase+"/secret/key", "", "X-Auth-Token", "tok-globex").fault(t, 403, "forbiddenError")
	h.do("GET", "/v1.0/globex/configuration/secret/key", "", "X-Auth-Token", "tok-globex").fault(t, 404, "notFoundError")
	h.do("GET", "/v1.0/globex/configuration/secret/", "", "X-Auth-Token", "tok-globex").fault(t, 404, "notFoundError")
	h.do("GET", configBase, "", "X-Auth-Token", "").fault(t, 401, "unauthorizedError")

	for _, c := range []struct{ method, path, allow string }{
		{"POST", configBase, "GET"},
		{"PATCH", configBase, "GET"},
		{"POST", configBase + "/secret/key", "PUT"},
		{"PATCH", configBase + "/secret/key", "DELETE"},
	} {
		r := h.do(c.method, c.path, "")
		r.fault(t, 405, "methodNotAllowed")
		if !strings.Contains(r.header.Get("Allow"), c.allow) {
			t.Fatalf("%s %s: Allow = %q", c.method, c.path, r.header.Get("Allow"))
		}
	}
	// The configuration function serves nothing else.
	h.do("GET", "/v1.0/acme/sessions", "").fault(t, 404, "notFoundError")
}
