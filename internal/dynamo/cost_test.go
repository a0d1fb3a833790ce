package dynamo_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/service-registry/registry/internal/auth"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/localcloud"
	"github.com/service-registry/registry/internal/registry"
	"github.com/service-registry/registry/internal/sweeper"
)

var updateCostTable = flag.Bool("update-cost-table", false,
	"rewrite the cost table in README.md with the one TestCostTable measures")

// The cost table lives in README.md between these markers.
const (
	costTableBegin = "<!-- cost-table:begin -->"
	costTableEnd   = "<!-- cost-table:end -->"
	costReadme     = "../../README.md"
)

// costCall is one call the store made through costDB.
type costCall struct {
	op     string
	items  int  // TransactWriteItems: how many items it carried
	failed bool // the call failed: a condition failed, a transaction was cancelled
}

// costDB is a dynamo.API that counts the calls made through it, in order.
type costDB struct {
	db    dynamo.API
	mu    sync.Mutex
	calls []costCall
}

var _ dynamo.API = (*costDB)(nil)

func (c *costDB) record(op string, items int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, costCall{op: op, items: items, failed: err != nil})
}

// take returns the calls made since the last take, rendered, and forgets
// them.
func (c *costDB) take() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := c.calls
	c.calls = nil
	return renderCalls(calls)
}

func (c *costDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := c.db.GetItem(ctx, in, opts...)
	c.record("GetItem", 0, err)
	return out, err
}

func (c *costDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := c.db.PutItem(ctx, in, opts...)
	c.record("PutItem", 0, err)
	return out, err
}

func (c *costDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := c.db.UpdateItem(ctx, in, opts...)
	c.record("UpdateItem", 0, err)
	return out, err
}

func (c *costDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	out, err := c.db.DeleteItem(ctx, in, opts...)
	c.record("DeleteItem", 0, err)
	return out, err
}

func (c *costDB) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.db.Query(ctx, in, opts...)
	c.record("Query", 0, err)
	return out, err
}

func (c *costDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	out, err := c.db.TransactWriteItems(ctx, in, opts...)
	c.record("TransactWriteItems", len(in.TransactItems), err)
	return out, err
}

func (c *costDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out, err := c.db.BatchGetItem(ctx, in, opts...)
	c.record("BatchGetItem", 0, err)
	return out, err
}

// renderCalls sums calls up per operation, in the order each operation was
// first called: "1 GetItem + 1 TransactWriteItems (4 items)".
func renderCalls(calls []costCall) string {
	type sum struct {
		n, failed int
		items     []string
	}
	var order []string
	sums := map[string]*sum{}
	for _, c := range calls {
		s := sums[c.op]
		if s == nil {
			s = &sum{}
			sums[c.op] = s
			order = append(order, c.op)
		}
		s.n++
		if c.failed {
			s.failed++
		}
		if c.op == "TransactWriteItems" {
			s.items = append(s.items, fmt.Sprint(c.items))
		}
	}
	if len(order) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(order))
	for _, op := range order {
		s := sums[op]
		var notes []string
		if len(s.items) > 0 {
			notes = append(notes, strings.Join(s.items, " + ")+" items")
		}
		switch {
		case s.failed == 0:
		case op == "TransactWriteItems" && s.n == 1:
			notes = append(notes, "cancelled")
		case op == "TransactWriteItems":
			notes = append(notes, fmt.Sprintf("%d cancelled", s.failed))
		case s.n == 1:
			notes = append(notes, "its condition failing")
		default:
			notes = append(notes, fmt.Sprintf("%d with its condition failing", s.failed))
		}
		part := fmt.Sprintf("%d %s", s.n, op)
		if len(notes) > 0 {
			part += " (" + strings.Join(notes, ", ") + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " + ")
}

