// Command feedbench measures the events pipeline on the local cloud and
// prints what it measured; it asserts nothing.
//
//  1. Event lag: how long after POST /services returns its service.join is
//     visible to a client long-polling GET /events.
//  2. Timeout lag: how long after a session's deadline its services.timeout
//     is visible, to a client long-polling GET /events (which also times out
//     the tenant's dead sessions itself), and in the events table with only
//     the sweeper at work.
//  3. What one sweep reads with many live sessions and a few expired ones.
//
// Every part works on fresh tenants of its own (their names are printed),
// so nothing else reads or writes their feeds; part 3 removes the 10,000
// sessions it writes when it is done.
//
//	go run ./scripts/feedbench      (with .local/stack.env and .local/env exported)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/auth"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/registry"
	"github.com/service-registry/registry/internal/sweeper"
)

type options struct {
	n        int           // event-lag samples
	timeouts int           // sessions per timeout-lag measurement
	wait     int           // long-poll seconds
	live     int           // live sessions for the sweep measurement
	expired  int           // expired sessions for the sweep measurement
	workers  int           // goroutines writing the live sessions
	poll     time.Duration // how often the sweeper-only reader polls the table
	parts    string        // which parts to run
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 50, "event-lag samples (services created)")
	flag.IntVar(&o.timeouts, "timeouts", 20, "sessions timed out per timeout-lag measurement")
	flag.IntVar(&o.wait, "wait", 20, "GET /events long-poll wait, in seconds (1 to 20)")
	flag.IntVar(&o.live, "live", 10000, "live sessions in the sweep measurement")
	flag.IntVar(&o.expired, "expired", 10, "expired sessions in the sweep measurement")
	flag.IntVar(&o.workers, "workers", 16, "goroutines writing the live sessions")
	flag.DurationVar(&o.poll, "poll", 50*time.Millisecond, "how often the sweeper-only reader reads the events table")
	flag.StringVar(&o.parts, "parts", "123", "which parts to run: any of 1, 2 and 3")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "feedbench:", err)
		os.Exit(1)
	}
}

// bench is what every part needs.
type bench struct {
	raw         *dynamodb.Client
	table       string
	eventsTable string
	store       *dynamo.Store // uncounted
	feed        *dynamo.Feed  // uncounted
	urlPrefix   string        // REGISTRY_URL without its tenant
	o           options
	tenants     []string
}

func run(ctx context.Context, o options) error {
	url, tenant := os.Getenv("REGISTRY_URL"), os.Getenv("REGISTRY_TENANT")
	table, eventsTable := os.Getenv("TABLE_NAME"), os.Getenv("EVENTS_TABLE_NAME")
	if url == "" || tenant == "" || table == "" || eventsTable == "" {
		return errors.New("REGISTRY_URL, REGISTRY_TENANT, TABLE_NAME and EVENTS_TABLE_NAME must be set: " +
			"set -a; . .local/stack.env; . .local/env; set +a")
	}
	if !strings.HasSuffix(url, "/"+tenant) {
		return fmt.Errorf("REGISTRY_URL %q does not end in the tenant %q", url, tenant)
	}
	if o.wait < 1 || o.wait > 20 {
		return errors.New("-wait must be from 1 to 20")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	// No SDK log lines in the tables: polling the emulator every 50 ms draws
	// "failed to discard remaining HTTP response body" warnings from the
	// SDK, about connection reuse only. A nil logger is the SDK's no-op one.
	cfg.Logger = nil
	b := &bench{raw: dynamodb.NewFromConfig(cfg), table: table, eventsTable: eventsTable,
		urlPrefix: strings.TrimSuffix(url, tenant), o: o}
	b.store = dynamo.New(b.raw, table)
	b.feed = dynamo.NewFeed(b.store, eventsTable, 7*24*time.Hour)

	start := time.Now()
	for _, part := range []struct {
		id   string
		name string
		run  func(context.Context) error
	}{{"1", "event lag", b.eventLag}, {"2", "timeout lag", b.timeoutLag}, {"3", "sweep", b.sweepReads}} {
		if !strings.Contains(o.parts, part.id) {
			continue
		}
		if err := part.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", part.name, err)
		}
	}
	fmt.Printf("Tenants used: %s\nTotal time: %.0f s\n", strings.Join(b.tenants, ", "), time.Since(start).Seconds())
	return nil
}

