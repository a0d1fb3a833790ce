package e2e

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/service-registry/registry/internal/auth"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/localcloud"
)

func setRequestLimits(t *testing.T, tenant string, perDay, perSecond *int) {
	db, table := localcloud.DynamoDB(t)
	if err := dynamo.New(db, table).SetRequestLimits(context.Background(), tenant, perDay, perSecond); err != nil {
		t.Fatal(err)
	}
}

func used(t *testing.T, c *client) int {
	t.Helper()
	r := c.call("GET", "/limits", "").want(t, 200)
	rate := r.body["rate"].(map[string]any)["/.*"].(map[string]any)
	return int(rate["used"].(float64))
}

// Every authenticated request counts against the tenant's day; past the
// limit the API answers 429 rateLimitReached with Retry-After until the UTC
// day turns, and counts nothing more. Other tenants go on.
func TestRequestsPerDay(t *testing.T) {
	base := newClient(t)
	c, other := otherTenant(t, base), otherTenant(t, base)
	// Exact counts: a fresh connection per request, so that net/http never
	// sends a GET again on a kept-alive connection the emulator dropped.
	c.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if n := used(t, c); n != 1 {
		t.Fatalf("the first request reports %d used, want 1 (itself)", n)
	}
	c.call("GET", "/sessions", "").want(t, 200)
	c.call("POST", "/sessions", `{"heartbeat_timeout": 1000}`).fault(t, 400, "badRequest") // counted too
	if n := used(t, c); n != 4 {
		t.Fatalf("used = %d after 4 requests", n)
	}

	limit := 6
	setRequestLimits(t, c.tenant, &limit, nil)
	c.call("GET", "/services", "").want(t, 200)
	c.call("GET", "/configuration", "").want(t, 200)
	for _, path := range []string{"/sessions", "/limits", "/events"} {
		r := c.call("GET", path, "")
		r.fault(t, 429, "rateLimitReached")
		secs, err := strconv.Atoi(r.header.Get("Retry-After"))
		midnight := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		if err != nil || secs < 1 || secs > int(time.Until(midnight).Seconds())+2 {
			t.Fatalf("Retry-After %q, want the seconds to the next UTC midnight", r.header.Get("Retry-After"))
		}
	}
	other.call("GET", "/sessions", "").want(t, 200)

	limit = 100
	setRequestLimits(t, c.tenant, &limit, nil)
	if n := used(t, c); n != 7 {
		t.Fatalf("used = %d, want the 6 before the limit and this one", n)
	}
}

// Over the burst rate, requests are refused for the rest of the second.
func TestRequestsPerSecond(t *testing.T) {
	c := otherTenant(t, newClient(t))
	zero := 0
	setRequestLimits(t, c.tenant, nil, &zero)
	r := c.call("GET", "/sessions", "")
	r.fault(t, 429, "rateLimitReached")
	if r.header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q, want 1", r.header.Get("Retry-After"))
	}
	perSecond := 1000
	setRequestLimits(t, c.tenant, nil, &perSecond)
	c.call("GET", "/sessions", "").want(t, 200)
}

// The authorizer answers for API Gateway: a token it does not know is a
// 401, a path of another tenant a 403, both as faults and before any
// function runs; a revoked token stops working once the gateway's cached
// verdict expires.
func TestAuthorizer(t *testing.T) {
	base := newClient(t)
	c := otherTenant(t, base)
	c.call("GET", "/sessions", "").want(t, 200)
	c.call("GET", "/sessions", "", "X-Auth-Token", "x"+c.token).fault(t, 401, "unauthorizedError")
	c.call("GET", base.base+"/sessions", "").fault(t, 403, "forbiddenError")
	c.call("GET", base.base+"/no-such-route", "").fault(t, 403, "forbiddenError")

	db, table := localcloud.DynamoDB(t)
	if err := (auth.Tokens{Store: dynamo.New(db, table)}).Revoke(context.Background(), c.token); err != nil {
		t.Fatal(err)
	}
	// API Gateway reuses its verdict on the token for AuthorizerCacheSeconds
	// (10 s in samconfig's local environment), then asks again.
	c.call("GET", "/sessions", "").want(t, 200)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := c.call("GET", "/sessions", "")
		if r.status == 401 {
			r.fault(t, 401, "unauthorizedError")
			break
		}
		r.want(t, 200)
		if time.Now().After(deadline) {
			t.Fatal("a revoked token still works after 30 s")
		}
		time.Sleep(500 * time.Millisecond)
	}
}
