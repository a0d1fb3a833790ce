package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/memstore"
	"github.com/service-registry/registry/internal/registry"
)

// FuzzHTTP sends arbitrary requests through the whole handler (every route,
// over the in-memory store) and holds every answer to the API contract:
//
//   - never a 5xx, never a redirect;
//   - every status >= 400 is a fault JSON with type, code (= the status),
//     message, details and txnId (= the X-Txn-Id header);
//   - a 2xx to GET is JSON, a 204 has no body, a 201 links to what it made;
//   - a request answered with 4xx, and any GET or HEAD, changes nothing;
//   - the store is never corrupted: afterwards it holds only data that obeys
//     the rules, its quota counts match what it holds, and the lists of
//     sessions, services and configuration still answer 200.
//
// The handler is built once; the store is reset to the same fixture before
// each input, so a failing input reproduces on its own.
func FuzzHTTP(f *testing.F) {
	for _, s := range fzHTTPSeeds() {
		f.Add(s.method, s.path, s.query, []byte(s.body), s.ifMatch)
	}
	env := newFzEnv()
	f.Fuzz(func(t *testing.T, methodIdx uint8, path, query string, body []byte, ifMatch string) {
		env.mu.Lock()
		defer env.mu.Unlock()
		env.reset(t)

		method := fzMethods[int(methodIdx)%len(fzMethods)]
		req := fzRequest(method, path, query, body, ifMatch)
		if req == nil {
			return // no client could send this request
		}
		before := env.snapshot(t)
		rec := httptest.NewRecorder()
		env.handler.ServeHTTP(rec, req)
		after := env.snapshot(t)

		what := method + " " + req.RequestURI
		fzCheckResponse(t, what, method, rec, len(body))
		if (rec.Code >= 400 || method == "GET" || method == "HEAD") && before != after {
			t.Fatalf("%s answered %d %s yet changed the store:\nbefore %s\nafter  %s", what, rec.Code, rec.Body, before, after)
		}
		env.checkStore(t, what)
	})
}

// fzMethods are the methods a fuzz input picks from.
var fzMethods = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"}

const (
	fzMethodGet = iota
	fzMethodPost
	fzMethodPut
	fzMethodDelete
	fzMethodHead
	fzMethodPatch
	fzMethodOptions
)

// fzHost is the Host every fuzzed request names.
const fzHost = "registry.example"

// fzRequest builds the request a server would have parsed from the wire, or
// nil if the request cannot be written or parsed (a space or a line break in
// the target, an invalid escape, a header value with control characters).
func fzRequest(method, path, query string, body []byte, ifMatch string) *http.Request {
	target := "/v1.0/" + path
	if query != "" {
		target += "?" + query
	}
	if strings.ContainsAny(target, " \r\n") || strings.ContainsAny(ifMatch, "\r\n") {
		return nil
	}
	var raw bytes.Buffer
	raw.WriteString(method + " " + target + " HTTP/1.1\r\n")
	raw.WriteString("Host: " + fzHost + "\r\n")
	raw.WriteString("X-Auth-Token: t\r\n")
	if ifMatch != "" {
		raw.WriteString("If-Match: " + ifMatch + "\r\n")
	}
	raw.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	raw.Write(body)
	req, err := http.ReadRequest(bufio.NewReader(&raw))
	if err != nil {
		return nil
	}
	return req
}

// fzCheckResponse checks one answer against the contract.
func fzCheckResponse(t *testing.T, what, method string, rec *httptest.ResponseRecorder, bodyLen int) {
	t.Helper()
	status, body := rec.Code, rec.Body.Bytes()
	switch {
	case status >= 500:
		t.Fatalf("%s: %d %s", what, status, body)
	case status < 200, status >= 300 && status < 400:
		t.Fatalf("%s: unexpected status %d (Location %q) %s", what, status, rec.Header().Get("Location"), body)
	}
	if rec.Header().Get("X-Txn-Id") == "" {
		t.Fatalf("%s: no X-Txn-Id", what)
	}
	if status >= 400 {
		fzCheckFault(t, what, rec)
		if status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
			t.Fatalf("%s: 405 without Allow", what)
		}
		if status == http.StatusRequestEntityTooLarge && bodyLen <= api.MaxBodyBytes {
			t.Fatalf("%s: 413 for a body of %d bytes", what, bodyLen)
		}
		return
	}
	switch {
	case status == http.StatusNoContent:
		if len(body) != 0 {
			t.Fatalf("%s: 204 with a body %q", what, body)
		}
	case method == "HEAD":
		// The server drops the body of an answer to HEAD.
	default:
		if !json.Valid(body) || len(bytes.TrimSpace(body)) == 0 {
			t.Fatalf("%s: %d with a body that is not JSON: %q", what, status, body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s: %d with Content-Type %q", what, status, ct)
		}
	}
	if method == "GET" && status != http.StatusOK {
		t.Fatalf("%s: GET answered %d", what, status)
	}
	if status == http.StatusCreated {
		loc := rec.Header().Get("Location")
		if !strings.HasPrefix(loc, "http://"+fzHost+"/v1.0/acme/") {
			t.Fatalf("%s: 201 with Location %q", what, loc)
		}
	}
}