// newTenant issues a token for a fresh tenant and returns its API client.
func (b *bench) newTenant(ctx context.Context) (*apiClient, error) {
	name := "feedbench-" + registry.NewSessionID()
	token, err := auth.Tokens{Store: b.store}.Issue(ctx, name)
	if err != nil {
		return nil, err
	}
	b.tenants = append(b.tenants, name)
	return &apiClient{base: b.urlPrefix + name, token: token, tenant: name,
		http: &http.Client{Timeout: 40 * time.Second}}, nil
}

// --- 1. event lag ----------------------------------------------------------

func (b *bench) eventLag(ctx context.Context) error {
	api, err := b.newTenant(ctx)
	if err != nil {
		return err
	}
	sid, token, err := api.createSession(120)
	if err != nil {
		return err
	}
	reader := &feedReader{api: api, wait: b.o.wait}
	if err := reader.start(); err != nil {
		return err
	}
	var samples []time.Duration
	// Sample -1 warms up the functions; it is not counted.
	for i := -1; i < b.o.n; i++ {
		id := fmt.Sprintf("lag-%04d", i+1)
		if _, err := api.do("POST", "/services", fmt.Sprintf(`{"id":%q,"session_id":%q}`, id, sid), http.StatusCreated); err != nil {
			return err
		}
		written := time.Now()
		seen, err := reader.until(func(ev apiEvent) bool {
			var p registry.ServicePayload
			return ev.Type == string(registry.EventServiceJoin) && json.Unmarshal(ev.Payload, &p) == nil && p.ID == id
		}, time.Minute)
		if err != nil {
			return fmt.Errorf("service %s: %w", id, err)
		}
		if i >= 0 {
			samples = append(samples, seen.Sub(written))
		}
		// Keep the session alive however long this takes.
		if token, err = api.heartbeat(sid, token); err != nil {
			return err
		}
	}
	fmt.Printf("1. Event lag, tenant %s: POST /services answered → its service.join in GET /events\n"+
		"   (long-poll wait=%d, which looks again every 250 ms), %d samples, sequential\n\n", api.tenant, b.o.wait, len(samples))
	return printLatencies([]latencies{{"service.join visible", samples}})
}

// --- 2. timeout lag --------------------------------------------------------

func (b *bench) timeoutLag(ctx context.Context) error {
	viaAPI, err := b.newTenant(ctx)
	if err != nil {
		return err
	}
	sweeperOnly, err := b.newTenant(ctx)
	if err != nil {
		return err
	}
	// The two run at once, each on its own tenant and its own sessions, one
	// session at a time. The API reader's GET /events times out its
	// tenant's dead sessions itself; nobody reads the second tenant's feed
	// through the API, so only a sweeper times its sessions out.
	var apiLags, sweepLags []time.Duration
	var apiErr, sweepErr error
	var wg sync.WaitGroup
	wg.Go(func() { apiLags, apiErr = b.timeoutsViaAPI(viaAPI) })
	wg.Go(func() { sweepLags, sweepErr = b.timeoutsSweeperOnly(ctx, sweeperOnly) })
	wg.Wait()
	if err := errors.Join(apiErr, sweepErr); err != nil {
		return err
	}
	fmt.Printf("2. Timeout lag: deadline (session created + 3 s, client clock, taken before the request) → its\n"+
		"   services.timeout visible; %d sessions of heartbeat_timeout 3 with 1 service each, one at a time\n"+
		"   a) tenant %s: read by long-polling GET /events (wait=%d), which times out the tenant's dead\n"+
		"      sessions itself when a request starts (not while it waits)\n"+
		"   b) tenant %s: read from the events table with Feed.Read every %v, no GET /events: the sweeper alone\n\n",
		b.o.timeouts, viaAPI.tenant, b.o.wait, sweeperOnly.tenant, b.o.poll)
	return printLatencies([]latencies{
		{"a) GET /events long-poll", apiLags},
		{"b) sweeper alone", sweepLags},
	})
}

