package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/memstore"
	"github.com/service-registry/registry/internal/registry"
)

// oasFile is the API's OpenAPI document, at the root of the repository.
const oasFile = "../../openapi.yaml"

// oasLoad reads and validates openapi.yaml.
func oasLoad(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(oasFile)
	if err != nil {
		t.Fatalf("loading %s: %v", oasFile, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", oasFile, err)
	}
	return doc
}

// oasServer is a Server with every store set, so that it serves every route.
func oasServer() (*api.Server, *memstore.Store, *fakeEventFeed) {
	store := memstore.New()
	feed := &fakeEventFeed{}
	clock := registry.NewFakeClock(time.UnixMilli(1_900_000_000_000))
	return &api.Server{
		Sessions: store,
		Services: store,
		Account:  store,
		Config:   store,
		Events:   feed,
		Rate:     store,
		Auth:     tokens{"tok-acme": "acme", "tok-globex": "globex"},
		Now:      clock.Now,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, store, feed
}

// oasOperation is one operation of the document.
type oasOperation struct {
	method, path string // path is the document's template
	item         *openapi3.PathItem
	op           *openapi3.Operation
}

func oasOperations(doc *openapi3.T) []oasOperation {
	var ops []oasOperation
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			ops = append(ops, oasOperation{method, path, item, op})
		}
	}
	slices.SortFunc(ops, func(a, b oasOperation) int {
		return strings.Compare(a.path+" "+a.method, b.path+" "+b.method)
	})
	return ops
}

// muxPattern is the route pattern of internal/api that serves an operation:
// the path itself, or the path item's x-mux-pattern where a template of the
// document stands for part of a wildcard route.
func (o oasOperation) muxPattern() string {
	if p, ok := o.item.Extensions["x-mux-pattern"].(string); ok {
		return o.method + " " + p
	}
	return o.method + " " + o.path
}

// oasSamples fills path templates with a value each parameter accepts.
var oasSamples = map[string]string{
	"tenant":    "acme",
	"id":        "abc123def456",
	"namespace": "production",
	"key":       "listen_ip",
}

var oasParam = regexp.MustCompile(`\{[^}]+\}`)

func oasFill(template string, values map[string]string) string {
	return oasParam.ReplaceAllStringFunc(template, func(p string) string {
		v, ok := values[strings.Trim(p, "{}")]
		if !ok {
			panic("no value for " + p + " in " + template)
		}
		return url.PathEscape(v)
	})
}

// The document is valid OpenAPI, and every operation declares what every
// route answers: X-Txn-Id on every response, a fault for 401 and 403.
func TestOpenAPIDocument(t *testing.T) {
	doc := oasLoad(t)
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi is %q; the document uses OpenAPI 3.1 keywords", doc.OpenAPI)
	}
	ids := map[string]bool{}
	for _, o := range oasOperations(doc) {
		name := o.method + " " + o.path
		if o.op.OperationID == "" || ids[o.op.OperationID] {
			t.Errorf("%s: operationId %q is missing or not unique", name, o.op.OperationID)
		}
		ids[o.op.OperationID] = true
		for _, status := range []int{401, 403, 429} {
			if o.op.Responses.Status(status) == nil {
				t.Errorf("%s: no %d response", name, status)
			}
		}
		for code, res := range o.op.Responses.Map() {
			// API Gateway answers these itself at times, without the
			// header; the functions always send it.
			byGateway := code == "401" || code == "403" || code == "429" || code == "503"
			if h := res.Value.Headers["X-Txn-Id"]; h == nil || h.Value.Required == byGateway {
				t.Errorf("%s %s: X-Txn-Id is missing or wrongly required", name, code)
			}
		}
	}
}

