package lambdahttp_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/lambdahttp"
	"github.com/service-registry/registry/internal/memstore"
)

// A request through the Lambda adapter, as API Gateway's REST proxy
// integration delivers it: an authorizer's tenant is trusted, the stage
// shows in the links, and the gateway's request id is the txnId.
func TestThroughTheAdapter(t *testing.T) {
	srv := &api.Server{Sessions: memstore.New(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	handler := lambdahttp.Handler(srv.Handler())
	event := events.APIGatewayProxyRequest{
		HTTPMethod: "POST",
		Path:       "/v1.0/acme/sessions",
		Resource:   "/v1.0/{tenant}/sessions",
		Headers:    map[string]string{"Host": "abc123.execute-api.eu-west-1.amazonaws.com", "X-Forwarded-Proto": "https"},
		MultiValueHeaders: map[string][]string{
			"Host":              {"abc123.execute-api.eu-west-1.amazonaws.com"},
			"X-Forwarded-Proto": {"https"},
		},
		Body: `{"heartbeat_timeout": 10}`,
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID:  "gw-req-1",
			Path:       "/prod/v1.0/acme/sessions",
			Stage:      "prod",
			DomainName: "abc123.execute-api.eu-west-1.amazonaws.com",
			Authorizer: map[string]any{"tenant": "acme"},
		},
	}
	res, err := handler(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 201 {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	loc := res.MultiValueHeaders["Location"]
	if len(loc) != 1 || !strings.HasPrefix(loc[0], "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1.0/acme/sessions/") {
		t.Fatalf("Location = %v", loc)
	}
	if txn := res.MultiValueHeaders["X-Txn-Id"]; len(txn) != 1 || txn[0] != "gw-req-1" {
		t.Fatalf("X-Txn-Id = %v", txn)
	}

	// Without an authorizer verdict and without a token: 401 fault.
	event.RequestContext.Authorizer = nil
	res, err = handler(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	var fault api.Fault
	if err := json.Unmarshal([]byte(res.Body), &fault); err != nil || res.StatusCode != 401 ||
		fault.Type != "unauthorizedError" || fault.TxnID != "gw-req-1" {
		t.Fatalf("unauthenticated: %d %s", res.StatusCode, res.Body)
	}
}

// A path that API Gateway decoded to characters a URL cannot hold raw is
// answered by the API (here 404, no such session), never with a failed
// invocation.
func TestPathsAPIGatewayDecoded(t *testing.T) {
	srv := &api.Server{Sessions: memstore.New(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	handler := lambdahttp.Handler(srv.Handler())
	for _, path := range []string{
		"/v1.0/acme/sessions/\x0c\x1e",
		"/v1.0/acme/sessions/abc%zz",
		"/v1.0/acme/sessions/a b",
		"/v1.0/acme/sessions/\xff",
	} {
		res, err := handler(context.Background(), events.APIGatewayProxyRequest{
			HTTPMethod: "GET",
			Path:       path,
			Headers:    map[string]string{"X-Auth-Token": "t"},
			RequestContext: events.APIGatewayProxyRequestContext{
				RequestID:  "gw-req-2",
				Path:       "/prod" + path,
				DomainName: "abc123.execute-api.eu-west-1.amazonaws.com",
				Authorizer: map[string]any{"tenant": "acme"},
			},
		})
		if err != nil {
			t.Fatalf("%q: %v", path, err)
		}
		var fault api.Fault
		if err := json.Unmarshal([]byte(res.Body), &fault); err != nil || res.StatusCode != 404 || fault.Type != "notFoundError" {
			t.Fatalf("%q: %d %s", path, res.StatusCode, res.Body)
		}
	}
}
