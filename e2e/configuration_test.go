package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/service-registry/registry/internal/registry"
)

// configIDs lists the ids of one page of a configuration listing.
func configIDs(r response) []string {
	var out []string
	for _, v := range r.body["values"].([]any) {
		out = append(out, v.(map[string]any)["id"].(string))
	}
	return out
}

func TestConfigLifecycle(t *testing.T) {
	c := otherTenant(t, newClient(t))
	r := c.call("PUT", "/configuration/production/cassandra/listen_ip", `{"value": "10.0.0.1"}`).want(t, 204)
	if r.header.Get("ETag") != `"1"` {
		t.Fatalf("ETag of a new value = %q", r.header.Get("ETag"))
	}
	r = c.call("GET", "/configuration/production/cassandra/listen_ip", "").want(t, 200)
	if r.body["id"] != "/production/cassandra/listen_ip" || r.body["value"] != "10.0.0.1" || r.header.Get("ETag") != `"1"` {
		t.Fatalf("get: %s ETag %q", r.raw, r.header.Get("ETag"))
	}

	// Compare-and-set on the ETag.
	r = c.call("PUT", "/configuration/production/cassandra/listen_ip", `{"value": "10.0.0.2"}`, "If-Match", `"1"`).want(t, 204)
	if r.header.Get("ETag") != `"2"` {
		t.Fatalf("ETag after compare-and-set = %q", r.header.Get("ETag"))
	}
	c.call("PUT", "/configuration/production/cassandra/listen_ip", `{"value": "stale"}`, "If-Match", `"1"`).
		fault(t, 412, "preconditionFailed")
	c.call("PUT", "/configuration/production/cassandra/listen_ip", `{"value": "again"}`, "If-None-Match", "*").
		fault(t, 412, "preconditionFailed")
	c.call("PUT", "/configuration/production/absent", `{"value": "x"}`, "If-Match", "*").fault(t, 412, "preconditionFailed")
	r = c.call("GET", "/configuration/production/cassandra/listen_ip", "").want(t, 200)
	if r.body["value"] != "10.0.0.2" || r.header.Get("ETag") != `"2"` {
		t.Fatalf("a failed precondition changed the value: %s", r.raw)
	}

	// A bare key is a value of its own.
	c.call("PUT", "/configuration/listen_ip", `{"value": "127.0.0.1"}`, "If-None-Match", "*").want(t, 204)
	if r = c.call("GET", "/configuration/listen_ip", "").want(t, 200); r.body["id"] != "listen_ip" {
		t.Fatalf("bare key: %s", r.raw)
	}

	c.call("PUT", "/configuration/production/x", `{"value": "v"}`).fault(t, 400, "badRequest")
	c.call("PUT", "/configuration/listen_ip", `{"value": "v", "ttl": 5}`).fault(t, 400, "badRequest")
	r = c.call("POST", "/configuration/listen_ip", `{"value": "v"}`)
	r.fault(t, 405, "methodNotAllowed")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "PUT") {
		t.Fatalf("Allow = %q", allow)
	}

	c.call("DELETE", "/configuration/production/cassandra/listen_ip", "", "If-Match", `"1"`).fault(t, 412, "preconditionFailed")
	c.call("DELETE", "/configuration/production/cassandra/listen_ip", "", "If-Match", `"2"`).want(t, 204)
	c.call("GET", "/configuration/production/cassandra/listen_ip", "").fault(t, 404, "notFoundError")
	c.call("DELETE", "/configuration/production/cassandra/listen_ip", "").fault(t, 404, "notFoundError")
}

