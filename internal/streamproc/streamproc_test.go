package streamproc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/registry"
	"github.com/service-registry/registry/internal/streamproc"
)

// appendCall is one call of fakeFeed.Append.
type appendCall struct {
	tenant   string
	events   []*registry.Event
	dedupKey string
	extra    []types.TransactWriteItem
}

// removedCall is one call of fakeFeed.TimeOutRemoved.
type removedCall struct {
	tenant   string
	old      map[string]types.AttributeValue
	dedupKey string
	now      time.Time
}

// fakeFeed records what the processor asks of the feed. fail maps a dedup
// key (a record's event id) to the error the call made for it returns.
type fakeFeed struct {
	mu      sync.Mutex
	appends []appendCall
	removed []removedCall
	fail    map[string]error
}

func (f *fakeFeed) Append(_ context.Context, tenant string, evs []*registry.Event, dedupKey string, extra []types.TransactWriteItem) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.appends = append(f.appends, appendCall{tenant: tenant, events: evs, dedupKey: dedupKey, extra: extra})
	return f.fail[dedupKey]
}

func (f *fakeFeed) TimeOutRemoved(_ context.Context, tenant string, old map[string]types.AttributeValue, dedupKey string, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, removedCall{tenant: tenant, old: old, dedupKey: dedupKey, now: now})
	return f.fail[dedupKey]
}

var _ streamproc.Feed = (*fakeFeed)(nil)

var now = time.UnixMilli(1_900_000_000_000)

func newProcessor(feed *fakeFeed) *streamproc.Processor {
	return &streamproc.Processor{
		Feed: feed,
		Now:  func() time.Time { return now },
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

type image = map[string]events.DynamoDBAttributeValue

func s(v string) events.DynamoDBAttributeValue { return events.NewStringAttribute(v) }
func n(v string) events.DynamoDBAttributeValue { return events.NewNumberAttribute(v) }
func b(v bool) events.DynamoDBAttributeValue   { return events.NewBooleanAttribute(v) }
func l(vs ...events.DynamoDBAttributeValue) events.DynamoDBAttributeValue {
	return events.NewListAttribute(vs)
}
func m(v image) events.DynamoDBAttributeValue { return events.NewMapAttribute(v) }

// serviceImage is a service item of the given kind (service, service_link,
// service_tag) as the stream carries it.
func serviceImage(kind, sk string) image {
	return image{
		"pk":         s("T#acme"),
		"sk":         s(sk),
		"kind":       s(kind),
		"tenant":     s("acme"),
		"id":         s("db-1"),
		"session_id": s("sess-1"),
		"tags":       l(s("primary"), s("eu")),
		"metadata":   m(image{"host": s("10.0.0.1"), "port": s("5432")}),
		"version":    n("3"),
	}
}

func with(img image, k string, v events.DynamoDBAttributeValue) image {
	out := image{}
	for key, val := range img {
		out[key] = val
	}
	out[k] = v
	return out
}

func configImage(value string) image {
	return image{
		"pk":      s("T#acme"),
		"sk":      s("CONFIG#app/db/url"),
		"kind":    s("configuration_value"),
		"tenant":  s("acme"),
		"id":      s("app/db/url"),
		"value":   s(value),
		"version": n("2"),
		"nonce":   s("nonce-1"),
	}
}

func sessionImage() image {
	return image{
		"pk":                s("T#acme"),
		"sk":                s("SESSION#sess-1"),
		"kind":              s("session"),
		"tenant":            s("acme"),
		"id":                s("sess-1"),
		"heartbeat_timeout": n("10"),
		"deadline":          n("1899999990000"),
		"metadata":          m(image{"host": s("db-1")}),
		"token":             s("tok"),
		"exp_shard":         s("EXP#3"),
		"expires_at":        n("1900000000"),
	}
}

var ttlIdentity = &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}

// rec builds a stream record; its sequence number is derived from, but
// distinct from, its event id so that tests can tell which one is reported.
func rec(eventID, name string, newImage, oldImage image) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{
		EventID:     eventID,
		EventName:   name,
		EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{
			NewImage:       newImage,
			OldImage:       oldImage,
			SequenceNumber: "seq-" + eventID,
			StreamViewType: "NEW_AND_OLD_IMAGES",
		},
	}
}