// fzCheckFault checks that a 4xx answer is a fault JSON.
func fzCheckFault(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	var fault map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &fault); err != nil {
		t.Fatalf("%s: %d with a body that is not a JSON object: %q", what, rec.Code, rec.Body)
	}
	for _, k := range []string{"type", "code", "message", "details", "txnId"} {
		if _, ok := fault[k]; !ok {
			t.Fatalf("%s: fault lacks %q: %s", what, k, rec.Body)
		}
	}
	if len(fault) != 5 {
		t.Fatalf("%s: fault has extra keys: %s", what, rec.Body)
	}
	typ, _ := fault["type"].(string)
	msg, _ := fault["message"].(string)
	_, detailsIsString := fault["details"].(string)
	txn, _ := fault["txnId"].(string)
	if code, _ := fault["code"].(float64); code != float64(rec.Code) {
		t.Fatalf("%s: status %d, fault code %v: %s", what, rec.Code, fault["code"], rec.Body)
	}
	if typ == "" || msg == "" || !detailsIsString || txn == "" {
		t.Fatalf("%s: fault with empty or mistyped fields: %s", what, rec.Body)
	}
	if txn != rec.Header().Get("X-Txn-Id") {
		t.Fatalf("%s: txnId %q, X-Txn-Id %q", what, txn, rec.Header().Get("X-Txn-Id"))
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: fault with Content-Type %q", what, ct)
	}
}

// fzAuth accepts token "t" for tenant acme.
type fzAuth struct{}

func (fzAuth) Authenticate(_ context.Context, token string) (string, error) {
	if token == "t" {
		return "acme", nil
	}
	return "", registry.Errorf(registry.KindUnauthorized, "The token is not valid.")
}

// fzFeed is a stateless event feed: every read finds one event at the
// marker, so a long poll never waits.
type fzFeed struct{}

func (fzFeed) Read(_ context.Context, _ string, req registry.FeedRequest) (registry.FeedPage, error) {
	typ := req.Type
	if typ == "" {
		typ = registry.EventServiceJoin
	}
	ev := &registry.Event{ID: req.From, Timestamp: fzNow, Type: typ, Payload: json.RawMessage(`{"id":"svc-1"}`)}
	return registry.FeedPage{Events: []*registry.Event{ev}, Next: req.From, More: true}, nil
}

func (fzFeed) Since(context.Context, string, time.Time) (string, error) {
	return "0000000000000001", nil
}

func (fzFeed) Rectify(context.Context, string, time.Time) error { return nil }

func (fzFeed) ValidEventID(id string) bool {
	return len(id) == 16 && strings.Trim(id, "0123456789abcdef") == ""
}

// fzNow is the fixed time of the fuzzed server: sessions never expire.
var fzNow = time.UnixMilli(1_900_000_000_000)

type fzEnv struct {
	mu      sync.Mutex
	store   *memstore.Store
	handler http.Handler
}

