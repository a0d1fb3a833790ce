// Package localcloud gives integration tests what they need of the local
// cloud that `make up` starts, from the environment `make integration` sets
// (.local/env and .local/stack.env).
//
// Without that environment a test skips, saying how to get it, so that a
// plain `go test ./...` runs the unit tests anywhere. With
// REGISTRY_INTEGRATION=1 (as `make test` sets) a missing local cloud fails
// the test instead: a skipped check must never pass for a run one.
package localcloud

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

const hint = "needs the local cloud: run `make up`, then `make integration` (or run `make test`)"

// Env returns the named variables, skipping (or failing, under
// REGISTRY_INTEGRATION=1) the test if any is unset.
func Env(t testing.TB, names ...string) []string {
	t.Helper()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = os.Getenv(n)
		if out[i] == "" {
			if os.Getenv("REGISTRY_INTEGRATION") == "1" {
				t.Fatalf("%s is not set; %s", n, hint)
			}
			t.Skipf("%s is not set; %s", n, hint)
		}
	}
	return out
}

// DynamoDB returns a client of the local cloud's DynamoDB and the registry
// table's name.
func DynamoDB(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	env := Env(t, "TABLE_NAME", "AWS_ENDPOINT_URL")
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg), env[0]
}
