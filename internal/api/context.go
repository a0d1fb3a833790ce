package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

// Gateway is what the front door (API Gateway, through the Lambda adapter)
// knows about a request that the HTTP request itself does not carry.
type Gateway struct {
	// RequestID is API Gateway's id for the request; it becomes the txnId.
	RequestID string
	// BasePath is the part of the public URL path before the route, such as
	// the stage name ("/api"); empty when the API is served at the root.
	BasePath string
	// Tenant is the tenant an authorizer already resolved the token to;
	// empty when no authorizer ran.
	Tenant string
}

type ctxKey int

const (
	gatewayKey ctxKey = iota
	txnKey
	loggerKey
	publicURLKey
)

// WithGateway attaches what the gateway knows to a request's context.
func WithGateway(ctx context.Context, g Gateway) context.Context {
	return context.WithValue(ctx, gatewayKey, g)
}

func gateway(ctx context.Context) Gateway {
	g, _ := ctx.Value(gatewayKey).(Gateway)
	return g
}

func txnID(ctx context.Context) string {
	id, _ := ctx.Value(txnKey).(string)
	return id
}

func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

func newTxnID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
