package authorizer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/service-registry/registry/internal/registry"
)

type fakeAuth map[string]string

func (f fakeAuth) Authenticate(_ context.Context, token string) (string, error) {
	if token == "broken" {
		return "", registry.Errorf(registry.KindUnavailable, "store down")
	}
	if t, ok := f[token]; ok {
		return t, nil
	}
	return "", registry.Errorf(registry.KindUnauthorized, "The X-Auth-Token is not valid.")
}

const arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123/api/GET/v1.0/acme/sessions"

func handler() Handler {
	return Handler{Auth: fakeAuth{"good": "acme"}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestUnknownMissingAndRevokedTokensAreUnauthorized(t *testing.T) {
	for _, token := range []string{"", "nope", "good "} {
		_, err := handler().Handle(context.Background(), events.APIGatewayCustomAuthorizerRequest{
			Type: "TOKEN", AuthorizationToken: token, MethodArn: arn})
		// API Gateway answers 401 only for this exact message.
		if err == nil || err.Error() != "Unauthorized" {
			t.Errorf("token %q: err = %v, want Unauthorized", token, err)
		}
	}
}

func TestStoreFailureIsNotUnauthorized(t *testing.T) {
	_, err := handler().Handle(context.Background(), events.APIGatewayCustomAuthorizerRequest{
		AuthorizationToken: "broken", MethodArn: arn})
	if err == nil || errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want a failure other than Unauthorized", err)
	}
}

func TestBadMethodArnFails(t *testing.T) {
	for _, a := range []string{"", "abc", "arn:aws:execute-api:r:a:api", "arn:x//GET"} {
		if _, err := handler().Handle(context.Background(), events.APIGatewayCustomAuthorizerRequest{
			AuthorizationToken: "good", MethodArn: a}); err == nil {
			t.Errorf("methodArn %q accepted", a)
		}
	}
}

// The policy is cached per token and reused on every path, so check it
// against the ARNs of other requests the way IAM matches them (* spans '/').
func TestPolicyCoversTheTenantsPathsOnly(t *testing.T) {
	resp, err := handler().Handle(context.Background(), events.APIGatewayCustomAuthorizerRequest{
		AuthorizationToken: "good", MethodArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if resp.PrincipalID != "acme" || resp.Context["tenant"] != "acme" {
		t.Fatalf("principal %q, context %v", resp.PrincipalID, resp.Context)
	}
	const base = "arn:aws:execute-api:eu-west-1:123456789012:abc123/api/"
	cases := map[string]bool{
		"GET/v1.0/acme/sessions":              true,
		"POST/v1.0/acme/sessions/x/heartbeat": true,
		"DELETE/v1.0/acme/config/a/b/c":       true,
		"GET/v1.0/acme":                       true,
		"GET/v1.0/other/sessions":             false,
		"GET/v1.0/acme2/sessions":             false,
		"GET/v1.0/acm/sessions":               false,
		"GET/v2.0/acme/sessions":              false,
		"GET/":                                false,
	}
	other := "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1.0/acme/sessions"
	for p, want := range cases {
		if got := allowed(resp, base+p); got != want {
			t.Errorf("%s: allowed = %v, want %v", p, got, want)
		}
	}
	if allowed(resp, other) {
		t.Errorf("the policy reaches another stage")
	}
}

func allowed(resp events.APIGatewayCustomAuthorizerResponse, methodArn string) bool {
	for _, st := range resp.PolicyDocument.Statement {
		for _, r := range st.Resource {
			if st.Effect == "Allow" && iamMatch(r, methodArn) {
				return true
			}
		}
	}
	return false
}

// iamMatch matches an IAM resource pattern, where * matches any run of
// characters, '/' included.
func iamMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