func withIdentity(r events.DynamoDBEventRecord, id *events.DynamoDBUserIdentity) events.DynamoDBEventRecord {
	r.UserIdentity = id
	return r
}

func handle(t *testing.T, p *streamproc.Processor, recs ...events.DynamoDBEventRecord) events.DynamoDBEventResponse {
	t.Helper()
	resp, err := p.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatalf("Handle returned error %v; failures must be reported per record", err)
	}
	return resp
}

// payloadOf decodes an event payload into a generic map.
func payloadOf(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("payload %q is not a JSON object: %v", raw, err)
	}
	return out
}

// oneAppend checks that exactly one event was appended, for acme under the
// record's event id, at the processor's now, and returns it.
func oneAppend(t *testing.T, feed *fakeFeed, dedupKey string, typ registry.EventType) *registry.Event {
	t.Helper()
	if len(feed.appends) != 1 {
		t.Fatalf("got %d appends, want 1: %+v", len(feed.appends), feed.appends)
	}
	c := feed.appends[0]
	if c.tenant != "acme" || c.dedupKey != dedupKey || len(c.extra) != 0 || len(c.events) != 1 {
		t.Fatalf("append(tenant %q, %d events, dedup %q, %d extra), want (acme, 1, %q, 0)",
			c.tenant, len(c.events), c.dedupKey, len(c.extra), dedupKey)
	}
	ev := c.events[0]
	if ev.Type != typ || !ev.Timestamp.Equal(now) || ev.ID != "" {
		t.Fatalf("event %+v, want type %s at %v with no id (the feed assigns it)", ev, typ, now)
	}
	if len(feed.removed) != 0 {
		t.Fatalf("unexpected TimeOutRemoved calls: %+v", feed.removed)
	}
	return ev
}

func TestServiceEvents(t *testing.T) {
	wantService := map[string]any{
		"id":         "db-1",
		"session_id": "sess-1",
		"tags":       []any{"primary", "eu"},
		"metadata":   map[string]any{"host": "10.0.0.1", "port": "5432"},
	}
	cases := []struct {
		name string
		rec  events.DynamoDBEventRecord
		typ  registry.EventType
	}{
		{"insert is a join", rec("ev-1", "INSERT", serviceImage("service", "SERVICE#db-1"), nil), registry.EventServiceJoin},
		{"remove is a remove", rec("ev-2", "REMOVE", nil, serviceImage("service", "SERVICE#db-1")), registry.EventServiceRemove},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			feed := &fakeFeed{}
			if resp := handle(t, newProcessor(feed), tc.rec); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures: %+v", resp.BatchItemFailures)
			}
			ev := oneAppend(t, feed, tc.rec.EventID, tc.typ)
			if got := payloadOf(t, ev.Payload); !reflect.DeepEqual(got, wantService) {
				t.Fatalf("payload %s, want %v", ev.Payload, wantService)
			}
		})
	}
}

// A service without tags or metadata still has them in its payload, as [] and {}.
func TestServicePayloadEmptyTagsAndMetadata(t *testing.T) {
	img := serviceImage("service", "SERVICE#db-1")
	delete(img, "tags")
	delete(img, "metadata")
	feed := &fakeFeed{}
	handle(t, newProcessor(feed), rec("ev-1", "INSERT", img, nil))
	ev := oneAppend(t, feed, "ev-1", registry.EventServiceJoin)
	got := payloadOf(t, ev.Payload)
	if !reflect.DeepEqual(got["tags"], []any{}) || !reflect.DeepEqual(got["metadata"], map[string]any{}) {
		t.Fatalf("payload %s, want tags [] and metadata {}", ev.Payload)
	}
}