// The document describes exactly the routes the server serves: every
// (method, route pattern) of Server.Routes is an operation, every operation
// is routed by the server's mux to the pattern it claims, and no other.
func TestOpenAPIRoutesMatchServer(t *testing.T) {
	doc := oasLoad(t)
	srv, _, _ := oasServer()
	served := srv.Routes()

	mux := http.NewServeMux()
	for _, p := range served {
		mux.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
	}
	var documented []string
	for _, o := range oasOperations(doc) {
		want := o.muxPattern()
		documented = append(documented, want)
		req := httptest.NewRequest(o.method, oasFill(o.path, oasSamples), nil)
		if _, got := mux.Handler(req); got != want {
			t.Errorf("%s %s (as %s %s) is routed to %q, want %q", o.method, o.path, req.Method, req.URL.Path, got, want)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	documented = slices.Compact(documented)
	for _, p := range served {
		if !slices.Contains(documented, p) {
			t.Errorf("the server serves %q, which openapi.yaml does not describe", p)
		}
	}
	for _, p := range documented {
		if !slices.Contains(served, p) {
			t.Errorf("openapi.yaml describes %q, which the server does not serve", p)
		}
	}
}

// oasStep is one request of TestOpenAPIResponses. $name in its path, query,
// body and header values is replaced by what earlier steps saved.
type oasStep struct {
	name   string
	method string
	path   string            // the document's template
	params map[string]string // path parameters other than the samples
	query  string
	body   string
	header []string // name, value, ...
	token  string   // X-Auth-Token; "tok-acme" unless set, none if "-"

	status int
	// invalid says that the document rejects the request itself, so that
	// what the document allows and what the server accepts are compared:
	// the server must answer a 4xx exactly when invalid is set (or when the
	// step expects a 4xx for another reason, such as a missing object).
	invalid bool
	before  func() // runs before the request
	save    func(body map[string]any, header http.Header, vars map[string]string)
}

// Real responses of the handler, through a table of requests that touches
// every operation and every documented kind of answer, validate against the
// document: status, headers and body. The requests themselves are checked
// against the document too, so that it neither rejects what the server
// accepts nor accepts what the server rejects.
func TestOpenAPIResponses(t *testing.T) {
	doc := oasLoad(t)
	srv, store, feed := oasServer()
	// More requests than the default burst, all in one second of the clock.
	perSecond := 1000
	store.SetRequestLimits(context.Background(), "acme", nil, &perSecond)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	now := time.UnixMilli(1_900_000_000_000)
	svc := &registry.Service{ID: "web-1", SessionID: "abcdefghijkl", Tags: []string{"a"}, Metadata: registry.Metadata{"k": "v"}}
	servicePayload, _ := json.Marshal(registry.NewServicePayload(svc))
	timeoutPayload, _ := json.Marshal([]registry.ServicePayload{registry.NewServicePayload(svc)})
	first, _ := json.Marshal(registry.ConfigUpdatePayload{ID: "/production/listen_ip", NewValue: "10.0.0.1"})
	old := "10.0.0.1"
	update, _ := json.Marshal(registry.ConfigUpdatePayload{ID: "/production/listen_ip", OldValue: &old, NewValue: "10.0.0.2"})
	remove, _ := json.Marshal(registry.ConfigRemovePayload{ID: "/production/listen_ip", OldValue: "10.0.0.2"})
	feed.add(now, registry.EventServiceJoin, string(servicePayload))
	feed.add(now, registry.EventServiceRemove, string(servicePayload))
	feed.add(now, registry.EventServicesTimeout, string(timeoutPayload))
	feed.add(now, registry.EventConfigUpdate, string(first))
	feed.add(now, registry.EventConfigUpdate, string(update))
	feed.add(now, registry.EventConfigRemove, string(remove))

	saveSession := func(body map[string]any, _ http.Header, vars map[string]string) {
		vars["sid"], _ = body["id"].(string)
		vars["token"], _ = body["token"].(string)
	}
	saveToken := func(body map[string]any, _ http.Header, vars map[string]string) {
		vars["token"], _ = body["token"].(string)
	}
	storeDown := registry.Unavailable(errors.New("the test took the store down"))
	tooLarge := `{"heartbeat_timeout": 10, "metadata": {"k": "` + strings.Repeat("x", api.MaxBodyBytes) + `"}}`
	sid := map[string]string{"id": "$sid"}

	steps := []oasStep{
		// Sessions.
		{name: "create a session", method: "POST", path: "/v1.0/{tenant}/sessions",
			body: `{"heartbeat_timeout": 30, "metadata": {"host": "db-1"}}`, status: 201, save: saveSession},
		{name: "create another", method: "POST", path: "/v1.0/{tenant}/sessions",
			body: `{"heartbeat_timeout": 3}`, status: 201},
		{name: "read the session", method: "GET", path: "/v1.0/{tenant}/sessions/{id}", params: sid, status: 200},
		{name: "first page of sessions", method: "GET", path: "/v1.0/{tenant}/sessions", query: "limit=1", status: 200},
		{name: "sessions from a marker", method: "GET", path: "/v1.0/{tenant}/sessions", query: "marker=$sid&limit=1000", status: 200},
		{name: "update the session", method: "PUT", path: "/v1.0/{tenant}/sessions/{id}", params: sid,
			body: `{"heartbeat_timeout": 60, "metadata": {"role": "replica"}}`, status: 204},
		{name: "heartbeat", method: "POST", path: "/v1.0/{tenant}/sessions/{id}/heartbeat", params: sid,
			body: `{"token": "$token"}`, status: 200, save: saveToken},
		{name: "read it after a heartbeat", method: "GET", path: "/v1.0/{tenant}/sessions/{id}", params: sid, status: 200},
		{name: "heartbeat with a wrong token", method: "POST", path: "/v1.0/{tenant}/sessions/{id}/heartbeat", params: sid,
			body: `{"token": "wrong"}`, status: 400},
		{name: "heartbeat without a token", method: "POST", path: "/v1.0/{tenant}/sessions/{id}/heartbeat", params: sid,
			body: `{"token": ""}`, status: 400, invalid: true},
		{name: "heartbeat of a session that never was", method: "POST", path: "/v1.0/{tenant}/sessions/{id}/heartbeat",
			params: map[string]string{"id": "zzzzzzzzzzzz"}, body: `{"token": "t"}`, status: 404},
		{name: "timeout too short", method: "POST", path: "/v1.0/{tenant}/sessions",
			body: `{"heartbeat_timeout": 2}`, status: 400, invalid: true},
		{name: "timeout too long", method: "POST", path: "/v1.0/{tenant}/sessions",
			body: `{"heartbeat_timeout": 121}`, status: 400, invalid: true},
		{name: "unknown field", method: "POST", path: "/v1.0/{tenant}/sessions",
			body: `{"heartbeat_timeout": 30, "ttl": 5}`, status: 400, invalid: true},
		{name: "empty metadata key", method: "POST", path: "/v1.0/{tenant}/sessions",
			body: `{"heartbeat_timeout": 30, "metadata": {"": "v"}}`, status: 400, invalid: true},
		{name: "metadata value of 256 characters", method: "PUT", path: "/v1.0/{tenant}/sessions/{id}", params: sid,
			body: `{"metadata": {"k": "` + strings.Repeat("é", 256) + `"}}`, status: 400, invalid: true},
		{name: "metadata of 255 characters, 510 bytes", method: "PUT", path: "/v1.0/{tenant}/sessions/{id}", params: sid,
			body: `{"metadata": {"` + strings.Repeat("é", 255) + `": "` + strings.Repeat("é", 255) + `"}}`, status: 204},
		{name: "nothing to update", method: "PUT", path: "/v1.0/{tenant}/sessions/{id}", params: sid,
			body: `{}`, status: 400, invalid: true},
		{name: "a body that is not an object", method: "POST", path: "/v1.0/{tenant}/sessions",
			body: `[30]`, status: 400, invalid: true},
		{name: "a body over 64 KiB", method: "POST", path: "/v1.0/{tenant}/sessions",
			body: tooLarge, status: 413, invalid: true},
		{name: "a session that never was", method: "GET", path: "/v1.0/{tenant}/sessions/{id}",
			params: map[string]string{"id": "zzzzzzzzzzzz"}, status: 404},
		{name: "an id no session can have", method: "DELETE", path: "/v1.0/{tenant}/sessions/{id}",
			params: map[string]string{"id": "NOT-AN-ID"}, status: 404, invalid: true},
		{name: "limit 0", method: "GET", path: "/v1.0/{tenant}/sessions", query: "limit=0", status: 400, invalid: true},
		{name: "limit 1001", method: "GET", path: "/v1.0/{tenant}/sessions", query: "limit=1001", status: 400, invalid: true},
		{name: "a marker no session can have", method: "GET", path: "/v1.0/{tenant}/sessions", query: "marker=NOPE", status: 400, invalid: true},
		{name: "an empty marker", method: "GET", path: "/v1.0/{tenant}/sessions", query: "marker=", status: 400, invalid: true},
		{name: "an empty limit", method: "GET", path: "/v1.0/{tenant}/views/overview", query: "limit=", status: 400, invalid: true},
		{name: "null metadata", method: "POST", path: "/v1.0/{tenant}/sessions",
			body: `{"heartbeat_timeout": 30, "metadata": null}`, status: 400, invalid: true},
		{name: "null timeout", method: "PUT", path: "/v1.0/{tenant}/sessions/{id}", params: sid,
			body: `{"heartbeat_timeout": null, "metadata": {}}`, status: 400, invalid: true},

		// Services, the overview and limits.
		{name: "create a service", method: "POST", path: "/v1.0/{tenant}/services",
			body: `{"id": "web-1", "session_id": "$sid", "tags": ["a", "b", "a"], "metadata": {"port": "80"}}`, status: 201},
		{name: "create one without tags", method: "POST", path: "/v1.0/{tenant}/services",
			body: `{"id": "web.2", "session_id": "$sid"}`, status: 201},
		{name: "the id is taken", method: "POST", path: "/v1.0/{tenant}/services",
			body: `{"id": "web-1", "session_id": "$sid"}`, status: 400},
		{name: "the session is not alive", method: "POST", path: "/v1.0/{tenant}/services",
			body: `{"id": "web-3", "session_id": "zzzzzzzzzzzz"}`, status: 404},
		{name: "a service id too short", method: "POST", path: "/v1.0/{tenant}/services",
			body: `{"id": "ab", "session_id": "$sid"}`, status: 400, invalid: true},
		{name: "eleven tags", method: "POST", path: "/v1.0/{tenant}/services",
			body: `{"id": "web-3", "session_id": "$sid", "tags": ["1","2","3","4","5","6","7","8","9","10","11"]}`, status: 400, invalid: true},
		{name: "a tag of 56 characters", method: "PUT", path: "/v1.0/{tenant}/services/{id}", params: map[string]string{"id": "web-1"},
			body: `{"tags": ["` + strings.Repeat("t", 56) + `"]}`, status: 400, invalid: true},
		{name: "no session_id", method: "POST", path: "/v1.0/{tenant}/services",
			body: `{"id": "web-3"}`, status: 400, invalid: true},
		{name: "read a service", method: "GET", path: "/v1.0/{tenant}/services/{id}", params: map[string]string{"id": "web-1"}, status: 200},
		{name: "list services", method: "GET", path: "/v1.0/{tenant}/services", query: "limit=1", status: 200},
		{name: "list services by tag", method: "GET", path: "/v1.0/{tenant}/services", query: "tag=b", status: 200},
		{name: "a tag filter of 56 characters", method: "GET", path: "/v1.0/{tenant}/services", query: "tag=" + strings.Repeat("t", 56), status: 400, invalid: true},
		{name: "update a service", method: "PUT", path: "/v1.0/{tenant}/services/{id}", params: map[string]string{"id": "web-1"},
			body: `{"tags": [], "metadata": {"port": "8080"}}`, status: 204},
		{name: "session_id cannot change", method: "PUT", path: "/v1.0/{tenant}/services/{id}", params: map[string]string{"id": "web-1"},
			body: `{"session_id": "$sid", "tags": []}`, status: 400, invalid: true},
		{name: "a service that never was", method: "GET", path: "/v1.0/{tenant}/services/{id}", params: map[string]string{"id": "nope"}, status: 404},
		{name: "the overview", method: "GET", path: "/v1.0/{tenant}/views/overview", status: 200},
		{name: "the overview, a page of one", method: "GET", path: "/v1.0/{tenant}/views/overview", query: "limit=1", status: 200},
		{name: "limits", method: "GET", path: "/v1.0/{tenant}/limits", status: 200},
		{name: "delete a service", method: "DELETE", path: "/v1.0/{tenant}/services/{id}", params: map[string]string{"id": "web.2"}, status: 204},
		{name: "delete it again", method: "DELETE", path: "/v1.0/{tenant}/services/{id}", params: map[string]string{"id": "web.2"}, status: 404},

		// Configuration.
		{name: "create a bare value", method: "PUT", path: "/v1.0/{tenant}/configuration/{key}",
			body: `{"value": "127.0.0.1"}`, header: []string{"If-None-Match", "*"}, status: 204},
		{name: "read it", method: "GET", path: "/v1.0/{tenant}/configuration/{key}", status: 200},
		{name: "replace it at its version", method: "PUT", path: "/v1.0/{tenant}/configuration/{key}",
			body: `{"value": "10.0.0.1"}`, header: []string{"If-Match", `"1"`}, status: 204},
		{name: "replace it at a stale version", method: "PUT", path: "/v1.0/{tenant}/configuration/{key}",
			body: `{"value": "10.0.0.9"}`, header: []string{"If-Match", `"1"`}, status: 412},
		{name: "create it again, create-only", method: "PUT", path: "/v1.0/{tenant}/configuration/{key}",
			body: `{"value": "10.0.0.9"}`, header: []string{"If-None-Match", "*"}, status: 412},
		{name: "a weak ETag", method: "PUT", path: "/v1.0/{tenant}/configuration/{key}",
			body: `{"value": "v"}`, header: []string{"If-Match", `W/"2"`}, status: 400, invalid: true},
		{name: "an empty If-Match", method: "PUT", path: "/v1.0/{tenant}/configuration/{key}",
			body: `{"value": "v"}`, header: []string{"If-Match", ""}, status: 400, invalid: true},
		{name: "an empty If-Match beside If-None-Match", method: "PUT", path: "/v1.0/{tenant}/configuration/{key}",
			body: `{"value": "v"}`, header: []string{"If-Match", "", "If-None-Match", "*"}, status: 400, invalid: true},
		{name: "an empty value", method: "PUT", path: "/v1.0/{tenant}/configuration/{key}",
			body: `{"value": ""}`, status: 400, invalid: true},
		{name: "a value of 1025 characters", method: "PUT", path: "/v1.0/{tenant}/configuration/{key}",
			body: `{"value": "` + strings.Repeat("v", 1025) + `"}`, status: 400, invalid: true},
		{name: "a key too short", method: "GET", path: "/v1.0/{tenant}/configuration/{key}",
			params: map[string]string{"key": "ab"}, status: 400, invalid: true},
		{name: "a value never set", method: "GET", path: "/v1.0/{tenant}/configuration/{key}",
			params: map[string]string{"key": "absent"}, status: 404},
		{name: "create a namespaced value", method: "PUT", path: "/v1.0/{tenant}/configuration/{namespace}/{key}",
			body: `{"value": "10.0.0.2"}`, status: 204},
		{name: "replace it if it exists", method: "PUT", path: "/v1.0/{tenant}/configuration/{namespace}/{key}",
			body: `{"value": "10.0.0.3"}`, header: []string{"If-Match", "*"}, status: 204},
		{name: "read the namespaced value", method: "GET", path: "/v1.0/{tenant}/configuration/{namespace}/{key}", status: 200},
		{name: "list the namespace", method: "GET", path: "/v1.0/{tenant}/configuration/{namespace}/", status: 200},
		{name: "an empty namespace", method: "GET", path: "/v1.0/{tenant}/configuration/{namespace}/",
			params: map[string]string{"namespace": "staging"}, status: 404},
		{name: "past the end of a namespace", method: "GET", path: "/v1.0/{tenant}/configuration/{namespace}/",
			params: map[string]string{"namespace": "staging"}, query: "marker=zzz", status: 200},
		{name: "a namespace segment too short", method: "GET", path: "/v1.0/{tenant}/configuration/{namespace}/",
			params: map[string]string{"namespace": "ab"}, status: 400, invalid: true},
		{name: "write a namespace", method: "PUT", path: "/v1.0/{tenant}/configuration/{namespace}/",
			body: `{"value": "v"}`, status: 400},
		{name: "delete a namespace", method: "DELETE", path: "/v1.0/{tenant}/configuration/{namespace}/", status: 400},
		{name: "list every value", method: "GET", path: "/v1.0/{tenant}/configuration", query: "limit=1", status: 200},
		{name: "list from a namespaced marker", method: "GET", path: "/v1.0/{tenant}/configuration", query: "marker=/production/a_b", status: 200},
		{name: "a marker no value can have", method: "GET", path: "/v1.0/{tenant}/configuration", query: "marker=/x/", status: 400, invalid: true},
		{name: "delete at a stale version", method: "DELETE", path: "/v1.0/{tenant}/configuration/{namespace}/{key}",
			header: []string{"If-Match", `"1"`}, status: 412},
		{name: "delete the namespaced value", method: "DELETE", path: "/v1.0/{tenant}/configuration/{namespace}/{key}",
			header: []string{"If-Match", `"2"`}, status: 204},
		{name: "delete it again", method: "DELETE", path: "/v1.0/{tenant}/configuration/{namespace}/{key}", status: 404},
		{name: "delete the bare value", method: "DELETE", path: "/v1.0/{tenant}/configuration/{key}", status: 204},

		// Events.
		{name: "the last hour of events", method: "GET", path: "/v1.0/{tenant}/events", status: 200},
		{name: "a page of events with more waiting", method: "GET", path: "/v1.0/{tenant}/events", query: "limit=2", status: 200},
		{name: "events of one type, from a marker", method: "GET", path: "/v1.0/{tenant}/events",
			query: "type=services.timeout&marker=0000000000000001", status: 200},
		{name: "waiting for the next event", method: "GET", path: "/v1.0/{tenant}/events",
			query: "marker=0000000000000007&wait=1", status: 200},
		{name: "wait 21 s", method: "GET", path: "/v1.0/{tenant}/events", query: "wait=21", status: 400, invalid: true},
		{name: "an unknown event type", method: "GET", path: "/v1.0/{tenant}/events", query: "type=service.update", status: 400, invalid: true},
		{name: "an uppercase event id", method: "GET", path: "/v1.0/{tenant}/events", query: "marker=000000000000000A", status: 400, invalid: true},
		{name: "the feed is down", method: "GET", path: "/v1.0/{tenant}/events", status: 503,
			before: func() { feed.mu.Lock(); feed.readErr = storeDown; feed.mu.Unlock() }},

		// Authentication, on every route alike.
		{name: "no token", method: "GET", path: "/v1.0/{tenant}/limits", token: "-", status: 401, invalid: true,
			before: func() { feed.mu.Lock(); feed.readErr = nil; feed.mu.Unlock() }},
		{name: "a token that is not valid", method: "GET", path: "/v1.0/{tenant}/services", token: "nope", status: 401},
		{name: "another tenant's token", method: "DELETE", path: "/v1.0/{tenant}/configuration/{key}", token: "tok-globex", status: 403},

		{name: "delete a service", method: "DELETE", path: "/v1.0/{tenant}/services/{id}", params: map[string]string{"id": "web-1"}, status: 204},
		{name: "close the session", method: "DELETE", path: "/v1.0/{tenant}/sessions/{id}", params: sid, status: 204},

		// Request limits (the clock stands still: every request is in the
		// same second).
		{name: "the limits report the requests made", method: "GET", path: "/v1.0/{tenant}/limits", status: 200},
		{name: "over the burst rate", method: "GET", path: "/v1.0/{tenant}/sessions", status: 429,
			before: func() { perSecond := 0; store.SetRequestLimits(context.Background(), "acme", nil, &perSecond) }},
	}

	covered := map[string]bool{}
	vars := map[string]string{}
	for _, st := range steps {
		name := st.method + " " + st.path + ": " + st.name
		op, item := oasFind(t, doc, st.method, st.path)
		covered[st.method+" "+st.path+" "+fmt.Sprint(st.status)] = true
		if st.before != nil {
			st.before()
		}
		expand := func(s string) string {
			for k, v := range vars {
				s = strings.ReplaceAll(s, "$"+k, v)
			}
			return s
		}
		params := map[string]string{}
		for k, v := range oasSamples {
			params[k] = v
		}
		for k, v := range st.params {
			params[k] = expand(v)
		}
		target := oasFill(st.path, params)
		if st.query != "" {
			target += "?" + expand(st.query)
		}
		body := expand(st.body)
		newRequest := func(base string) *http.Request {
			req, err := http.NewRequest(st.method, base+target, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			switch st.token {
			case "":
				req.Header.Set("X-Auth-Token", "tok-acme")
			case "-":
			default:
				req.Header.Set("X-Auth-Token", st.token)
			}
			for i := 0; i+1 < len(st.header); i += 2 {
				req.Header.Set(st.header[i], expand(st.header[i+1]))
			}
			return req
		}

		route := &routers.Route{Spec: doc, Path: st.path, PathItem: item, Method: st.method, Operation: op}
		pathParams := map[string]string{}
		for _, p := range oasParam.FindAllString(st.path, -1) {
			p = strings.Trim(p, "{}")
			pathParams[p] = params[p]
		}
		reqInput := &openapi3filter.RequestValidationInput{
			Request:    newRequest("http://registry.test"),
			PathParams: pathParams,
			Route:      route,
			Options: &openapi3filter.Options{
				AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
					if in.RequestValidationInput.Request.Header.Get("X-Auth-Token") == "" {
						return errors.New("no X-Auth-Token")
					}
					return nil
				},
			},
		}
		reqErr := openapi3filter.ValidateRequest(context.Background(), reqInput)

		res, err := http.DefaultClient.Do(newRequest(ts.URL))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != st.status {
			t.Errorf("%s: status %d %s, want %d", name, res.StatusCode, raw, st.status)
			continue
		}
		if st.invalid && reqErr == nil {
			t.Errorf("%s: the server answers %d, yet openapi.yaml accepts the request", name, res.StatusCode)
		}
		if !st.invalid && reqErr != nil {
			t.Errorf("%s: openapi.yaml rejects a request the server handles as valid: %v", name, reqErr)
		}
		resInput := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: reqInput,
			Status:                 res.StatusCode,
			Header:                 res.Header,
			Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		resInput.SetBodyBytes(raw)
		if err := openapi3filter.ValidateResponse(context.Background(), resInput); err != nil {
			t.Errorf("%s: the response does not match openapi.yaml: %v\n%d %s", name, err, res.StatusCode, raw)
		}
		if r := op.Responses.Status(res.StatusCode); r != nil && len(r.Value.Content) == 0 && len(raw) != 0 {
			t.Errorf("%s: %d documents no body, got %s", name, res.StatusCode, raw)
		}
		if st.save != nil {
			var out map[string]any
			json.Unmarshal(raw, &out)
			st.save(out, res.Header, vars)
		}
	}

	// Every operation was tried, and so was every success it documents.
	for _, o := range oasOperations(doc) {
		for code := range o.op.Responses.Map() {
			if strings.HasPrefix(code, "2") && !covered[o.method+" "+o.path+" "+code] {
				t.Errorf("no step answers %s %s with %s", o.method, o.path, code)
			}
		}
	}
}

// The answers to a path no route serves and to a method a route does not
// serve, which no operation documents, match the document's components.
func TestOpenAPIRoutingFaults(t *testing.T) {
	doc := oasLoad(t)
	srv, _, _ := oasServer()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	cases := []struct {
		method, path string
		response     string
		allow        string // for a 405
	}{
		{"GET", "/v1.0/acme/nope", "NotFound", ""},
		{"GET", "/v1.0/acme/sessions/abc/beat", "NotFound", ""},
		{"GET", "/v1.0/acme/sessions/abc/heartbeat", "MethodNotAllowed", "POST"},
		{"PATCH", "/v1.0/acme/sessions", "MethodNotAllowed", "GET, HEAD, POST"},
		{"POST", "/v1.0/acme/configuration/listen_ip", "MethodNotAllowed", "DELETE, GET, HEAD, PUT"},
		// ServeMux would redirect these to "/configuration/"; only GET serves
		// "/configuration" itself.
		{"PUT", "/v1.0/acme/configuration", "MethodNotAllowed", "GET, HEAD"},
		{"DELETE", "/v1.0/acme/configuration", "MethodNotAllowed", "GET, HEAD"},
		// ServeMux would redirect to a clean path.
		{"GET", "/v1.0/acme//sessions", "NotFound", ""},
		{"PUT", "/v1.0/acme/./configuration", "NotFound", ""},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(`{}`))
		req.Header.Set("X-Auth-Token", "tok-acme")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if got := res.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
		want := doc.Components.Responses[c.response].Value
		for name, h := range want.Headers {
			if h.Value.Required && res.Header.Get(name) == "" {
				t.Errorf("%s %s: no %s header", c.method, c.path, name)
			}
		}
		schema := want.Content.Get("application/json").Schema.Value
		var body any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("%s %s: %v: %s", c.method, c.path, err, raw)
		}
		if err := schema.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("%s %s: %d %s does not match components.responses.%s: %v", c.method, c.path, res.StatusCode, raw, c.response, err)
		}
		if got := res.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, got)
		}
	}
}

func oasFind(t *testing.T, doc *openapi3.T, method, path string) (*openapi3.Operation, *openapi3.PathItem) {
	t.Helper()
	item := doc.Paths.Value(path)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("openapi.yaml has no operation %s %s", method, path)
	}
	return item.GetOperation(method), item
}
