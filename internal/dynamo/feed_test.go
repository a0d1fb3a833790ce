package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/localcloud"
	"github.com/service-registry/registry/internal/registry"
	"github.com/service-registry/registry/internal/streamproc"
	"github.com/service-registry/registry/internal/sweeper"
)

// These tests run against the local cloud's real tables while the deployed
// sweeper runs too: they assert what must hold whoever gets to a session
// first (exactly one event per death, nothing left behind).

func newFeed(t *testing.T, db dynamo.API) (*dynamo.Feed, string) {
	t.Helper()
	_, table := localcloud.DynamoDB(t)
	eventsTable := localcloud.Env(t, "EVENTS_TABLE_NAME")[0]
	return dynamo.NewFeed(dynamo.New(db, table), eventsTable, 7*24*time.Hour), "it-" + registry.NewSessionID()
}

func client(t *testing.T) *dynamodb.Client {
	db, _ := localcloud.DynamoDB(t)
	return db
}

// readAll follows the feed from the start, page by page, as a consumer
// following next_marker does.
func readAll(t *testing.T, f *dynamo.Feed, tenant string, typ registry.EventType) []*registry.Event {
	t.Helper()
	var all []*registry.Event
	req := registry.FeedRequest{From: dynamo.EventID(1), Type: typ, Limit: 50}
	for {
		page, err := f.Read(context.Background(), tenant, req)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Events...)
		if !page.More {
			return all
		}
		req.From = page.Next
	}
}

// Many writers append at once while a consumer follows next_marker: it sees
// every event exactly once, in feed order, and ids are dense.
func TestFeedGapFreeUnderConcurrentWriters(t *testing.T) {
	f, tenant := newFeed(t, client(t))
	ctx := context.Background()
	const writers, perWriter = 6, 15
	var wg sync.WaitGroup
	var done atomic.Bool
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				payload, _ := json.Marshal(map[string]int{"writer": w, "i": i})
				ev := &registry.Event{Timestamp: time.Now(), Type: registry.EventConfigUpdate, Payload: payload}
				if err := f.Append(ctx, tenant, []*registry.Event{ev}, "", nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	go func() { wg.Wait(); done.Store(true) }()

	seen := map[string]bool{}
	lastOf := map[int]int{}
	next := dynamo.EventID(1)
	var order []string
	for deadline := time.Now().Add(time.Minute); ; {
		finished := done.Load()
		page, err := f.Read(ctx, tenant, registry.FeedRequest{From: next, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			if seen[ev.ID] {
				t.Fatalf("event %s seen twice", ev.ID)
			}
			seen[ev.ID] = true
			order = append(order, ev.ID)
			var p map[string]int
			json.Unmarshal(ev.Payload, &p)
			if last, ok := lastOf[p["writer"]]; ok && p["i"] != last+1 {
				t.Fatalf("writer %d: event %d after %d", p["writer"], p["i"], last)
			}
			lastOf[p["writer"]] = p["i"]
		}
		next = page.Next
		if finished && len(page.Events) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("consumer did not catch up")
		}
	}
	if len(seen) != writers*perWriter {
		t.Fatalf("consumer saw %d events, want %d", len(seen), writers*perWriter)
	}
	for i, id := range order {
		if id != dynamo.EventID(int64(i+1)) {
			t.Fatalf("event %d has id %s: ids are not dense and ordered", i+1, id)
		}
	}
}

// A dead session with services, and a session's worth of setup.
func deadSession(t *testing.T, f *dynamo.Feed, tenant string, services int) (*registry.Session, time.Time) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	sess := &registry.Session{ID: registry.NewSessionID(), HeartbeatTimeout: 3,
		Deadline: now.Add(3 * time.Second), Token: registry.NewToken()}
	if err := f.CreateSession(ctx, tenant, sess); err != nil {
		t.Fatal(err)
	}
	for i := range services {
		svc := &registry.Service{ID: fmt.Sprintf("%s-svc-%d", sess.ID, i), SessionID: sess.ID, Tags: []string{"t"}}
		if err := f.CreateService(ctx, tenant, svc, now); err != nil {
			t.Fatal(err)
		}
	}
	return sess, sess.Deadline.Add(time.Millisecond)
}