// Records that report nothing: updates, copies, heartbeats, timed-out
// services and items that belong to no tenant.
func TestRecordsWithoutEvent(t *testing.T) {
	svc := serviceImage("service", "SERVICE#db-1")
	link := serviceImage("service_link", "SESSION#sess-1#SERVICE#db-1")
	tag := serviceImage("service_tag", "TAG#primary#db-1")
	sess := sessionImage()
	beat := with(sess, "deadline", n("1900000010000"))
	token := image{"pk": s("TOKEN#abc"), "sk": s("TOKEN"), "kind": s("token"), "expires_at": n("1900000000")}
	quota := image{"pk": s("T#acme"), "sk": s("QUOTA"), "count_service": n("3")}
	cases := []struct {
		name string
		rec  events.DynamoDBEventRecord
	}{
		{"service modify", rec("e", "MODIFY", with(svc, "version", n("4")), svc)},
		{"service marked timed out", rec("e", "MODIFY", with(svc, "timed_out", b(true)), svc)},
		{"timed-out service removed", rec("e", "REMOVE", nil, with(svc, "timed_out", b(true)))},
		{"timed-out service removed by TTL", withIdentity(rec("e", "REMOVE", nil, with(svc, "timed_out", b(true))), ttlIdentity)},
		{"link insert", rec("e", "INSERT", link, nil)},
		{"link modify", rec("e", "MODIFY", with(link, "version", n("4")), link)},
		{"link remove", rec("e", "REMOVE", nil, link)},
		{"tag insert", rec("e", "INSERT", tag, nil)},
		{"tag remove", rec("e", "REMOVE", nil, tag)},
		{"session insert", rec("e", "INSERT", sess, nil)},
		{"session heartbeat", rec("e", "MODIFY", beat, sess)},
		{"session closed by client", rec("e", "REMOVE", nil, sess)},
		{"session removed by a user", withIdentity(rec("e", "REMOVE", nil, sess), &events.DynamoDBUserIdentity{Type: "User", PrincipalID: "dynamodb.amazonaws.com"})},
		{"session removed by another service", withIdentity(rec("e", "REMOVE", nil, sess), &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "lambda.amazonaws.com"})},
		{"token insert", rec("e", "INSERT", token, nil)},
		{"token removed by TTL", withIdentity(rec("e", "REMOVE", nil, token), ttlIdentity)},
		{"quota insert", rec("e", "INSERT", quota, nil)},
		{"quota modify", rec("e", "MODIFY", with(quota, "count_service", n("4")), quota)},
		{"service without tenant", rec("e", "INSERT", with(svc, "tenant", s("")), nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			feed := &fakeFeed{}
			resp := handle(t, newProcessor(feed), tc.rec)
			if len(resp.BatchItemFailures) != 0 || len(feed.appends) != 0 || len(feed.removed) != 0 {
				t.Fatalf("failures %+v, appends %+v, removed %+v; want none", resp.BatchItemFailures, feed.appends, feed.removed)
			}
		})
	}
}