// deadSession creates a session of heartbeat_timeout 3 holding one service
// through the API and returns it with its deadline by the client's clock.
func deadSession(api *apiClient, i int) (sid string, deadline time.Time, err error) {
	sent := time.Now()
	sid, _, err = api.createSession(3)
	if err != nil {
		return "", time.Time{}, err
	}
	body := fmt.Sprintf(`{"id":"to-%04d","session_id":%q}`, i, sid)
	if _, err := api.do("POST", "/services", body, http.StatusCreated); err != nil {
		return "", time.Time{}, err
	}
	return sid, sent.Add(3 * time.Second), nil
}

// timedOut reports whether ev is the services.timeout of session sid.
func timedOut(evType string, payload []byte, sid string) bool {
	if evType != string(registry.EventServicesTimeout) {
		return false
	}
	var services []registry.ServicePayload
	if json.Unmarshal(payload, &services) != nil {
		return false
	}
	return slices.ContainsFunc(services, func(s registry.ServicePayload) bool { return s.SessionID == sid })
}

func (b *bench) timeoutsViaAPI(api *apiClient) ([]time.Duration, error) {
	reader := &feedReader{api: api, wait: b.o.wait}
	if err := reader.start(); err != nil {
		return nil, err
	}
	var lags []time.Duration
	for i := range b.o.timeouts {
		sid, deadline, err := deadSession(api, i)
		if err != nil {
			return nil, err
		}
		seen, err := reader.until(func(ev apiEvent) bool { return timedOut(ev.Type, ev.Payload, sid) }, 2*time.Minute)
		if err != nil {
			return nil, fmt.Errorf("session %s: %w", sid, err)
		}
		lags = append(lags, seen.Sub(deadline))
	}
	return lags, nil
}

func (b *bench) timeoutsSweeperOnly(ctx context.Context, api *apiClient) ([]time.Duration, error) {
	next := dynamo.EventID(1) // a fresh tenant's feed starts at 1
	var lags []time.Duration
	for i := range b.o.timeouts {
		sid, deadline, err := deadSession(api, i)
		if err != nil {
			return nil, err
		}
		found := false
		for giveUp := time.Now().Add(2 * time.Minute); !found; time.Sleep(b.o.poll) {
			if time.Now().After(giveUp) {
				return nil, fmt.Errorf("session %s: no services.timeout 2 minutes after its deadline", sid)
			}
			page, err := b.feed.Read(ctx, api.tenant, registry.FeedRequest{From: next,
				Type: registry.EventServicesTimeout, Limit: 100})
			if err != nil {
				return nil, err
			}
			seen := time.Now()
			next = page.Next
			for _, ev := range page.Events {
				if timedOut(string(ev.Type), ev.Payload, sid) {
					lags = append(lags, seen.Sub(deadline))
					found = true
				}
			}
		}
	}
	return lags, nil
}

// --- 3. what one sweep reads -----------------------------------------------

