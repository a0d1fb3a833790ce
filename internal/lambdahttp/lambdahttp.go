// Package lambdahttp serves an http.Handler from a Lambda function behind an
// API Gateway REST API (proxy integration).
package lambdahttp

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/service-registry/registry/internal/api"
)

// Handler returns the Lambda handler serving h. What API Gateway knows of a
// request (its id, the stage path, an authorizer's verdict) reaches h through
// api.WithGateway.
func Handler(h http.Handler) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	adapter := httpadapter.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gw, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok {
			r = r.WithContext(api.WithGateway(r.Context(), Gateway(gw, r.URL.Path)))
		}
		h.ServeHTTP(w, r)
	}))
	return func(ctx context.Context, event events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		// API Gateway hands the path over decoded, and the adapter parses it
		// back as part of a URL: a control character ("%0C" in the request)
		// or a "%" not starting an escape ("%25zz") fails that, and the
		// function fails (a 502 from the gateway). Escaped again, the path
		// parses to what API Gateway decoded.
		event.Path = (&url.URL{Path: event.Path}).EscapedPath()
		return adapter.ProxyWithContext(ctx, event)
	}
}

// Gateway extracts what the API needs from API Gateway's request context.
// path is the route path the handler sees.
func Gateway(rc events.APIGatewayProxyRequestContext, path string) api.Gateway {
	g := api.Gateway{RequestID: rc.RequestID}
	// The context's path is the public one, stage included ("/api/v1.0/…");
	// whatever precedes the route path is the base path.
	if base, ok := strings.CutSuffix(rc.Path, path); ok {
		g.BasePath = strings.TrimSuffix(base, "/")
	}
	if t, ok := rc.Authorizer["tenant"].(string); ok {
		g.Tenant = t
	}
	return g
}
