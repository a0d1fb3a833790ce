// Package api is the HTTP face of the registry: routes, JSON, faults,
// pagination and authentication, on plain net/http. The same handler serves
// API Gateway (through the Lambda adapter) and plain HTTP in tests.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

// Authenticator resolves an X-Auth-Token to its tenant. It answers an error
// of kind KindUnauthorized for a token it does not know.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (tenant string, err error)
}

// Server holds what the handlers need. A nil store leaves its routes out, so
// each Lambda function serves only its own resource.
type Server struct {
	Sessions registry.SessionStore
	Services registry.ServiceStore
	Config   registry.ConfigStore
	Account  registry.AccountStore
	Events   EventFeed
	Auth     Authenticator
	// Rate, when set, counts every authenticated request against the
	// tenant's request limits.
	Rate registry.RateLimiter
	Now  registry.Clock
	Log  *slog.Logger
	// PublicURL, when set, is the base URL clients reach the API at (the
	// part before /v1.0), for links in Location and next_href. Unset, links
	// are built from the request: right on API Gateway, with or without a
	// custom domain. Set it behind a proxy that rewrites paths.
	PublicURL *url.URL
}

// apiPrefix starts every route; the tenant follows it.
const apiPrefix = "/v1.0/{tenant}"

// handlerFunc is a route's handler: it answers the request or returns an
// error, which becomes a fault.
type handlerFunc func(w http.ResponseWriter, r *http.Request, tenant string) error

// Handler returns the HTTP handler of every route whose store is set.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(func(pattern string, h handlerFunc) {
		mux.Handle(pattern, routeHandler{s.authenticated(h)})
	})
	return s.observe(faultingMux{mux})
}

// Routes lists the pattern of every route Handler serves, such as
// "GET /v1.0/{tenant}/sessions/{id}" (openapi.yaml is checked against it).
func (s *Server) Routes() []string {
	var patterns []string
	s.routes(func(pattern string, _ handlerFunc) { patterns = append(patterns, pattern) })
	return patterns
}

// routes calls add with the full pattern and the handler of every route
// whose store is set.
func (s *Server) routes(add func(pattern string, h handlerFunc)) {
	route := func(pattern string, h handlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		add(method+" "+apiPrefix+path, h)
	}
	if s.Sessions != nil {
		route("GET /sessions", s.listSessions)
		route("POST /sessions", s.createSession)
		route("GET /sessions/{id}", s.getSession)
		route("PUT /sessions/{id}", s.updateSession)
		route("DELETE /sessions/{id}", s.deleteSession)
		route("POST /sessions/{id}/heartbeat", s.heartbeat)
	}
	if s.Services != nil {
		route("GET /services", s.listServices)
		route("POST /services", s.createService)
		route("GET /services/{id}", s.getService)
		route("PUT /services/{id}", s.updateService)
		route("DELETE /services/{id}", s.deleteService)
	}
	if s.Account != nil {
		route("GET /views/overview", s.overview)
		route("GET /limits", s.limits)
	}
	if s.Events != nil {
		route("GET /events", s.listEvents)
	}
	if s.Config != nil {
		route("GET /configuration", s.listConfig)
		route("GET /configuration/{path...}", s.getConfig)
		route("PUT /configuration/{path...}", s.putConfig)
		route("DELETE /configuration/{path...}", s.deleteConfig)
	}
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// authenticated resolves the tenant of the request before h runs. The tenant
// comes from the token, never from the URL alone: a path naming another
// tenant is forbidden. The request then counts against the tenant's request
// limits.
func (s *Server) authenticated(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, err := s.tenantOf(r)
		if err == nil && tenant != r.PathValue("tenant") {
			err = registry.Errorf(registry.KindForbidden, "The token does not grant access to this tenant.")
		}
		if err == nil && s.Rate != nil {
			err = s.Rate.TakeRequest(r.Context(), tenant, s.now())
		}
		if err == nil {
			err = h(w, r, tenant)
		}
		if err != nil {
			writeError(w, r, err)
		}
	})
}

