// Command bench measures the latency of session operations on the local
// cloud: through API Gateway and Lambda, and the same store operations
// called directly against DynamoDB. It prints a table; it asserts nothing.
//
//	make bench                       (starts the local cloud if needed)
//	go run ./scripts/bench -n 500    (with .local/env and .local/stack.env exported)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/service-registry/registry/internal/auth"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/registry"
)

func main() {
	n := flag.Int("n", 200, "samples per operation")
	flag.Parse()
	if err := run(context.Background(), *n); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type result struct {
	name    string
	samples []time.Duration
}

func run(ctx context.Context, n int) error {
	base, table := os.Getenv("REGISTRY_URL"), os.Getenv("TABLE_NAME")
	if base == "" || table == "" {
		return fmt.Errorf("REGISTRY_URL and TABLE_NAME must be set (make bench sets them)")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg), table)

	// A tenant of the bench's own, allowed the sessions it opens (through
	// the API and directly) and more requests per second than a sequential
	// client can make, so that no limit ends the run.
	tenant := "bench-" + registry.NewSessionID()
	token, err := auth.Tokens{Store: store}.Issue(ctx, tenant)
	if err != nil {
		return err
	}
	perSecond := 10_000
	if err := errors.Join(store.SetLimit(ctx, tenant, registry.ResourceSession, 2*n+10),
		store.SetRequestLimits(ctx, tenant, nil, &perSecond)); err != nil {
		return err
	}
	base, _, _ = strings.Cut(base, "/v1.0/")
	var results []result

	api := &apiClient{base: base + "/v1.0/" + tenant, token: token}
	created := result{name: "API  POST /sessions"}
	got := result{name: "API  GET /sessions/{id}"}
	beat := result{name: "API  POST /sessions/{id}/heartbeat"}
	// One warm-up call per route so that cold starts are not in the numbers.
	id, tok, _, err := api.create()
	if err != nil {
		return err
	}
	for range n {
		var d time.Duration
		if id, tok, d, err = api.create(); err != nil {
			return err
		}
		created.samples = append(created.samples, d)
		if d, err = api.get(id); err != nil {
			return err
		}
		got.samples = append(got.samples, d)
		if tok, d, err = api.heartbeat(id, tok); err != nil {
			return err
		}
		beat.samples = append(beat.samples, d)
	}
	results = append(results, created, got, beat)

	sCreate := result{name: "store CreateSession"}
	sGet := result{name: "store GetSession"}
	sBeat := result{name: "store Heartbeat"}
	for range n {
		now := time.Now()
		s := &registry.Session{ID: registry.NewSessionID(), HeartbeatTimeout: 30,
			Deadline: now.Add(30 * time.Second), Token: registry.NewToken()}
		start := time.Now()
		if err := store.CreateSession(ctx, tenant, s); err != nil {
			return err
		}
		sCreate.samples = append(sCreate.samples, time.Since(start))
		start = time.Now()
		if _, err := store.GetSession(ctx, tenant, s.ID, time.Now()); err != nil {
			return err
		}
		sGet.samples = append(sGet.samples, time.Since(start))
		start = time.Now()
		if _, err := store.Heartbeat(ctx, tenant, s.ID, s.Token, registry.NewToken(), time.Now()); err != nil {
			return err
		}
		sBeat.samples = append(sBeat.samples, time.Since(start))
	}
	// What every API request pays for the tenant's request limits.
	sTake := result{name: "store TakeRequest"}
	for range n {
		start := time.Now()
		if err := store.TakeRequest(ctx, tenant, time.Now()); err != nil {
			return err
		}
		sTake.samples = append(sTake.samples, time.Since(start))
	}
	results = append(results, sCreate, sGet, sBeat, sTake)

	fmt.Printf("Sequential calls on the local cloud, %d samples each (milliseconds)\n\n", n)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "operation\tp50\tp99\tmax\t")
	for _, r := range results {
		slices.Sort(r.samples)
		fmt.Fprintf(w, "%s\t%.1f\t%.1f\t%.1f\t\n", r.name,
			ms(pct(r.samples, 0.50)), ms(pct(r.samples, 0.99)), ms(r.samples[len(r.samples)-1]))
	}
	return w.Flush()
}

// pct is the nearest-rank percentile of sorted samples.
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type apiClient struct {
	base, token string
	http        http.Client
}

func (c *apiClient) do(method, path, body string, want int) (map[string]any, time.Duration, error) {
	req, err := http.NewRequest(method, c.base+path, bytes.NewBufferString(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("X-Auth-Token", c.token)
	start := time.Now()
	res, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil {
		return nil, 0, err
	}
	if res.StatusCode != want {
		return nil, 0, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, 0, err
		}
	}
	return out, d, nil
}

func (c *apiClient) create() (id, token string, d time.Duration, err error) {
	out, d, err := c.do("POST", "/sessions", `{"heartbeat_timeout": 30}`, http.StatusCreated)
	if err != nil {
		return "", "", 0, err
	}
	id, _ = out["id"].(string)
	token, _ = out["token"].(string)
	return id, token, d, nil
}

func (c *apiClient) get(id string) (time.Duration, error) {
	_, d, err := c.do("GET", "/sessions/"+id, "", http.StatusOK)
	return d, err
}

func (c *apiClient) heartbeat(id, token string) (string, time.Duration, error) {
	out, d, err := c.do("POST", "/sessions/"+id+"/heartbeat", `{"token":"`+token+`"}`, http.StatusOK)
	if err != nil {
		return "", 0, err
	}
	next, _ := out["token"].(string)
	return next, d, nil
}