// TestCostTable measures the DynamoDB calls each registry operation makes on
// its common path, calling the store as the HTTP handlers (and the sweeper)
// do, and checks that README.md's cost table says the same. With
// -update-cost-table it rewrites that table instead.
//
// Setup goes through an uncounted store; only the operation measured goes
// through the counting one.
func TestCostTable(t *testing.T) {
	raw, table := localcloud.DynamoDB(t)
	eventsTable := localcloud.Env(t, "EVENTS_TABLE_NAME")[0]
	const retention = 7 * 24 * time.Hour
	db := &costDB{db: raw}
	store := dynamo.New(db, table)
	feed := dynamo.NewFeed(store, eventsTable, retention)
	plain := dynamo.New(raw, table)
	plainFeed := dynamo.NewFeed(plain, eventsTable, retention)

	ctx := context.Background()
	tenant := "cost-" + registry.NewSessionID()
	page := registry.PageRequest{Limit: registry.DefaultLimit}

	var rows [][2]string
	measure := func(name string, op func() error) {
		t.Helper()
		db.take() // nothing should be pending; drop it if it is
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows = append(rows, [2]string{name, db.take()})
	}
	// newSession is a session as POST /sessions makes it.
	newSession := func() *registry.Session {
		return &registry.Session{ID: registry.NewSessionID(), HeartbeatTimeout: 60,
			Metadata: map[string]string{"host": "db-1"}, Deadline: time.Now().Add(60 * time.Second),
			Token: registry.NewToken()}
	}
	setup := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
	}

	// Sessions.
	sess := newSession()
	measure("POST /sessions", func() error { return store.CreateSession(ctx, tenant, sess) })
	measure("GET /sessions/{id}", func() error {
		_, err := store.GetSession(ctx, tenant, sess.ID, time.Now())
		return err
	})
	measure("GET /sessions (one page)", func() error {
		_, err := store.ListSessions(ctx, tenant, page, time.Now())
		return err
	})
	measure("PUT /sessions/{id}", func() error {
		timeout := 90
		return store.UpdateSession(ctx, tenant, sess.ID, registry.SessionInput{HeartbeatTimeout: &timeout,
			Metadata: map[string]string{"host": "db-2"}, HasMetadata: true}, time.Now())
	})
	var current string
	measure("POST /sessions/{id}/heartbeat", func() error {
		var err error
		current, err = store.Heartbeat(ctx, tenant, sess.ID, sess.Token, registry.NewToken(), time.Now())
		return err
	})
	measure("POST /sessions/{id}/heartbeat, a retry with the token just replaced", func() error {
		got, err := store.Heartbeat(ctx, tenant, sess.ID, sess.Token, registry.NewToken(), time.Now())
		if err == nil && got != current {
			err = fmt.Errorf("the retry answered token %q, want the current %q", got, current)
		}
		return err
	})
	empty := newSession()
	setup(plain.CreateSession(ctx, tenant, empty))
	measure("DELETE /sessions/{id}, holding no services", func() error {
		return store.DeleteSession(ctx, tenant, empty.ID, time.Now())
	})
	holder := newSession()
	setup(plain.CreateSession(ctx, tenant, holder))
	for i := range 2 {
		setup(plain.CreateService(ctx, tenant, &registry.Service{ID: fmt.Sprintf("held-%d", i), SessionID: holder.ID}, time.Now()))
	}
	measure("DELETE /sessions/{id}, holding 2 services without tags", func() error {
		return store.DeleteSession(ctx, tenant, holder.ID, time.Now())
	})

	// Services.
	bare := &registry.Service{ID: "bare", SessionID: sess.ID, Metadata: map[string]string{"port": "80"}}
	tagged := &registry.Service{ID: "tagged", SessionID: sess.ID, Tags: []string{"db", "primary"}}
	measure("POST /services, no tags", func() error { return store.CreateService(ctx, tenant, bare, time.Now()) })
	measure("POST /services, 2 tags", func() error { return store.CreateService(ctx, tenant, tagged, time.Now()) })
	measure("GET /services/{id}", func() error {
		_, err := store.GetService(ctx, tenant, bare.ID, time.Now())
		return err
	})
	measure("GET /services (one page)", func() error {
		_, err := store.ListServices(ctx, tenant, "", page, time.Now())
		return err
	})
	measure("GET /services?tag= (one page)", func() error {
		_, err := store.ListServices(ctx, tenant, "db", page, time.Now())
		return err
	})
	measure("PUT /services/{id}, 2 tags kept, new metadata", func() error {
		return store.UpdateService(ctx, tenant, tagged.ID, registry.ServiceInput{
			Metadata: map[string]string{"port": "5432"}, HasMetadata: true}, time.Now())
	})
	measure("DELETE /services/{id}, no tags", func() error { return store.DeleteService(ctx, tenant, bare.ID, time.Now()) })
	measure("DELETE /services/{id}, 2 tags", func() error { return store.DeleteService(ctx, tenant, tagged.ID, time.Now()) })

	// Account.
	measure("GET /views/overview (one page)", func() error {
		_, err := store.Overview(ctx, tenant, page, time.Now())
		return err
	})
	measure("GET /limits", func() error {
		_, err := store.Limits(ctx, tenant)
		return err
	})

	// Configuration values.
	const id, other, namespace = "/costs/app/listen_ip", "/costs/app/port", "/costs/app/"
	measure("PUT /configuration/{id}, a new value", func() error {
		_, err := store.PutConfig(ctx, tenant, id, "10.0.0.1", registry.Precondition{})
		return err
	})
	var version int64
	measure("PUT /configuration/{id}, an existing value", func() error {
		v, err := store.PutConfig(ctx, tenant, id, "10.0.0.2", registry.Precondition{})
		if err == nil {
			version = v.Version
		}
		return err
	})
	measure("PUT /configuration/{id} with If-Match", func() error {
		_, err := store.PutConfig(ctx, tenant, id, "10.0.0.3", registry.Precondition{IfMatch: &version})
		return err
	})
	measure("PUT /configuration/{id} with If-None-Match: *", func() error {
		_, err := store.PutConfig(ctx, tenant, other, "9042", registry.Precondition{IfNoneMatch: true})
		return err
	})
	measure("GET /configuration/{id}", func() error {
		_, err := store.GetConfig(ctx, tenant, id)
		return err
	})
	measure("GET /configuration (one page)", func() error {
		_, err := store.ListConfig(ctx, tenant, "", page)
		return err
	})
	measure("GET /configuration/{namespace}/ (one page)", func() error {
		_, err := store.ListConfig(ctx, tenant, namespace, page)
		return err
	})
	measure("DELETE /configuration/{id}", func() error {
		return store.DeleteConfig(ctx, tenant, other, registry.Precondition{})
	})

	// The events feed: GET /events rectifies, finds its start when given no
	// marker, and reads a page. Wait for the stream processor to have
	// appended this tenant's first event: with none in the last hour, Since
	// takes another call to find the feed's head.
	for wait := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		p, err := plainFeed.Read(ctx, tenant, registry.FeedRequest{From: dynamo.EventID(1), Limit: 1})
		setup(err)
		if len(p.Events) > 0 {
			break
		}
		if time.Now().After(wait) {
			t.Fatal("the stream processor appended no event for the tenant within 20 s")
		}
	}
	measure("GET /events: time out the tenant's dead sessions, none expired (Feed.Rectify)", func() error {
		return feed.Rectify(ctx, tenant, time.Now())
	})
	measure("GET /events without a marker: find the first event of the last hour (Feed.Since)", func() error {
		_, err := feed.Since(ctx, tenant, time.Now().Add(-time.Hour))
		return err
	})
	measure("GET /events: one page (Feed.Read)", func() error {
		_, err := feed.Read(ctx, tenant, registry.FeedRequest{From: dynamo.EventID(1), Limit: registry.DefaultLimit})
		return err
	})

	// Timing a session out, in a tenant of its own whose feed nothing else
	// appends to while it is measured: wait for the stream processor's
	// service.join first, or the append could race it for the next event
	// number and take a second round.
	dying := "cost-" + registry.NewSessionID()
	victim := newSession()
	setup(plain.CreateSession(ctx, dying, victim))
	setup(plain.CreateService(ctx, dying, &registry.Service{ID: "doomed", SessionID: victim.ID}, time.Now()))
	for start, wait := time.Now(), time.Now().Add(20*time.Second); ; time.Sleep(50 * time.Millisecond) {
		p, err := plainFeed.Read(ctx, dying, registry.FeedRequest{From: dynamo.EventID(1), Limit: 10})
		setup(err)
		if len(p.Events) > 0 {
			t.Logf("the stream processor appended %s after %v", p.Events[0].Type, time.Since(start).Round(time.Millisecond))
			break
		}
		if time.Now().After(wait) {
			t.Log("no service.join in the feed after 20 s (is the stream processor running?); measuring anyway")
			break
		}
	}
	measure("sweeper: time out a session holding 1 service without tags (Feed.TimeOut)", func() error {
		res, err := feed.TimeOut(ctx, dynamo.SessionRef{Tenant: dying, ID: victim.ID}, victim.Deadline.Add(time.Millisecond))
		if err == nil && (!res.Appended || res.Services != 1) {
			err = fmt.Errorf("TimeOut did %+v; want the timeout appended with 1 service", res)
		}
		return err
	})

	// One sweep over every shard. Other tenants' sessions expire in the
	// same table; a sweep that found some times them out, so the next one
	// finds none.
	sw := &sweeper.Sweeper{Store: feed, Shards: dynamo.ExpiryShards, Interval: time.Second, Now: time.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for attempt := 1; ; attempt++ {
		db.take()
		st, err := sw.Sweep(ctx)
		setup(err)
		calls := db.take()
		if st.Expired == 0 {
			rows = append(rows, [2]string{"sweeper: one sweep of 16 shards, none expired", calls})
			break
		}
		if attempt == 10 {
			t.Fatalf("every sweep found expired sessions (the last %d); cannot measure an empty sweep", st.Expired)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// What every request pays before its own work: counting it against the
	// tenant's request limits, and, when no authorizer in front has done so
	// (API Gateway caches the authorizer's verdict per token), the token.
	now := time.Now()
	setup(plain.TakeRequest(ctx, tenant, now.Add(-2*time.Second)))
	measure("request counting (every request; the first in a second)", func() error {
		return store.TakeRequest(ctx, tenant, now)
	})
	measure("request counting (every request; another in the same second)", func() error {
		return store.TakeRequest(ctx, tenant, now)
	})
	measure("GET /limits: request usage", func() error {
		_, err := store.RequestUsage(ctx, tenant, now)
		return err
	})
	token, err := auth.Tokens{Store: plain}.Issue(ctx, tenant)
	setup(err)
	measure("authorizer: a token API Gateway has no cached verdict on", func() error {
		got, err := auth.Tokens{Store: store}.Authenticate(ctx, token)
		if err == nil && got != tenant {
			err = fmt.Errorf("the token authenticates tenant %q, want %q", got, tenant)
		}
		return err
	})

	measured := renderCostTable(rows)
	readme, err := os.ReadFile(costReadme)
	if err != nil {
		t.Fatal(err)
	}
	begin := bytes.Index(readme, []byte(costTableBegin))
	end := bytes.Index(readme, []byte(costTableEnd))
	if begin < 0 || end < begin {
		t.Fatalf("%s has no %s … %s section; the measured table is:\n\n%s", costReadme, costTableBegin, costTableEnd, measured)
	}
	documented := string(readme[begin+len(costTableBegin) : end])
	if *updateCostTable {
		var out bytes.Buffer
		out.Write(readme[:begin+len(costTableBegin)])
		out.WriteString("\n" + measured)
		out.Write(readme[end:])
		if err := os.WriteFile(costReadme, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the cost table in %s:\n\n%s", costReadme, measured)
		return
	}
	if strings.TrimSpace(documented) != strings.TrimSpace(measured) {
		t.Errorf("the cost table in README.md differs from the measured one; rerun with -update-cost-table, "+
			"or paste this between the cost-table markers:\n\n%s", measured)
	}
}

func renderCostTable(rows [][2]string) string {
	var b strings.Builder
	b.WriteString("| operation | DynamoDB calls |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	return b.String()
}
