package auth

import (
	"context"
	"os"
	"regexp"
	"testing"
)

type memTokens map[string]string

func (m memTokens) TenantOfToken(_ context.Context, hash string) (string, error) { return m[hash], nil }
func (m memTokens) PutToken(_ context.Context, hash, tenant string) error {
	m[hash] = tenant
	return nil
}
func (m memTokens) DeleteToken(_ context.Context, hash string) error { delete(m, hash); return nil }

// API Gateway refuses, before the authorizer runs, a token that does not
// match the template's ValidationExpression: every token Issue makes must.
func TestIssuedTokensPassTheGatewaysValidation(t *testing.T) {
	tmpl, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`ValidationExpression: "([^"]+)"`).FindSubmatch(tmpl)
	if m == nil {
		t.Fatal("template.yaml has no authorizer ValidationExpression")
	}
	valid := regexp.MustCompile(string(m[1]))
	tokens := Tokens{Store: memTokens{}}
	for range 200 {
		token, err := tokens.Issue(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		if !valid.MatchString(token) {
			t.Fatalf("issued token %q does not match %s", token, m[1])
		}
	}
	for _, bad := range []string{"", "short", "x" + string(make([]byte, 43)), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+"} {
		if valid.MatchString(bad) {
			t.Errorf("%q passes %s", bad, m[1])
		}
	}
}