func newFzEnv() *fzEnv {
	store := memstore.New()
	s := &api.Server{
		Sessions: store,
		Services: store,
		Config:   store,
		Account:  store,
		Events:   fzFeed{},
		Auth:     fzAuth{},
		Now:      func() time.Time { return fzNow },
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return &fzEnv{store: store, handler: s.Handler()}
}

var fzTenants = []string{"acme", "globex"}

// reset empties the store and puts the fixture back.
func (e *fzEnv) reset(t *testing.T) {
	t.Helper()
	ctx, all := context.Background(), registry.PageRequest{Limit: 1 << 20}
	for _, tenant := range fzTenants {
		sessions, err := e.store.ListSessions(ctx, tenant, all, fzNow)
		fzMust(t, err)
		for _, s := range sessions.Items {
			fzMust(t, e.store.DeleteSession(ctx, tenant, s.ID, fzNow))
		}
		values, err := e.store.ListConfig(ctx, tenant, "", all)
		fzMust(t, err)
		for _, v := range values.Items {
			fzMust(t, e.store.DeleteConfig(ctx, tenant, v.ID, registry.Precondition{}))
		}
	}
	for _, s := range []*registry.Session{
		{ID: "fixture1", HeartbeatTimeout: 30, Metadata: registry.Metadata{"host": "db-1"}, Deadline: fzNow.Add(30 * time.Second), Token: "fixtoken"},
		{ID: "fixture2", HeartbeatTimeout: 120, Deadline: fzNow.Add(120 * time.Second), Token: "fixtoken2"},
	} {
		fzMust(t, e.store.CreateSession(ctx, "acme", s))
	}
	for _, s := range []*registry.Service{
		{ID: "svc-1", SessionID: "fixture1", Tags: []string{"a", "b"}, Metadata: registry.Metadata{"k": "v"}},
		{ID: "svc.two", SessionID: "fixture2"},
	} {
		fzMust(t, e.store.CreateService(ctx, "acme", s, fzNow))
	}
	for id, v := range map[string]string{"/prod/cassandra/host": "10.0.0.1", "/prod/cassandra/port": "5432", "bare_key": "x"} {
		_, err := e.store.PutConfig(ctx, "acme", id, v, registry.Precondition{})
		fzMust(t, err)
	}
}

// fzState is everything the store holds, for comparison and checks.
type fzState struct {
	Sessions []registry.Session
	Services []registry.Service
	Config   []registry.ConfigValue
	Limits   map[registry.Resource]registry.Usage
}

// snapshot renders the store's state for every tenant as a string.
func (e *fzEnv) snapshot(t *testing.T) string {
	t.Helper()
	out := map[string]fzState{}
	for _, tenant := range fzTenants {
		out[tenant] = e.state(t, tenant)
	}
	b, err := json.Marshal(out)
	fzMust(t, err)
	return string(b)
}

func (e *fzEnv) state(t *testing.T, tenant string) fzState {
	t.Helper()
	ctx, all := context.Background(), registry.PageRequest{Limit: 1 << 20}
	var st fzState
	sessions, err := e.store.ListSessions(ctx, tenant, all, fzNow)
	fzMust(t, err)
	for _, s := range sessions.Items {
		st.Sessions = append(st.Sessions, *s)
	}
	services, err := e.store.ListServices(ctx, tenant, "", all, fzNow)
	fzMust(t, err)
	for _, s := range services.Items {
		st.Services = append(st.Services, *s)
	}
	values, err := e.store.ListConfig(ctx, tenant, "", all)
	fzMust(t, err)
	for _, v := range values.Items {
		st.Config = append(st.Config, *v)
	}
	st.Limits, err = e.store.Limits(ctx, tenant)
	fzMust(t, err)
	return st
}

// checkStore checks that the store holds only valid data, counted right,
// and that the lists still answer.
func (e *fzEnv) checkStore(t *testing.T, what string) {
	t.Helper()
	for _, tenant := range fzTenants {
		st := e.state(t, tenant)
		for _, s := range st.Sessions {
			if !registry.ValidSessionID(s.ID) || s.HeartbeatTimeout < registry.MinHeartbeatTimeout ||
				s.HeartbeatTimeout > registry.MaxHeartbeatTimeout || s.Metadata.Validate() != nil || s.Token == "" {
				t.Fatalf("after %s: invalid session in %s: %+v", what, tenant, s)
			}
		}
		for _, s := range st.Services {
			if !registry.ValidServiceID(s.ID) || !registry.ValidSessionID(s.SessionID) ||
				registry.ValidateTags(s.Tags) != nil || s.Metadata.Validate() != nil ||
				!slices.Equal(s.Tags, registry.DedupTags(s.Tags)) {
				t.Fatalf("after %s: invalid service in %s: %+v", what, tenant, s)
			}
			if !slices.ContainsFunc(st.Sessions, func(ss registry.Session) bool { return ss.ID == s.SessionID }) {
				t.Fatalf("after %s: service %q outlives its session %q", what, s.ID, s.SessionID)
			}
		}
		for _, v := range st.Config {
			if !registry.ValidConfigID(v.ID) || registry.ValidateConfigValue(v.Value) != nil || v.Version < 1 {
				t.Fatalf("after %s: invalid configuration value in %s: %+v", what, tenant, v)
			}
		}
		for r, n := range map[registry.Resource]int{
			registry.ResourceSession:            len(st.Sessions),
			registry.ResourceService:            len(st.Services),
			registry.ResourceConfigurationValue: len(st.Config),
		} {
			if st.Limits[r].Used != n {
				t.Fatalf("after %s: %s quota counts %d, the store holds %d", what, r, st.Limits[r].Used, n)
			}
		}
		if tenant != "acme" && (len(st.Sessions) > 0 || len(st.Config) > 0) {
			t.Fatalf("after %s: tenant %s was written: %+v", what, tenant, st)
		}
	}
	for _, p := range []string{"sessions", "services", "configuration", "configuration/", "views/overview", "limits", "events"} {
		req := httptest.NewRequest("GET", "http://"+fzHost+"/v1.0/acme/"+p, nil)
		req.Header.Set("X-Auth-Token", "t")
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("after %s: GET %s answers %d %s", what, p, rec.Code, rec.Body)
		}
	}
}

func fzMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type fzSeed struct {
	method            uint8
	path, query, body string
	ifMatch           string
}

func fzHTTPSeeds() []fzSeed {
	const (
		get, post, put, del = fzMethodGet, fzMethodPost, fzMethodPut, fzMethodDelete
	)
	id65 := strings.Repeat("s", 65)
	id66 := strings.Repeat("s", 66)
	key170 := strings.Repeat("k", 170)
	key171 := strings.Repeat("k", 171)
	seeds := []fzSeed{
		// Routing.
		{get, "", "", "", ""},
		{get, "acme", "", "", ""},
		{get, "acme/", "", "", ""},
		{get, "acme/nothing", "", "", ""},
		{get, "ACME/sessions", "", "", ""},
		{get, "globex/sessions", "", "", ""},
		{get, "ac%6De/sessions", "", "", ""},
		{get, "acme%2Fsessions", "", "", ""},
		{get, "acme/sessions/", "", "", ""},
		{get, "acme//sessions", "", "", ""},
		{get, "acme/./sessions", "", "", ""},
		{get, "acme/x/../sessions", "", "", ""},
		{get, "acme/x/%2e%2e/sessions", "", "", ""},
		{fzMethodPatch, "acme/sessions", "", "", ""},
		{fzMethodOptions, "acme/sessions/fixture1", "", "", ""},
		{fzMethodHead, "acme/sessions", "", "", ""},
		{post, "acme/limits", "", "{}", ""},
		// Sessions.
		{get, "acme/sessions", "", "", ""},
		{get, "acme/sessions", "limit=1", "", ""},
		{get, "acme/sessions", "limit=0", "", ""},
		{get, "acme/sessions", "limit=1000", "", ""},
		{get, "acme/sessions", "limit=1001", "", ""},
		{get, "acme/sessions", "limit=%2B5", "", ""},
		{get, "acme/sessions", "limit=005", "", ""},
		{get, "acme/sessions", "limit=-1", "", ""},
		{get, "acme/sessions", "limit=1e3", "", ""},
		{get, "acme/sessions", "limit=99999999999999999999", "", ""},
		{get, "acme/sessions", "limit=1&limit=2000", "", ""},
		{get, "acme/sessions", "marker=fixture2", "", ""},
		{get, "acme/sessions", "marker=FIXTURE2", "", ""},
		{get, "acme/sessions", "marker=..", "", ""},
		{get, "acme/sessions", "marker=%00", "", ""},
		{get, "acme/sessions", "marker=a;limit=1", "", ""},
		{get, "acme/sessions", "%zz", "", ""},
		{get, "acme/sessions/fixture1", "", "", ""},
		{get, "acme/sessions/FIXTURE1", "", "", ""},
		{get, "acme/sessions/fi%78ture1", "", "", ""},
		{get, "acme/sessions/..%2Ffixture1", "", "", ""},
		{get, "acme/sessions/%2e%2e", "", "", ""},
		{get, "acme/sessions/fixture1/", "", "", ""},
		{get, "acme/sessions//fixture1", "", "", ""},
		{get, "acme/sessions/fixture1%00", "", "", ""},
		{get, "acme/sessions/" + strings.Repeat("a", 16), "", "", ""},
		{post, "acme/sessions", "", `{"heartbeat_timeout": 10, "metadata": {"host": "db-1"}}`, ""},
		{post, "acme/sessions", "", `{"heartbeat_timeout": 2}`, ""},
		{post, "acme/sessions", "", `{"heartbeat_timeout": 121}`, ""},
		{post, "acme/sessions", "", `{"heartbeat_timeout": 1e400}`, ""},
		{post, "acme/sessions", "", `{"heartbeat_timeout": -0}`, ""},
		{post, "acme/sessions", "", `{"heartbeat_timeout": 10, "heartbeat_timeout": 11}`, ""},
		{post, "acme/sessions", "", `{"heartbeat_timeout": 10}garbage`, ""},
		{post, "acme/sessions", "", `{"heartbeat_timeout": 10, "metadata": {"a": "1", "a": "2"}}`, ""},
		{post, "acme/sessions", "", `{"heartbeat_timeout": 10, "metadata": {"": "x"}}`, ""},
		{post, "acme/sessions", "", "{\"heartbeat_timeout\": 10, \"metadata\": {\"k\": \"\xff\"}}", ""},
		{post, "acme/sessions", "", `{"heartbeat_timeout": 10, "metadata": {"k": "\u0000"}}`, ""},
		{post, "acme/sessions", "", `null`, ""},
		{post, "acme/sessions", "", ``, ""},
		{put, "acme/sessions/fixture1", "", `{"heartbeat_timeout": 60}`, ""},
		{put, "acme/sessions/fixture1", "", `{"metadata": {"x": "` + strings.Repeat("é", 256) + `"}}`, ""},
		{put, "acme/sessions/fixture1", "", `{}`, ""},
		{put, "acme/sessions/nosuch", "", `{"heartbeat_timeout": 60}`, ""},
		{post, "acme/sessions/fixture1/heartbeat", "", `{"token": "fixtoken"}`, ""},
		{post, "acme/sessions/fixture1/heartbeat", "", `{"token": "wrong"}`, ""},
		{post, "acme/sessions/fixture1/heartbeat", "", `{"token": ""}`, ""},
		{post, "acme/sessions/fixture1/heartbeat", "", `{"TOKEN": "fixtoken"}`, ""},
		{del, "acme/sessions/fixture1", "", "", ""},
		{del, "acme/sessions/fixture1%2F", "", "", ""},
		// Services.
		{get, "acme/services", "", "", ""},
		{get, "acme/services", "tag=a", "", ""},
		{get, "acme/services", "tag=", "", ""},
		{get, "acme/services", "tag=" + strings.Repeat("t", 56), "", ""},
		{get, "acme/services", "tag=%FF", "", ""},
		{get, "acme/services", "marker=svc.two&limit=1", "", ""},
		{get, "acme/services/svc-1", "", "", ""},
		{get, "acme/services/svc-%31", "", "", ""},
		{get, "acme/services/svc.two", "", "", ""},
		{get, "acme/services/..", "", "", ""},
		{get, "acme/services/...", "", "", ""},
		{get, "acme/services/%2e%2e%2e", "", "", ""},
		{get, "acme/services/" + id65, "", "", ""},
		{get, "acme/services/" + id66, "", "", ""},
		{get, "acme/services/svc-\u212a", "", "", ""},
		{get, "acme/services/\u017fvc-1", "", "", ""},
		{post, "acme/services", "", `{"id": "svc-3", "session_id": "fixture1", "tags": ["x", "x", "y"], "metadata": {"a": "b"}}`, ""},
		{post, "acme/services", "", `{"id": "` + id65 + `", "session_id": "fixture1"}`, ""},
		{post, "acme/services", "", `{"id": "` + id66 + `", "session_id": "fixture1"}`, ""},
		{post, "acme/services", "", `{"id": "svc-1", "session_id": "fixture1"}`, ""},
		{post, "acme/services", "", `{"id": "svc-4", "session_id": "nosuch"}`, ""},
		{post, "acme/services", "", `{"id": "svc-\u212a", "session_id": "fixture1"}`, ""},
		{post, "acme/services", "", `{"id": "svc-5", "session_id": "fixture1", "tags": ["1","2","3","4","5","6","7","8","9","10","11"]}`, ""},
		{post, "acme/services", "", `{"id": "svc-5", "session_id": "fixture1", "ſession_id": "fixture2"}`, ""},
		{put, "acme/services/svc-1", "", `{"tags": ["x"]}`, ""},
		{put, "acme/services/svc-1", "", `{"id": "other"}`, ""},
		{put, "acme/services/svc-1", "", `{"tags": [""]}`, ""},
		{del, "acme/services/svc.two", "", "", ""},
		// Configuration.
		{get, "acme/configuration", "", "", ""},
		{get, "acme/configuration/", "", "", ""},
		{get, "acme/configuration/prod/", "", "", ""},
		{get, "acme/configuration/prod/cassandra/", "limit=1", "", ""},
		{get, "acme/configuration/prod/cassandra/host", "", "", ""},
		{get, "acme/configuration/prod%2Fcassandra%2Fhost", "", "", ""},
		{get, "acme/configuration/prod/../prod/cassandra/host", "", "", ""},
		{get, "acme/configuration/prod/%2e%2e/prod/cassandra/host", "", "", ""},
		{get, "acme/configuration/prod//cassandra/host", "", "", ""},
		{get, "acme/configuration//prod/cassandra/host", "", "", ""},
		{get, "acme/configuration/bare_key", "", "", ""},
		{get, "acme/configuration/...", "", "", ""},
		{get, "acme/configuration/prod/cassandra/HOST", "", "", ""},
		{get, "acme/configuration/prod/cassandra/ho%00st", "", "", ""},
		{get, "acme/configuration/" + key170, "", "", ""},
		{get, "acme/configuration/" + key171, "", "", ""},
		{get, "acme/configuration/" + strings.Repeat("seg/", 11) + "key", "", "", ""},
		{get, "acme/configuration", "marker=/prod/cassandra/port", "", ""},
		{get, "acme/configuration", "marker=prod/cassandra/port", "", ""},
		{put, "acme/configuration/prod/cassandra/host", "", `{"value": "10.0.0.2"}`, `"1"`},
		{put, "acme/configuration/prod/cassandra/host", "", `{"value": "10.0.0.2"}`, `"2"`},
		{put, "acme/configuration/prod/cassandra/host", "", `{"value": "10.0.0.2"}`, `*`},
		{put, "acme/configuration/prod/cassandra/host", "", `{"value": "10.0.0.2"}`, `"01"`},
		{put, "acme/configuration/prod/cassandra/host", "", `{"value": "10.0.0.2"}`, `"-1"`},
		{put, "acme/configuration/prod/cassandra/host", "", `{"value": "10.0.0.2"}`, `"99999999999999999999"`},
		{put, "acme/configuration/prod/cassandra/host", "", `{"value": "10.0.0.2"}`, `W/"1"`},
		{put, "acme/configuration/prod/cassandra/host", "", `{"value": "10.0.0.2"}`, `"1", "2"`},
		{put, "acme/configuration/prod/cassandra/", "", `{"value": "x"}`, ""},
		{put, "acme/configuration/new_key", "", `{"value": ""}`, ""},
		{put, "acme/configuration/new_key", "", `{"value": "v", "VALUE": "w"}`, ""},
		{put, "acme/configuration/new_key", "", `{"value": "v"}{"value": "w"}`, ""},
		{put, "acme/configuration/" + key170, "", `{"value": "v"}`, ""},
		{put, "acme/configuration/" + key171, "", `{"value": "v"}`, ""},
		{put, "acme/configuration/a%2Fb", "", `{"value": "v"}`, ""},
		{put, "acme/configuration/k\u212aey", "", `{"value": "v"}`, ""},
		{del, "acme/configuration/prod/cassandra/port", "", "", `"1"`},
		{del, "acme/configuration/prod/cassandra/port", "", "", `"2"`},
		{del, "acme/configuration/prod/", "", "", ""},
		// Account and events.
		{get, "acme/views/overview", "limit=1", "", ""},
		{get, "acme/limits", "", "", ""},
		{get, "acme/events", "", "", ""},
		{get, "acme/events", "type=service.join&wait=1&marker=0000000000000001", "", ""},
		{get, "acme/events", "wait=21", "", ""},
		{get, "acme/events", "wait=0", "", ""},
		{get, "acme/events", "type=nope", "", ""},
		{get, "acme/events", "marker=000000000000000A", "", ""},
	}
	return seeds
}
