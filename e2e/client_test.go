// Package e2e calls the deployed API through the local cloud's API Gateway:
// real routing, real Lambda processes, real DynamoDB.
package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/service-registry/registry/internal/auth"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/localcloud"
	"github.com/service-registry/registry/internal/registry"
)

// client calls the API as one tenant.
type client struct {
	t      *testing.T
	base   string // REGISTRY_URL: ends in /v1.0/{tenant}
	token  string
	tenant string
	// http, when set, replaces httpClient.
	http *http.Client
}

func newClient(t *testing.T) *client {
	env := localcloud.Env(t, "REGISTRY_URL", "REGISTRY_TOKEN", "REGISTRY_TENANT")
	return &client{t: t, base: env[0], token: env[1], tenant: env[2]}
}

// otherTenant returns a client of a fresh tenant with a token of its own.
func otherTenant(t *testing.T, c *client) *client {
	db, table := localcloud.DynamoDB(t)
	name := "e2e-" + registry.NewSessionID()
	token, err := auth.Tokens{Store: dynamo.New(db, table)}.Issue(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: strings.TrimSuffix(c.base, c.tenant) + name, token: token, tenant: name}
}

// setLimit overrides a tenant's limit directly in the table, as an operator
// would with registryctl.
func setLimit(t *testing.T, tenant string, r registry.Resource, limit int) {
	db, table := localcloud.DynamoDB(t)
	if err := dynamo.New(db, table).SetLimit(context.Background(), tenant, r, limit); err != nil {
		t.Fatal(err)
	}
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// call sends a request to a path below the tenant's base URL, or to an
// absolute URL.
func (c *client) call(method, path, body string, headers ...string) response {
	c.t.Helper()
	url := path
	if !strings.HasPrefix(path, "http") {
		url = c.base + path
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	hc := httpClient
	if c.http != nil {
		hc = c.http
	}
	res, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			c.t.Fatalf("%s %s: %d, body is not a JSON object: %q", method, path, res.StatusCode, raw)
		}
	}
	return out
}

func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %d %s, want %d", r.status, r.raw, status)
	}
	return r
}

// fault checks that r is a fault of the given status and type.
func (r response) fault(t *testing.T, status int, typ string) {
	t.Helper()
	if r.status != status || r.body["type"] != typ || r.body["code"] != float64(status) {
		t.Fatalf("got %d %s, want a %d %s fault", r.status, r.raw, status, typ)
	}
	for _, k := range []string{"type", "code", "message", "details", "txnId"} {
		if _, ok := r.body[k]; !ok {
			t.Fatalf("fault lacks %q: %s", k, r.raw)
		}
	}
	if r.body["txnId"] == "" {
		t.Fatalf("fault has an empty txnId: %s", r.raw)
	}
}

func (c *client) createSession(body string) (id, token string) {
	c.t.Helper()
	r := c.call("POST", "/sessions", body).want(c.t, http.StatusCreated)
	id, _ = r.body["id"].(string)
	token, _ = r.body["token"].(string)
	if id == "" || token == "" {
		c.t.Fatalf("create answered %s", r.raw)
	}
	if loc := r.header.Get("Location"); loc != c.base+"/sessions/"+id {
		c.t.Fatalf("Location = %q, want %q", loc, c.base+"/sessions/"+id)
	}
	return id, token
}
