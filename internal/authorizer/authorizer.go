// Package authorizer is the API Gateway Lambda authorizer: it turns the
// X-Auth-Token header into a tenant and a policy that lets the caller reach
// that tenant's paths and nothing else.
//
// API Gateway caches the answer per token (AuthorizerCacheSeconds in the
// template), so the policy must hold for every request the token may make,
// not just the one that triggered it: it allows /v1.0/{tenant} and all
// below it, for every method. A cached answer on another tenant's path is a
// deny, which the gateway answers 403 without invoking any function.
package authorizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/service-registry/registry/internal/registry"
)

// ErrUnauthorized is the one error API Gateway turns into a 401: the
// message must be exactly "Unauthorized".
var ErrUnauthorized = errors.New("Unauthorized")

// Authenticator resolves a token to its tenant (auth.Tokens does).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (string, error)
}

// Handler answers TOKEN authorizer requests.
type Handler struct {
	Auth Authenticator
	Log  *slog.Logger
}

// Handle returns an Allow policy for the token's tenant, ErrUnauthorized for
// a missing, unknown or revoked token, and any other error when the token
// store cannot answer (the gateway says 500 AUTHORIZER_FAILURE, which the
// template's gateway responses turn into a 503 fault).
func (h Handler) Handle(ctx context.Context, req events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	var none events.APIGatewayCustomAuthorizerResponse
	prefix, err := stagePrefix(req.MethodArn)
	if err != nil {
		h.Log.Error("authorizer: bad methodArn", "method_arn", req.MethodArn, "error", err)
		return none, err
	}
	if req.AuthorizationToken == "" {
		return none, ErrUnauthorized
	}
	tenant, err := h.Auth.Authenticate(ctx, req.AuthorizationToken)
	var re *registry.Error
	if errors.As(err, &re) && re.Kind == registry.KindUnauthorized {
		return none, ErrUnauthorized
	}
	if err != nil {
		h.Log.Error("authorizer: token store failed", "error", err)
		return none, fmt.Errorf("token store: %w", err)
	}
	return Policy(prefix, tenant), nil
}

// methods are the HTTP methods the API routes. Each is named in the policy:
// a * in its place would also span '/' and let
// GET/v1.0/other/config/v1.0/acme/x match ".../*/v1.0/acme/*".
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// Policy allows every method on tenant's paths of one API stage. prefix is
// "arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE".
func Policy(prefix, tenant string) events.APIGatewayCustomAuthorizerResponse {
	resources := make([]string, 0, 2*len(methods))
	for _, m := range methods {
		base := prefix + "/" + m + "/v1.0/" + tenant
		resources = append(resources, base, base+"/*")
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: tenant,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action:   []string{"execute-api:Invoke"},
				Effect:   "Allow",
				Resource: resources,
			}},
		},
		// The functions read the tenant from here instead of looking the
		// token up again (api.Gateway.Tenant).
		Context: map[string]any{"tenant": tenant},
	}
}

// stagePrefix cuts a method ARN
// (arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH...) down to
// its API and stage.
func stagePrefix(methodArn string) (string, error) {
	parts := strings.SplitN(methodArn, "/", 3)
	if len(parts) < 3 || !strings.HasPrefix(parts[0], "arn:") || parts[1] == "" {
		return "", fmt.Errorf("not an execute-api method ARN: %q", methodArn)
	}
	return parts[0] + "/" + parts[1], nil
}
