package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

// faults maps each error kind to its HTTP status and fault type. It is the
// one place where domain errors meet HTTP.
var faults = map[registry.Kind]struct {
	status int
	typ    string
}{
	registry.KindInvalid:       {http.StatusBadRequest, "badRequest"},
	registry.KindInvalidLimit:  {http.StatusBadRequest, "invalidLimit"},
	registry.KindExists:        {http.StatusBadRequest, "serviceWithThisIdExists"},
	registry.KindLimitReached:  {http.StatusBadRequest, "limitReached"},
	registry.KindRateLimited:   {http.StatusTooManyRequests, "rateLimitReached"},
	registry.KindUnauthorized:  {http.StatusUnauthorized, "unauthorizedError"},
	registry.KindForbidden:     {http.StatusForbidden, "forbiddenError"},
	registry.KindNotFound:      {http.StatusNotFound, "notFoundError"},
	registry.KindRouteNotFound: {http.StatusNotFound, "notFoundError"},
	registry.KindNotAllowed:    {http.StatusMethodNotAllowed, "methodNotAllowed"},
	registry.KindPrecondition:  {http.StatusPreconditionFailed, "preconditionFailed"},
	registry.KindTooLarge:      {http.StatusRequestEntityTooLarge, "requestTooLargeError"},
	registry.KindUnavailable:   {http.StatusServiceUnavailable, "systemFailureError"},
	registry.KindInternal:      {http.StatusInternalServerError, "internalError"},
}

// Fault is the JSON body of every error response.
type Fault struct {
	Type    string `json:"type"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details string `json:"details"`
	TxnID   string `json:"txnId"`
}

// writeError answers err as a fault. Only the client-safe message of a
// registry error is sent; the cause goes to the log with the request id.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *registry.Error
	if !errors.As(err, &e) {
		e = &registry.Error{Kind: registry.KindInternal, Message: "An internal error occurred.", Err: err}
	}
	f, ok := faults[e.Kind]
	if !ok {
		f = faults[registry.KindInternal]
	}
	txn := txnID(r.Context())
	level := slog.LevelInfo
	if f.status >= 500 {
		level = slog.LevelError
	}
	logger(r.Context()).Log(r.Context(), level, "request failed",
		"status", f.status, "fault", f.typ, "message", e.Message, "cause", errString(e.Err))
	if e.RetryAfter > 0 {
		// Whole seconds, rounded up: a client that waits this long is in
		// the next window.
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, f.status, Fault{
		Type:    f.typ,
		Code:    f.status,
		Message: e.Message,
		Details: e.Details,
		TxnID:   txn,
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