func (b *bench) sweepReads(ctx context.Context) (err error) {
	tenant := "feedbench-" + registry.NewSessionID()
	b.tenants = append(b.tenants, tenant)
	if err := b.store.SetLimit(ctx, tenant, registry.ResourceSession, max(20000, b.o.live+b.o.expired+100)); err != nil {
		return err
	}

	// The live sessions, straight into the table through the store, with
	// deadlines far past the emulator's life, so that nothing ever times
	// them out should the clean-up below not run.
	var mu sync.Mutex
	var live []string
	defer func() {
		start := time.Now()
		n, cerr := b.removeSessions(ctx, tenant, live)
		fmt.Printf("Removed the %d live sessions again in %.1f s.\n\n", n, time.Since(start).Seconds())
		err = errors.Join(err, cerr)
	}()
	writes := &meter{db: b.raw}
	writer := dynamo.New(writes, b.table)
	start := time.Now()
	var next atomic.Int64
	errs := make([]error, b.o.workers)
	var wg sync.WaitGroup
	for w := range b.o.workers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.o.live) && errs[w] == nil {
				s := &registry.Session{ID: registry.NewSessionID(), HeartbeatTimeout: 120,
					Deadline: time.Now().Add(30 * 24 * time.Hour), Token: registry.NewToken()}
				if errs[w] = writer.CreateSession(ctx, tenant, s); errs[w] == nil {
					mu.Lock()
					live = append(live, s.ID)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	writeTime := time.Since(start)
	transactions := writes.take().calls["TransactWriteItems"]

	// The stream processor turns each of those writes into a Lambda call's
	// worth of work on the same emulator; wait until it has caught up, so
	// that the sweep does not compete with it: a service's join in the
	// feed follows every record before it.
	start = time.Now()
	caughtUp, err := b.streamCaughtUp(ctx, tenant)
	if err != nil {
		return err
	}
	streamWait := time.Since(start)

	// Both sweeps below read exactly what a sweep of the whole table reads
	// (every shard's expired sessions, whoever's), but time out only this
	// tenant's: the probe hands the sweeper this tenant's sessions alone and
	// counts the others', which the deployed sweeper takes care of.
	//
	// The deployed sweeper sweeps the table about every second, and a sweep
	// on the emulator takes a good part of a second or more with this many
	// sessions, so expired sessions created for the measured sweep would
	// often be timed out by the deployed sweeper first. Instead they are
	// created to expire a little in the future, and the measured sweep runs
	// at once with its clock just past their deadline: to it they are
	// expired, to the deployed sweeper not yet. Its reads are those of a
	// sweep that ran just after they expired. (Sessions of other tenants
	// that expire within that margin are read too, and left alone.)
	m := &meter{db: b.raw}
	probe := &sweepProbe{Store: dynamo.NewFeed(dynamo.New(m, b.table), b.eventsTable, 7*24*time.Hour), tenant: tenant}
	sw := &sweeper.Sweeper{Store: probe, Shards: dynamo.ExpiryShards, Interval: time.Second, Now: time.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sweep := func() (sweepResult, error) {
		start := time.Now()
		st, err := sw.Sweep(ctx)
		r := sweepResult{took: time.Since(start), st: st, c: m.take(), p: probe.take()}
		return r, err
	}

	m.take()
	probe.take()
	first, err := sweep()
	if err != nil {
		return err
	}
	const margin = 10 * time.Second
	deadline := time.Now().Add(margin)
	for range b.o.expired {
		if err := b.store.CreateSession(ctx, tenant, &registry.Session{ID: registry.NewSessionID(),
			HeartbeatTimeout: 10, Deadline: deadline, Token: registry.NewToken()}); err != nil {
			return err
		}
	}
	sw.Now = func() time.Time { return deadline.Add(time.Millisecond) }
	second, err := sweep()
	if err != nil {
		return err
	}
	late := time.Since(deadline)

	fmt.Printf("3. One sweep (%d shards) with %d live sessions and %d expired, tenant %s\n"+
		"   live sessions written in %.1f s by %d goroutines: %d TransactWriteItems (%d tried again after a conflict);\n"+
		"   then %.1f s until the stream processor had caught up%s.\n"+
		"   The expired sessions are made to expire %v ahead and swept at once by a sweep whose clock is just past\n"+
		"   their deadline; both sweeps time out this tenant's sessions only (see the comment in the code)\n\n",
		dynamo.ExpiryShards, b.o.live, b.o.expired, tenant, writeTime.Seconds(), b.o.workers,
		transactions, transactions-b.o.live, streamWait.Seconds(),
		map[bool]string{true: "", false: " (it had not, after a minute)"}[caughtUp], margin)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\tsweep, none of ours expired\tmeasured sweep, %d of ours expired\n", b.o.expired)
	row := func(name string, f func(r sweepResult) string) {
		fmt.Fprintf(w, "%s\t%s\t%s\n", name, f(first), f(second))
	}
	row("expiry-index Query calls", func(r sweepResult) string {
		return fmt.Sprint(r.c.indexQueries)
	})
	row("  items read (ScannedCount sum)", func(r sweepResult) string {
		return fmt.Sprint(r.c.indexScanned)
	})
	row("  items returned (Count sum)", func(r sweepResult) string {
		return fmt.Sprint(r.c.indexCount)
	})
	row("  time in them, ms", func(r sweepResult) string {
		return fmt.Sprintf("%.0f", ms(r.c.indexTime))
	})
	row("expired sessions found, ours", func(r sweepResult) string {
		return fmt.Sprint(r.p.foundOurs)
	})
	row("  other tenants' (left alone)", func(r sweepResult) string {
		return fmt.Sprint(r.p.foundOthers)
	})
	row("sessions timed out by this sweep", func(r sweepResult) string {
		return fmt.Sprint(r.st.TimedOut)
	})
	row("other Query calls (a session's services)", func(r sweepResult) string {
		return fmt.Sprintf("%d (%d items read)", r.c.otherQueries, r.c.otherScanned)
	})
	row("  time in them, ms", func(r sweepResult) string {
		return fmt.Sprintf("%.0f", ms(r.c.otherQueryTime))
	})
	row("GetItem / BatchGetItem items returned", func(r sweepResult) string {
		return fmt.Sprint(r.c.itemsGot)
	})
	row("other calls", func(r sweepResult) string { return r.c.others() })
	row("wall time, ms", func(r sweepResult) string {
		return fmt.Sprintf("%.0f", ms(r.took))
	})
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Printf("\n(\"ours\": sessions of tenant %s.)\n", tenant)
	if late > 0 {
		fmt.Printf("(The measured sweep ended %.1f s after the expired sessions' real deadline: the deployed\n"+
			"sweeper may have raced it for some of them.)\n", late.Seconds())
	}
	return nil
}

// streamCaughtUp adds a session holding a service to the tenant and waits
// for the service's join in the feed, then deletes them again.
func (b *bench) streamCaughtUp(ctx context.Context, tenant string) (bool, error) {
	now := time.Now()
	s := &registry.Session{ID: registry.NewSessionID(), HeartbeatTimeout: 120, Deadline: now.Add(time.Hour), Token: registry.NewToken()}
	if err := b.store.CreateSession(ctx, tenant, s); err != nil {
		return false, err
	}
	if err := b.store.CreateService(ctx, tenant, &registry.Service{ID: "stream-marker", SessionID: s.ID}, now); err != nil {
		return false, err
	}
	defer b.store.DeleteSession(ctx, tenant, s.ID, time.Now())
	for giveUp := time.Now().Add(time.Minute); time.Now().Before(giveUp); time.Sleep(100 * time.Millisecond) {
		page, err := b.feed.Read(ctx, tenant, registry.FeedRequest{From: dynamo.EventID(1), Type: registry.EventServiceJoin, Limit: 10})
		if err != nil {
			return false, err
		}
		if len(page.Events) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// removeSessions deletes the given sessions of the tenant, 25 to a
// BatchWriteItem. The store would delete each in a transaction after a
// Query of its services, and on the emulator each such Query takes time in
// proportion to the whole partition (see the "time in them" of the other
// Queries in the table): minutes for 10,000. These sessions hold no services, so deleting
// their items is all there is to it (the tenant's session count, on a
// tenant never used again, is left as it is). Left behind, they would slow
// down every later expiry-index Query on the emulator, the deployed
// sweeper's included.
func (b *bench) removeSessions(ctx context.Context, tenant string, ids []string) (int, error) {
	var removed atomic.Int64
	batches := make(chan []string)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for w := range errs {
		wg.Go(func() {
			for batch := range batches {
				if errs[w] != nil {
					continue
				}
				reqs := make([]types.WriteRequest, 0, len(batch))
				for _, id := range batch {
					reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{
						"pk": &types.AttributeValueMemberS{Value: "T#" + tenant},
						"sk": &types.AttributeValueMemberS{Value: "SESSION#" + id},
					}}})
				}
				req := map[string][]types.WriteRequest{b.table: reqs}
				for attempt := 0; len(req[b.table]) > 0; attempt++ {
					if attempt > 0 {
						time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
					}
					out, err := b.raw.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
					if err != nil {
						errs[w] = err
						break
					}
					removed.Add(int64(len(req[b.table]) - len(out.UnprocessedItems[b.table])))
					req = out.UnprocessedItems
				}
			}
		})
	}
	for start := 0; start < len(ids); start += 25 {
		batches <- ids[start:min(start+25, len(ids))]
	}
	close(batches)
	wg.Wait()
	return int(removed.Load()), errors.Join(errs...)
}

// sweepResult is what one sweep did and read.
type sweepResult struct {
	took time.Duration
	st   sweeper.Stats
	c    meterCounts
	p    probeCounts
}

// sweepProbe passes a sweeper's calls on, handing it only one tenant's
// expired sessions and counting the others it was given.
type sweepProbe struct {
	sweeper.Store
	tenant string
	mu     sync.Mutex
	cur    probeCounts
}

type probeCounts struct{ foundOurs, foundOthers int }

// ExpiredSessions reads as the sweeper would, and hands it only the
// tenant's sessions.
func (p *sweepProbe) ExpiredSessions(ctx context.Context, shard int, tenant string, now time.Time, limit int) ([]dynamo.SessionRef, error) {
	refs, err := p.Store.ExpiredSessions(ctx, shard, tenant, now, limit)
	p.mu.Lock()
	defer p.mu.Unlock()
	ours := refs[:0:0]
	for _, r := range refs {
		if r.Tenant == p.tenant {
			ours = append(ours, r)
		}
	}
	p.cur.foundOurs += len(ours)
	p.cur.foundOthers += len(refs) - len(ours)
	return ours, err
}

// take returns the counts so far and starts again from zero.
func (p *sweepProbe) take() probeCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.cur
	p.cur = probeCounts{}
	return c
}