func TestConfigurationEvents(t *testing.T) {
	cases := []struct {
		name string
		rec  events.DynamoDBEventRecord
		typ  registry.EventType
		want string // the payload, as JSON
	}{
		{
			"insert", rec("ev-1", "INSERT", configImage("v1"), nil), registry.EventConfigUpdate,
			`{"configuration_value_id":"app/db/url","old_value":null,"new_value":"v1"}`,
		},
		{
			"modify", rec("ev-2", "MODIFY", configImage("v2"), configImage("v1")), registry.EventConfigUpdate,
			`{"configuration_value_id":"app/db/url","old_value":"v1","new_value":"v2"}`,
		},
		{
			"modify to the same value", rec("ev-3", "MODIFY", configImage("v1"), configImage("v1")), registry.EventConfigUpdate,
			`{"configuration_value_id":"app/db/url","old_value":"v1","new_value":"v1"}`,
		},
		{
			"remove", rec("ev-4", "REMOVE", nil, configImage("v2")), registry.EventConfigRemove,
			`{"configuration_value_id":"app/db/url","old_value":"v2"}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			feed := &fakeFeed{}
			if resp := handle(t, newProcessor(feed), tc.rec); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures: %+v", resp.BatchItemFailures)
			}
			ev := oneAppend(t, feed, tc.rec.EventID, tc.typ)
			// Compare as generic JSON: key order is not the contract, but
			// every key (old_value: null included) and value is.
			var want map[string]any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if got := payloadOf(t, ev.Payload); !reflect.DeepEqual(got, want) {
				t.Fatalf("payload %s, want %s", ev.Payload, tc.want)
			}
		})
	}
}

func TestSessionRemovedByTTL(t *testing.T) {
	feed := &fakeFeed{}
	r := withIdentity(rec("ev-ttl", "REMOVE", nil, sessionImage()), ttlIdentity)
	if resp := handle(t, newProcessor(feed), r); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures: %+v", resp.BatchItemFailures)
	}
	if len(feed.appends) != 0 {
		t.Fatalf("the processor appended itself: %+v", feed.appends)
	}
	if len(feed.removed) != 1 {
		t.Fatalf("got %d TimeOutRemoved calls, want 1", len(feed.removed))
	}
	c := feed.removed[0]
	if c.tenant != "acme" || c.dedupKey != "ev-ttl" || !c.now.Equal(now) {
		t.Fatalf("TimeOutRemoved(%q, dedup %q, now %v), want (acme, ev-ttl, %v)", c.tenant, c.dedupKey, c.now, now)
	}
	want := map[string]types.AttributeValue{
		"pk":                &types.AttributeValueMemberS{Value: "T#acme"},
		"sk":                &types.AttributeValueMemberS{Value: "SESSION#sess-1"},
		"kind":              &types.AttributeValueMemberS{Value: "session"},
		"tenant":            &types.AttributeValueMemberS{Value: "acme"},
		"id":                &types.AttributeValueMemberS{Value: "sess-1"},
		"heartbeat_timeout": &types.AttributeValueMemberN{Value: "10"},
		"deadline":          &types.AttributeValueMemberN{Value: "1899999990000"},
		"metadata":          &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"host": &types.AttributeValueMemberS{Value: "db-1"}}},
		"token":             &types.AttributeValueMemberS{Value: "tok"},
		"exp_shard":         &types.AttributeValueMemberS{Value: "EXP#3"},
		"expires_at":        &types.AttributeValueMemberN{Value: "1900000000"},
	}
	if !reflect.DeepEqual(c.old, want) {
		t.Fatalf("old image\n got %#v\nwant %#v", c.old, want)
	}
}

// Every attribute type survives the conversion from the stream's
// representation to the SDK's, however deeply nested.
func TestAttributeConversion(t *testing.T) {
	old := sessionImage()
	old["nested"] = m(image{
		"list": l(n("1"), n("-2.5"), b(true), b(false), events.NewNullAttribute(), s(""),
			m(image{"deep": l(s("x"), l(n("3")))})),
		"empty_list": l(),
		"empty_map":  m(image{}),
		"null":       events.NewNullAttribute(),
		"bool":       b(false),
		"num":        n("12345678901234567890.5"),
	})
	old["bin"] = events.NewBinaryAttribute([]byte{0, 1, 2})
	old["ss"] = events.NewStringSetAttribute([]string{"a", "b"})
	old["ns"] = events.NewNumberSetAttribute([]string{"1", "2"})
	old["bs"] = events.NewBinarySetAttribute([][]byte{{1}, {2, 3}})

	feed := &fakeFeed{}
	handle(t, newProcessor(feed), withIdentity(rec("ev", "REMOVE", nil, old), ttlIdentity))
	if len(feed.removed) != 1 {
		t.Fatalf("got %d TimeOutRemoved calls, want 1", len(feed.removed))
	}
	got := feed.removed[0].old
	type av = types.AttributeValue
	want := map[string]av{
		"nested": &types.AttributeValueMemberM{Value: map[string]av{
			"list": &types.AttributeValueMemberL{Value: []av{
				&types.AttributeValueMemberN{Value: "1"},
				&types.AttributeValueMemberN{Value: "-2.5"},
				&types.AttributeValueMemberBOOL{Value: true},
				&types.AttributeValueMemberBOOL{Value: false},
				&types.AttributeValueMemberNULL{Value: true},
				&types.AttributeValueMemberS{Value: ""},
				&types.AttributeValueMemberM{Value: map[string]av{
					"deep": &types.AttributeValueMemberL{Value: []av{
						&types.AttributeValueMemberS{Value: "x"},
						&types.AttributeValueMemberL{Value: []av{&types.AttributeValueMemberN{Value: "3"}}},
					}},
				}},
			}},
			"empty_list": &types.AttributeValueMemberL{Value: []av{}},
			"empty_map":  &types.AttributeValueMemberM{Value: map[string]av{}},
			"null":       &types.AttributeValueMemberNULL{Value: true},
			"bool":       &types.AttributeValueMemberBOOL{Value: false},
			"num":        &types.AttributeValueMemberN{Value: "12345678901234567890.5"},
		}},
		"bin": &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
		"ss":  &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns":  &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
		"bs":  &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("attribute %q\n got %#v\nwant %#v", k, got[k], w)
		}
	}
	if len(got) != len(sessionImage())+len(want) {
		t.Errorf("converted image has %d attributes, want %d", len(got), len(sessionImage())+len(want))
	}
}

// Lambda hands the processor JSON; the records it decodes to are handled
// like the ones built in code.
func TestRecordsFromLambdaJSON(t *testing.T) {
	const batch = `{"Records": [
	  {"eventID": "j-1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
	   "dynamodb": {"SequenceNumber": "100", "StreamViewType": "NEW_AND_OLD_IMAGES",
	     "NewImage": {"pk": {"S": "T#acme"}, "sk": {"S": "SERVICE#web"}, "kind": {"S": "service"},
	       "tenant": {"S": "acme"}, "id": {"S": "web"}, "session_id": {"S": "s-9"},
	       "tags": {"L": [{"S": "blue"}]}, "metadata": {"M": {"zone": {"S": "a"}}}, "version": {"N": "1"}}}},
	  {"eventID": "j-2", "eventName": "REMOVE", "eventSource": "aws:dynamodb",
	   "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
	   "dynamodb": {"SequenceNumber": "200", "StreamViewType": "NEW_AND_OLD_IMAGES",
	     "OldImage": {"pk": {"S": "T#acme"}, "sk": {"S": "SESSION#s-9"}, "kind": {"S": "session"},
	       "tenant": {"S": "acme"}, "id": {"S": "s-9"}, "deadline": {"N": "5"}, "gone": {"NULL": true}}}}
	]}`
	var ev events.DynamoDBEvent
	if err := json.Unmarshal([]byte(batch), &ev); err != nil {
		t.Fatal(err)
	}
	feed := &fakeFeed{}
	resp, err := newProcessor(feed).Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle: %v, failures %+v", err, resp.BatchItemFailures)
	}
	if len(feed.appends) != 1 || feed.appends[0].dedupKey != "j-1" || feed.appends[0].events[0].Type != registry.EventServiceJoin {
		t.Fatalf("appends %+v, want one service.join under j-1", feed.appends)
	}
	want := `{"id":"web","session_id":"s-9","tags":["blue"],"metadata":{"zone":"a"}}`
	if got := string(feed.appends[0].events[0].Payload); got != want {
		t.Fatalf("payload %s, want %s", got, want)
	}
	if len(feed.removed) != 1 || feed.removed[0].dedupKey != "j-2" ||
		!reflect.DeepEqual(feed.removed[0].old["gone"], &types.AttributeValueMemberNULL{Value: true}) {
		t.Fatalf("removed %+v, want one TimeOutRemoved under j-2 with gone = NULL", feed.removed)
	}
}

func TestFailureStopsBatchAtFailingRecord(t *testing.T) {
	for _, failing := range []struct {
		name string
		rec  events.DynamoDBEventRecord
	}{
		{"append fails", rec("ev-2", "INSERT", configImage("v"), nil)},
		{"timeout of a TTL-removed session fails", withIdentity(rec("ev-2", "REMOVE", nil, sessionImage()), ttlIdentity)},
	} {
		t.Run(failing.name, func(t *testing.T) {
			feed := &fakeFeed{fail: map[string]error{"ev-2": registry.Unavailable(errors.New("throttled"))}}
			recs := []events.DynamoDBEventRecord{
				rec("ev-1", "INSERT", serviceImage("service", "SERVICE#db-1"), nil),
				failing.rec,
				rec("ev-3", "REMOVE", nil, serviceImage("service", "SERVICE#db-1")),
			}
			resp := handle(t, newProcessor(feed), recs...)
			want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: "seq-ev-2"}}
			if !reflect.DeepEqual(resp.BatchItemFailures, want) {
				t.Fatalf("failures %+v, want %+v (the sequence number, not the event id)", resp.BatchItemFailures, want)
			}
			seen := map[string]int{}
			for _, c := range feed.appends {
				seen[c.dedupKey]++
			}
			for _, c := range feed.removed {
				seen[c.dedupKey]++
			}
			if want := map[string]int{"ev-1": 1, "ev-2": 1}; !reflect.DeepEqual(seen, want) {
				t.Fatalf("calls per record %v, want %v (ev-3 must wait for the retry)", seen, want)
			}
		})
	}
}

// A record whose image cannot be decoded fails like a store error: it is
// reported, not dropped.
func TestUndecodableServiceIsReported(t *testing.T) {
	feed := &fakeFeed{}
	bad := with(serviceImage("service", "SERVICE#db-1"), "metadata", m(image{"port": n("5432")}))
	resp := handle(t, newProcessor(feed), rec("ev-1", "INSERT", bad, nil), rec("ev-2", "INSERT", configImage("v"), nil))
	if want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: "seq-ev-1"}}; !reflect.DeepEqual(resp.BatchItemFailures, want) {
		t.Fatalf("failures %+v, want %+v", resp.BatchItemFailures, want)
	}
	if len(feed.appends) != 0 {
		t.Fatalf("appends %+v, want none", feed.appends)
	}
}

func TestRedeliveryIsDone(t *testing.T) {
	for _, dupErr := range []error{dynamo.ErrDuplicate, fmt.Errorf("append: %w", dynamo.ErrDuplicate)} {
		t.Run(dupErr.Error(), func(t *testing.T) {
			feed := &fakeFeed{fail: map[string]error{"ev-1": dupErr}}
			resp := handle(t, newProcessor(feed),
				rec("ev-1", "INSERT", serviceImage("service", "SERVICE#db-1"), nil),
				rec("ev-2", "REMOVE", nil, configImage("v")))
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures %+v, want none: a duplicate was appended before", resp.BatchItemFailures)
			}
			if len(feed.appends) != 2 || feed.appends[1].dedupKey != "ev-2" {
				t.Fatalf("appends %+v, want ev-1 then ev-2", feed.appends)
			}
		})
	}
}

func TestEmptyBatch(t *testing.T) {
	feed := &fakeFeed{}
	resp := handle(t, newProcessor(feed))
	if len(resp.BatchItemFailures) != 0 || len(feed.appends) != 0 {
		t.Fatalf("failures %+v, appends %+v", resp.BatchItemFailures, feed.appends)
	}
}