// A trailing slash lists a namespace: exactly the values under it and its
// sub-namespaces; a namespace with nothing under it does not exist.
func TestConfigNamespaces(t *testing.T) {
	c := otherTenant(t, newClient(t))
	for _, path := range []string{
		"production/cassandra/listen_ip",
		"production/cassandra/ring/token",
		"production/cassandra2/listen_ip",
		"production/web_port",
		"cassandra",
	} {
		c.call("PUT", "/configuration/"+path, `{"value": "v"}`).want(t, 204)
	}
	r := c.call("GET", "/configuration/production/cassandra/", "").want(t, 200)
	if got, want := configIDs(r), []string{"/production/cassandra/listen_ip", "/production/cassandra/ring/token"}; !slices.Equal(got, want) {
		t.Fatalf("namespace: %q, want %q", got, want)
	}
	r = c.call("GET", "/configuration", "").want(t, 200)
	if got := configIDs(r); len(got) != 5 || got[len(got)-1] != "cassandra" {
		t.Fatalf("every value, by id: %q", got)
	}
	c.call("GET", "/configuration/production/cassandra", "").fault(t, 404, "notFoundError") // a value, not set
	c.call("GET", "/configuration/staging/", "").fault(t, 404, "notFoundError")
}

// Paging a namespace by next_href, which must be a URL the client can follow
// as given, trailing slash included.
func TestConfigPagination(t *testing.T) {
	c := otherTenant(t, newClient(t))
	var want []string
	for i := range 5 {
		id := fmt.Sprintf("/app/key_%d", i)
		want = append(want, id)
		c.call("PUT", "/configuration"+id, `{"value": "v"}`).want(t, 204)
	}
	c.call("PUT", "/configuration/apps/key_9", `{"value": "v"}`).want(t, 204)
	c.call("GET", "/configuration/app/?limit=0", "").fault(t, 400, "invalidLimit")
	var seen []string
	next := "/configuration/app/?limit=2"
	for page := 0; next != ""; page++ {
		if page > 5 {
			t.Fatal("too many pages")
		}
		r := c.call("GET", next, "").want(t, 200)
		seen = append(seen, configIDs(r)...)
		next = ""
		if href, ok := r.body["metadata"].(map[string]any)["next_href"].(string); ok {
			if !strings.HasPrefix(href, c.base+"/configuration/app/?") {
				t.Fatalf("next_href %q is not below %q", href, c.base+"/configuration/app/")
			}
			next = href
		}
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("paged through %q, want %q", seen, want)
	}
}

// Of concurrent compare-and-sets from one version, through the whole stack,
// exactly one wins and the rest are told 412.
func TestConfigCompareAndSetRace(t *testing.T) {
	c := otherTenant(t, newClient(t))
	c.call("PUT", "/configuration/cluster/leader", `{"value": "nobody"}`).want(t, 204)
	const n = 8
	got := make([]response, n)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			got[i] = c.call("PUT", "/configuration/cluster/leader", fmt.Sprintf(`{"value": "node-%d"}`, i), "If-Match", `"1"`)
		})
	}
	wg.Wait()
	winner := -1
	for i, r := range got {
		switch {
		case r.status == 204 && winner >= 0:
			t.Fatalf("nodes %d and %d both won", winner, i)
		case r.status == 204:
			winner = i
		default:
			r.fault(t, 412, "preconditionFailed")
		}
	}
	if winner < 0 {
		t.Fatal("nobody won")
	}
	r := c.call("GET", "/configuration/cluster/leader", "").want(t, 200)
	if r.body["value"] != fmt.Sprintf("node-%d", winner) || r.header.Get("ETag") != `"2"` {
		t.Fatalf("after the race: %s ETag %q; node %d won", r.raw, r.header.Get("ETag"), winner)
	}
}

func TestConfigLimit(t *testing.T) {
	c := otherTenant(t, newClient(t))
	setLimit(t, c.tenant, registry.ResourceConfigurationValue, 2)
	c.call("PUT", "/configuration/app/key_1", `{"value": "v"}`).want(t, 204)
	c.call("PUT", "/configuration/app/key_2", `{"value": "v"}`).want(t, 204)
	c.call("PUT", "/configuration/app/key_3", `{"value": "v"}`).fault(t, 400, "limitReached")
	c.call("PUT", "/configuration/app/key_1", `{"value": "updates pass"}`).want(t, 204)
	c.call("DELETE", "/configuration/app/key_2", "").want(t, 204)
	c.call("PUT", "/configuration/app/key_3", `{"value": "v"}`).want(t, 204)
}
