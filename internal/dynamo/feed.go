package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/registry"
)

// The events table holds each tenant's feed in its own partition:
//
//	pk = "T#<tenant>"  sk = "SEQ"           the last sequence number given out
//	pk = "T#<tenant>"  sk = "E#<16 hex>"    an event; the hex is its sequence number
//	pk = "DEDUP#<key>" sk = "DEDUP"         a marker that an append was made
//
// Every append is one transaction that moves SEQ from the value it read to
// that value plus the number of events, and puts the events under the
// numbers in between. Transactions on SEQ are serialised by its condition,
// so numbers are dense and an event becomes visible only with every event
// before it: a reader that resumes from the number after the last it saw
// never skips one, whatever runs concurrently. The event id is the hex
// number itself: fixed width, so ids sort as numbers do.
//
// A local secondary index on ts finds where the last hour starts.
const (
	seqSK       = "SEQ"
	eventPrefix = "E#"
	// TimeIndex is the events table's index on (pk, ts).
	TimeIndex = "by_time"
	// dedupTTL keeps append markers past the longest a stream redelivers
	// (24 h of retention).
	dedupTTL = 48 * time.Hour
)

// Feed appends to and reads from the events table. Timeouts also change the
// registry table, so a Feed wraps the registry Store.
type Feed struct {
	*Store
	events    string
	retention time.Duration
}

// NewFeed returns a feed over the events table, keeping events for
// retention.
func NewFeed(store *Store, eventsTable string, retention time.Duration) *Feed {
	return &Feed{Store: store, events: eventsTable, retention: retention}
}

// EventID formats a sequence number as an event id.
func EventID(seq int64) string { return fmt.Sprintf("%016x", seq) }

// ParseEventID reads an event id back, reporting whether it is one.
func ParseEventID(id string) (int64, bool) {
	if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
		return 0, false // one spelling per id: EventID's
	}
	n, err := strconv.ParseUint(id, 16, 63)
	return int64(n), err == nil
}

// ValidEventID reports whether id can be an event id.
func (f *Feed) ValidEventID(id string) bool {
	_, ok := ParseEventID(id)
	return ok
}

// ErrDuplicate reports an append whose dedup key was already used: it was
// made before, and nothing was appended now.
var ErrDuplicate = errors.New("already appended")

// ErrPrecondition reports an append whose extra transaction items' conditions
// did not hold; nothing was appended.
var ErrPrecondition = errors.New("append precondition failed")

// Append adds events to the tenant's feed in one transaction together with
// extra (writes or condition checks elsewhere that must hold for the events
// to be true). A non-empty dedupKey makes the append happen at most once:
// a second append under it returns ErrDuplicate.
func (f *Feed) Append(ctx context.Context, tenant string, evs []*registry.Event, dedupKey string, extra []types.TransactWriteItem) error {
	for attempt := 0; ; attempt++ {
		var seq int64
		if len(evs) > 0 {
			var err error
			if seq, err = f.lastSeq(ctx, tenant); err != nil {
				return err
			}
		}
		var items []types.TransactWriteItem
		if len(evs) > 0 {
			items = append(items, f.seqAdvance(tenant, seq, int64(len(evs))))
		}
		for i, ev := range evs {
			ev.ID = EventID(seq + int64(i) + 1)
			items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &f.events, Item: f.eventItem(tenant, ev)}})
		}
		if dedupKey != "" {
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName: &f.events,
				Item: map[string]types.AttributeValue{
					"pk":         str("DEDUP#" + dedupKey),
					"sk":         str("DEDUP"),
					"expires_at": num(time.Now().Add(dedupTTL).Unix()),
				},
				ConditionExpression: aws.String("attribute_not_exists(pk)"),
			}})
		}
		nExtra := len(items)
		items = append(items, extra...)
		err := f.transact(ctx, items)
		reasons := cancellation(err)
		switch {
		case err == nil:
			return nil
		case len(reasons) != len(items):
			return storeErr("TransactWriteItems", err)
		case dedupKey != "" && failedCondition(reasons[nExtra-1]):
			return ErrDuplicate
		case anyFailed(reasons[nExtra:]):
			return ErrPrecondition
		case len(evs) > 0 && failedCondition(reasons[0]) && attempt < 20:
			// Another append took the next number first: read it again.
			if err := backoff(ctx, min(attempt, 3)); err != nil {
				return storeErr("TransactWriteItems", err)
			}
			continue
		}
		return storeErr("TransactWriteItems", err)
	}
}