func timeoutEvents(t *testing.T, f *dynamo.Feed, tenant string) [][]registry.ServicePayload {
	t.Helper()
	var out [][]registry.ServicePayload
	for _, ev := range readAll(t, f, tenant, registry.EventServicesTimeout) {
		var p []registry.ServicePayload
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// Exactly one services.timeout however many time the session out at once,
// and nothing of the session is left.
func TestTimeOutExactlyOnce(t *testing.T) {
	f, tenant := newFeed(t, client(t))
	ctx := context.Background()
	sess, after := deadSession(t, f, tenant, 2)
	var wg sync.WaitGroup
	var appended atomic.Int32
	for range 6 {
		wg.Go(func() {
			res, err := f.TimeOut(ctx, dynamo.SessionRef{Tenant: tenant, ID: sess.ID}, after)
			if err != nil {
				t.Error(err)
			}
			if res.Appended {
				appended.Add(1)
			}
		})
		wg.Go(func() {
			if err := f.Rectify(ctx, tenant, after); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := appended.Load(); n > 1 {
		t.Fatalf("%d callers appended the timeout", n)
	}
	evs := timeoutEvents(t, f, tenant)
	if len(evs) != 1 || len(evs[0]) != 2 {
		t.Fatalf("timeout events: %+v; want one carrying 2 services", evs)
	}
	assertGone(t, f, tenant, sess.ID, after)
}

func assertGone(t *testing.T, f *dynamo.Feed, tenant, sessionID string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.GetSession(ctx, tenant, sessionID, time.UnixMilli(1)); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("the session is still there: %v", err)
	}
	page, err := f.ListServices(ctx, tenant, "", registry.PageRequest{Limit: 100}, time.UnixMilli(1))
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("services left behind: %d, %v", len(page.Items), err)
	}
	usage, err := f.Limits(ctx, tenant)
	if err != nil || usage[registry.ResourceSession].Used != 0 || usage[registry.ResourceService].Used != 0 {
		t.Fatalf("quota not given back: %+v, %v", usage, err)
	}
}

// failAfterAppend lets writes through until a transaction has appended an
// event, then fails every write: a sweeper crashing half-way.
type failAfterAppend struct {
	dynamo.API
	appended atomic.Bool
}

func (f *failAfterAppend) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f.appended.Load() {
		return nil, errors.New("injected crash")
	}
	out, err := f.API.TransactWriteItems(ctx, in, opts...)
	for _, it := range in.TransactItems {
		if it.Put != nil && it.Put.Item["type"] != nil {
			f.appended.Store(err == nil)
		}
	}
	return out, err
}

func (f *failAfterAppend) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if f.appended.Load() {
		return nil, errors.New("injected crash")
	}
	return f.API.UpdateItem(ctx, in, opts...)
}

// A sweeper that crashes after appending the event leaves work that the next
// one finishes, without a second event.
func TestTimeOutFinishesAfterACrash(t *testing.T) {
	db := client(t)
	crashing := &failAfterAppend{API: db}
	f, tenant := newFeed(t, crashing)
	sess, after := deadSession(t, f, tenant, 2)
	ref := dynamo.SessionRef{Tenant: tenant, ID: sess.ID}
	_, err := f.TimeOut(context.Background(), ref, after)
	if !crashing.appended.Load() || err == nil {
		// The deployed sweeper got there first: nothing was left to crash on.
		t.Skip("the session was timed out by the deployed sweeper before the crash could be injected")
	}
	healthy, _ := newFeed(t, db)
	res, err := healthy.TimeOut(context.Background(), ref, after)
	if err != nil {
		t.Fatal(err)
	}
	if res.Appended {
		t.Fatal("the second sweeper appended another timeout")
	}
	if evs := timeoutEvents(t, healthy, tenant); len(evs) != 1 || len(evs[0]) != 2 {
		t.Fatalf("timeout events: %+v; want one carrying 2 services", evs)
	}
	assertGone(t, healthy, tenant, sess.ID, after)
}

// A heartbeat racing the timeout: conditional writes let exactly one win.
// If the heartbeat won, the session lives and no event was appended; if the
// timeout won, the heartbeat got 404 and the event is there.
func TestHeartbeatRacingTimeout(t *testing.T) {
	f, tenant := newFeed(t, client(t))
	ctx := context.Background()
	const rounds = 12
	wins := map[string]int{}
	for round := range rounds {
		sess, after := deadSession(t, f, tenant, 0)
		justBefore := sess.Deadline.Add(-time.Millisecond) // the heartbeat's clock
		var hbErr error
		var res dynamo.Timeout
		var tErr error
		heartbeat := func() { _, hbErr = f.Heartbeat(ctx, tenant, sess.ID, sess.Token, registry.NewToken(), justBefore) }
		timeout := func() { res, tErr = f.TimeOut(ctx, dynamo.SessionRef{Tenant: tenant, ID: sess.ID}, after) }
		switch round % 3 {
		case 0: // the heartbeat lands first
			heartbeat()
			timeout()
		case 1: // the timeout lands first
			timeout()
			heartbeat()
		default: // a real race, the heartbeat a little behind
			var wg sync.WaitGroup
			wg.Go(timeout)
			wg.Go(func() { time.Sleep(time.Duration(rand.IntN(6)) * time.Millisecond); heartbeat() })
			wg.Wait()
		}
		if tErr != nil {
			t.Fatal(tErr)
		}
		switch {
		case hbErr == nil:
			wins["heartbeat"]++
			if res.Appended {
				t.Fatal("both the heartbeat and the timeout won")
			}
			if _, err := f.GetSession(ctx, tenant, sess.ID, after); err != nil {
				t.Fatalf("the heartbeat won but the session is gone: %v", err)
			}
			// Tidy up for the event count below.
			if err := f.DeleteSession(ctx, tenant, sess.ID, after); err != nil {
				t.Fatal(err)
			}
		case errors.Is(hbErr, registry.ErrNotFound):
			wins["timeout"]++
		default:
			t.Fatalf("heartbeat: %v", hbErr)
		}
	}
	if wins["heartbeat"] == 0 || wins["timeout"] == 0 {
		t.Fatalf("each side must win the rounds where it lands first: %v", wins)
	}
	if got := len(timeoutEvents(t, f, tenant)); got != wins["timeout"] {
		t.Fatalf("%d timeout events for %d timeouts that won (%v)", got, wins["timeout"], wins)
	}
	t.Logf("winners over %d rounds: %v", rounds, wins)
}

// Two sweepers over the same expired sessions: one event each, whoever wins.
func TestOverlappingSweepers(t *testing.T) {
	f, tenant := newFeed(t, client(t))
	var after time.Time
	for range 5 {
		_, after = deadSession(t, f, tenant, 1)
	}
	now := func() time.Time { return after.Add(time.Second) }
	var wg sync.WaitGroup
	for range 2 {
		s := &sweeper.Sweeper{Store: f, Shards: dynamo.ExpiryShards, Now: now, Log: discard()}
		wg.Go(func() {
			if _, err := s.Sweep(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if evs := timeoutEvents(t, f, tenant); len(evs) != 5 {
		t.Fatalf("%d timeout events for 5 dead sessions", len(evs))
	}
}

// A session deleted by DynamoDB's TTL (no sweeper ran) reaches the stream
// processor as a REMOVE by the service principal: it appends the timeout
// with the services and deletes them, once, however often it is delivered.
func TestTTLRemovalIsALateTimeout(t *testing.T) {
	db := client(t)
	f, tenant := newFeed(t, db)
	ctx := context.Background()
	sess, _ := deadSession(t, f, tenant, 2)
	_, table := localcloud.DynamoDB(t)
	key := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "T#" + tenant},
		"sk": &types.AttributeValueMemberS{Value: "SESSION#" + sess.ID},
	}
	// Delete the session as TTL would, keeping the old image for the record.
	out, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: key, ReturnValues: types.ReturnValueAllOld})
	if err != nil || out.Attributes == nil {
		t.Fatalf("deleting the session: %v", err)
	}
	record := events.DynamoDBEventRecord{
		EventID:      "ttl-" + sess.ID,
		EventName:    "REMOVE",
		UserIdentity: &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"},
		Change: events.DynamoDBStreamRecord{
			SequenceNumber: "100",
			Keys:           toStream(t, key),
			OldImage:       toStream(t, out.Attributes),
		},
	}
	p := &streamproc.Processor{Feed: f, Now: time.Now, Log: discard()}
	for range 2 { // delivered twice
		resp, err := p.Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record}})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("Handle: %+v, %v", resp, err)
		}
	}
	if evs := timeoutEvents(t, f, tenant); len(evs) != 1 || len(evs[0]) != 2 {
		t.Fatalf("timeout events: %+v; want one carrying 2 services", evs)
	}
	assertGone(t, f, tenant, sess.ID, time.Now())
}

// toStream converts SDK attribute values into a stream image, through the
// JSON form both share.
func toStream(t *testing.T, m map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	t.Helper()
	raw := map[string]any{}
	for k, v := range m {
		raw[k] = wire(v)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func wire(v types.AttributeValue) map[string]any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = wire(e)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		m := map[string]any{}
		for k, e := range v.Value {
			m[k] = wire(e)
		}
		return map[string]any{"M": m}
	}
	return map[string]any{"NULL": true}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