func (s *Server) tenantOf(r *http.Request) (string, error) {
	if t := gateway(r.Context()).Tenant; t != "" {
		return t, nil // an authorizer in front of us checked the token
	}
	token := r.Header.Get("X-Auth-Token")
	if token == "" {
		return "", registry.Errorf(registry.KindUnauthorized, "The X-Auth-Token header is missing.")
	}
	if s.Auth == nil {
		return "", registry.Errorf(registry.KindUnauthorized, "The token is not valid.")
	}
	return s.Auth.Authenticate(r.Context(), token)
}

// observe gives every request its transaction id and a logger carrying it,
// logs the outcome, and turns a panic into a 500 fault.
func (s *Server) observe(next http.Handler) http.Handler {
	base := s.Log
	if base == nil {
		base = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		txn := gateway(r.Context()).RequestID
		if txn == "" {
			txn = newTxnID()
		}
		log := base.With("txn_id", txn)
		ctx := context.WithValue(context.WithValue(r.Context(), txnKey, txn), loggerKey, log)
		if s.PublicURL != nil {
			ctx = context.WithValue(ctx, publicURLKey, s.PublicURL)
		}
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		rec.Header().Set("X-Txn-Id", txn)
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic", "panic", p)
				writeError(rec, r, registry.Errorf(registry.KindInternal, "An internal error occurred."))
			}
			log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// routeHandler is the handler of a route, as registered with the mux: what
// the mux returns for a request is one of these exactly when a route serves
// it (and not a redirect, a 404 or a 405).
type routeHandler struct{ http.Handler }

// faultingMux answers unknown routes (404) and wrong methods (405) with fault
// JSON instead of ServeMux's plain text, with the Allow header. It never
// redirects where ServeMux would (to clean a path such as "/a//b", or to add
// a trailing slash): those paths have no routes, and a redirect behind API
// Gateway would lose the stage from its Location.
type faultingMux struct{ mux *http.ServeMux }

func (m faultingMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, _ := m.mux.Handler(r); isRoute(h) {
		m.mux.ServeHTTP(w, r)
		return
	}
	if allow := m.allowed(r); allow != "" {
		w.Header().Set("Allow", allow)
		writeError(w, r, &registry.Error{Kind: registry.KindNotAllowed,
			Message: r.Method + " is not allowed here; use " + allow + ".", Details: r.URL.Path})
		return
	}
	writeError(w, r, &registry.Error{Kind: registry.KindRouteNotFound,
		Message: "No such route.", Details: "route " + r.Method + " " + r.URL.Path})
}

func isRoute(h http.Handler) bool {
	_, ok := h.(routeHandler)
	return ok
}

// unroutedMethod is a method no route has.
const unroutedMethod = "UNROUTED"

// allowed lists the methods that routes serve at r's path, "" if none. The
// mux answers a method no route has with 405 and the methods it knows for
// the path; among them are those it would only redirect to the path with a
// slash added ("PUT /configuration" to "PUT /configuration/{path...}"), which
// do not count. A path the mux would clean first ("/a//b") has none.
func (m faultingMux) allowed(r *http.Request) string {
	probeReq := r.Clone(r.Context())
	probeReq.Method = unroutedMethod
	h, _ := m.mux.Handler(probeReq)
	probe := httptest.NewRecorder()
	h.ServeHTTP(probe, probeReq)
	if probe.Code != http.StatusMethodNotAllowed {
		return ""
	}
	var allow []string
	for _, method := range strings.Split(probe.Header().Get("Allow"), ", ") {
		probeReq.Method = method
		if h, _ := m.mux.Handler(probeReq); isRoute(h) {
			allow = append(allow, method)
		}
	}
	return strings.Join(allow, ", ")
}