func anyFailed(reasons []types.CancellationReason) bool {
	for _, r := range reasons {
		if failedCondition(r) {
			return true
		}
	}
	return false
}

func (f *Feed) lastSeq(ctx context.Context, tenant string) (int64, error) {
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &f.events,
		Key:            key(tenant, seqSK),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, storeErr("GetItem", err)
	}
	it := &item{m: out.Item}
	return it.int("seq"), it.err
}

// seqAdvance moves the tenant's sequence from seq to seq+n, on the condition
// that it still is seq.
func (f *Feed) seqAdvance(tenant string, seq, n int64) types.TransactWriteItem {
	cond := "seq = :seq"
	if seq == 0 {
		cond = "attribute_not_exists(seq)"
	}
	values := map[string]types.AttributeValue{":next": num(seq + n)}
	if seq != 0 {
		values[":seq"] = num(seq)
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 &f.events,
		Key:                       key(tenant, seqSK),
		UpdateExpression:          aws.String("SET seq = :next"),
		ConditionExpression:       &cond,
		ExpressionAttributeValues: values,
	}}
}

func (f *Feed) eventItem(tenant string, ev *registry.Event) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":         str(tenantKey(tenant)),
		"sk":         str(eventPrefix + ev.ID),
		"id":         str(ev.ID),
		"ts":         num(ms(ev.Timestamp)),
		"type":       str(string(ev.Type)),
		"payload":    str(string(ev.Payload)),
		"expires_at": num(ev.Timestamp.Add(f.retention).Unix()),
	}
}

func decodeEvent(m map[string]types.AttributeValue) (*registry.Event, error) {
	it := &item{m: m}
	ev := &registry.Event{
		ID:        it.str("id"),
		Timestamp: it.time("ts"),
		Type:      registry.EventType(it.str("type")),
		Payload:   []byte(it.str("payload")),
	}
	return ev, it.err
}

// Head is the id the feed's next event will have.
func (f *Feed) Head(ctx context.Context, tenant string) (string, error) {
	seq, err := f.lastSeq(ctx, tenant)
	return EventID(seq + 1), err
}

// Since returns the id of the first event at or after t, or the head if
// there is none.
func (f *Feed) Since(ctx context.Context, tenant string, t time.Time) (string, error) {
	out, err := f.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &f.events,
		IndexName:              aws.String(TimeIndex),
		KeyConditionExpression: aws.String("pk = :pk AND ts >= :ts"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantKey(tenant)),
			":ts": num(ms(t)),
		},
		ConsistentRead: aws.Bool(true),
		Limit:          aws.Int32(1),
	})
	if err != nil {
		return "", storeErr("Query", err)
	}
	if len(out.Items) == 0 {
		return f.Head(ctx, tenant)
	}
	// The index projects keys only; the table's sort key holds the id.
	it := &item{m: out.Items[0]}
	return strings.TrimPrefix(it.str("sk"), eventPrefix), it.err
}

// Read returns up to req.Limit events from req.From on, of req.Type if set.
// Next is the id after the last event read (matching or not), so that
// filtering never makes a consumer read the same events again.
func (f *Feed) Read(ctx context.Context, tenant string, req registry.FeedRequest) (registry.FeedPage, error) {
	from, ok := ParseEventID(req.From)
	if !ok {
		return registry.FeedPage{}, registry.Errorf(registry.KindInvalid, "marker is not an event id.")
	}
	page := registry.FeedPage{Next: req.From}
	in := &dynamodb.QueryInput{
		TableName:              &f.events,
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   str(tenantKey(tenant)),
			":from": str(eventPrefix + EventID(from)),
			":to":   str(eventPrefix + "~"),
		},
		ConsistentRead: aws.Bool(true),
		Limit:          aws.Int32(int32(req.Limit)),
	}
	for {
		res, err := f.db.Query(ctx, in)
		if err != nil {
			return page, storeErr("Query", err)
		}
		for _, m := range res.Items {
			ev, err := decodeEvent(m)
			if err != nil {
				return page, err
			}
			if req.Type == "" || ev.Type == req.Type {
				page.Events = append(page.Events, ev)
			}
			seq, _ := ParseEventID(ev.ID)
			page.Next = EventID(seq + 1)
		}
		page.More = res.LastEvaluatedKey != nil
		// Without a filter a page is one Query. With one, keep reading until
		// something matched or the feed ends, so a consumer is not sent
		// empty pages while matching events wait further on.
		if !page.More || len(page.Events) > 0 {
			return page, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