// meter is a dynamo.API that counts calls and what they read.
type meter struct {
	db dynamo.API
	mu sync.Mutex
	c  meterCounts
}

var _ dynamo.API = (*meter)(nil)

type meterCounts struct {
	calls                                  map[string]int
	indexQueries, indexScanned, indexCount int
	otherQueries, otherScanned             int
	itemsGot, transactionItems             int
	indexTime, otherQueryTime              time.Duration
}

func (m *meter) add(op string, f func(c *meterCounts)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.c.calls == nil {
		m.c.calls = map[string]int{}
	}
	m.c.calls[op]++
	if f != nil {
		f(&m.c)
	}
}

// take returns the counts so far and starts again from zero.
func (m *meter) take() meterCounts {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.c
	m.c = meterCounts{}
	return c
}

// others lists the calls other than Query.
func (c meterCounts) others() string {
	var ops []string
	for op := range c.calls {
		if op != "Query" {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	var parts []string
	for _, op := range ops {
		s := fmt.Sprintf("%s %d", op, c.calls[op])
		if op == "TransactWriteItems" {
			s += fmt.Sprintf(" (%d items)", c.transactionItems)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (m *meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := m.db.GetItem(ctx, in, opts...)
	m.add("GetItem", func(c *meterCounts) {
		if err == nil && out.Item != nil {
			c.itemsGot++
		}
	})
	return out, err
}

func (m *meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := m.db.PutItem(ctx, in, opts...)
	m.add("PutItem", nil)
	return out, err
}

func (m *meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := m.db.UpdateItem(ctx, in, opts...)
	m.add("UpdateItem", nil)
	return out, err
}

func (m *meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	out, err := m.db.DeleteItem(ctx, in, opts...)
	m.add("DeleteItem", nil)
	return out, err
}

func (m *meter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	start := time.Now()
	out, err := m.db.Query(ctx, in, opts...)
	took := time.Since(start)
	m.add("Query", func(c *meterCounts) {
		var scanned, count int
		if err == nil {
			scanned, count = int(out.ScannedCount), int(out.Count)
		}
		if aws.ToString(in.IndexName) == dynamo.ExpiryIndex {
			c.indexQueries++
			c.indexScanned += scanned
			c.indexCount += count
			c.indexTime += took
		} else {
			c.otherQueries++
			c.otherScanned += scanned
			c.otherQueryTime += took
		}
	})
	return out, err
}

func (m *meter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	out, err := m.db.TransactWriteItems(ctx, in, opts...)
	m.add("TransactWriteItems", func(c *meterCounts) {
		c.transactionItems += len(in.TransactItems)
	})
	return out, err
}

func (m *meter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out, err := m.db.BatchGetItem(ctx, in, opts...)
	m.add("BatchGetItem", func(c *meterCounts) {
		if err == nil {
			for _, items := range out.Responses {
				c.itemsGot += len(items)
			}
		}
	})
	return out, err
}

// --- the API ---------------------------------------------------------------

type apiClient struct {
	base, token, tenant string
	http                *http.Client
}

func (c *apiClient) do(method, path, body string, want int) ([]byte, error) {
	req, err := http.NewRequest(method, c.base+path, bytes.NewBufferString(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Auth-Token", c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	return raw, nil
}

func (c *apiClient) createSession(timeout int) (id, token string, err error) {
	raw, err := c.do("POST", "/sessions", fmt.Sprintf(`{"heartbeat_timeout": %d}`, timeout), http.StatusCreated)
	if err != nil {
		return "", "", err
	}
	var out struct{ ID, Token string }
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", "", err
	}
	return out.ID, out.Token, nil
}

func (c *apiClient) heartbeat(id, token string) (string, error) {
	raw, err := c.do("POST", "/sessions/"+id+"/heartbeat", fmt.Sprintf(`{"token":%q}`, token), http.StatusOK)
	if err != nil {
		return "", err
	}
	var out struct{ Token string }
	return out.Token, json.Unmarshal(raw, &out)
}

type apiEvent struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// feedReader follows a tenant's feed through GET /events, long-polling.
type feedReader struct {
	api    *apiClient
	wait   int
	marker string
}

// start reads the feed's head: a fresh tenant's feed is empty, and the
// answer's next_marker is where its first event will be.
func (r *feedReader) start() error {
	_, err := r.read("/events")
	return err
}

func (r *feedReader) read(path string) ([]apiEvent, error) {
	raw, err := r.api.do("GET", path, "", http.StatusOK)
	if err != nil {
		return nil, err
	}
	var page struct {
		Values   []apiEvent `json:"values"`
		Metadata struct {
			NextMarker string `json:"next_marker"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, err
	}
	if page.Metadata.NextMarker == "" {
		return nil, fmt.Errorf("GET %s: no next_marker in %s", path, raw)
	}
	r.marker = page.Metadata.NextMarker
	return page.Values, nil
}

// until long-polls from the marker on until an event matches, and returns
// when the answer that carried it arrived.
func (r *feedReader) until(match func(apiEvent) bool, limit time.Duration) (time.Time, error) {
	for giveUp := time.Now().Add(limit); time.Now().Before(giveUp); {
		evs, err := r.read(fmt.Sprintf("/events?marker=%s&wait=%d", r.marker, r.wait))
		if err != nil {
			return time.Time{}, err
		}
		seen := time.Now()
		if slices.ContainsFunc(evs, match) {
			return seen, nil
		}
	}
	return time.Time{}, fmt.Errorf("no matching event within %v", limit)
}

// --- printing --------------------------------------------------------------

type latencies struct {
	name    string
	samples []time.Duration
}

func printLatencies(rows []latencies) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "measurement\tsamples\tmin ms\tp50 ms\tp99 ms\tmax ms\t")
	for _, r := range rows {
		s := slices.Clone(r.samples)
		slices.Sort(s)
		if len(s) == 0 {
			fmt.Fprintf(w, "%s\t0\t\t\t\t\t\n", r.name)
			continue
		}
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t\n", r.name, len(s),
			ms(s[0]), ms(pct(s, 0.50)), ms(pct(s, 0.99)), ms(s[len(s)-1]))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Println()
	return nil
}

// pct is the nearest-rank percentile of sorted samples.
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
