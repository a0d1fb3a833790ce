package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/registry"
)

// A session times out in two steps.
//
//  1. One transaction appends its services.timeout event and sets its
//     deadline to 0, on the condition that the deadline it had is the one
//     read, already passed, and that it still holds the services read. The
//     condition decides every race: two sweepers, a sweeper and the feed's
//     rectify, or a heartbeat, of which exactly one wins. A deadline of 0 is
//     dead for every reader and keeps the session in the expiry index.
//  2. Its services are deleted, each marked timed_out first so that the
//     stream processor does not report them as removed by a client, and then
//     the session. A crash in step 2 leaves a session with deadline 0 in the
//     expiry index; the next sweep finishes the job.

// SessionRef names a session.
type SessionRef struct {
	Tenant, ID string
}

// Timeout is what timing a session out did.
type Timeout struct {
	// Appended reports whether this call appended the services.timeout
	// event (exactly one call does, per session).
	Appended bool
	// Deadline is the deadline the session had.
	Deadline time.Time
	// Services is how many services it held.
	Services int
}

// ExpiredSessions returns up to limit sessions of one expiry shard whose
// deadline is at or before now, or, with a tenant, only that tenant's.
func (s *Store) ExpiredSessions(ctx context.Context, shard int, tenant string, now time.Time, limit int) ([]SessionRef, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(ExpiryIndex),
		KeyConditionExpression: aws.String("exp_shard = :shard AND deadline <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":shard": str("EXP#" + strconv.Itoa(shard)),
			":now":   num(ms(now)),
		},
		Limit: aws.Int32(int32(limit)),
	}
	if tenant != "" {
		in.FilterExpression = aws.String("pk = :pk")
		in.ExpressionAttributeValues[":pk"] = str(tenantKey(tenant))
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, storeErr("Query", err)
	}
	refs := make([]SessionRef, 0, len(out.Items))
	for _, m := range out.Items {
		it := &item{m: m}
		pk, sk := it.str("pk"), it.str("sk")
		t, ok1 := strings.CutPrefix(pk, "T#")
		id, ok2 := strings.CutPrefix(sk, sessionPrefix)
		if it.err != nil || !ok1 || !ok2 {
			continue // not a session: nothing else carries exp_shard
		}
		refs = append(refs, SessionRef{Tenant: t, ID: id})
	}
	return refs, nil
}

// TimeOut times out the session if it is dead at now: see the top of this
// file. It is safe to call any number of times, concurrently.
func (f *Feed) TimeOut(ctx context.Context, ref SessionRef, now time.Time) (Timeout, error) {
	for range maxWriteRetries {
		out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      &f.table,
			Key:            sessionKey(ref.Tenant, ref.ID),
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return Timeout{}, storeErr("GetItem", err)
		}
		if out.Item == nil {
			return Timeout{}, nil // gone: closed, or timed out and cleaned up
		}
		it := &item{m: out.Item}
		deadline, count := it.int("deadline"), it.int("service_count")
		if it.err != nil {
			return Timeout{}, it.err
		}
		if deadline > ms(now) {
			return Timeout{}, nil // alive: a heartbeat won
		}
		services, err := f.sessionServices(ctx, ref.Tenant, ref.ID)
		if err != nil {
			return Timeout{}, err
		}
		if deadline == 0 {
			// Timed out before; finish what that call may not have.
			return Timeout{Services: len(services)}, f.cleanUp(ctx, ref, services)
		}
		ev, err := timeoutEvent(services, now)
		if err != nil {
			return Timeout{}, err
		}
		countCond := "service_count = :count"
		values := map[string]types.AttributeValue{
			":deadline": num(deadline),
			":zero":     num(0),
			":now":      num(ms(now)),
		}
		if count == 0 {
			countCond = "(attribute_not_exists(service_count) OR service_count = :zero)"
		} else {
			values[":count"] = num(count)
		}
		err = f.Append(ctx, ref.Tenant, []*registry.Event{ev}, "", []types.TransactWriteItem{{Update: &types.Update{
			TableName:                 &f.table,
			Key:                       sessionKey(ref.Tenant, ref.ID),
			UpdateExpression:          aws.String("SET deadline = :zero, timed_out_at = :now"),
			ConditionExpression:       aws.String("deadline = :deadline AND " + countCond),
			ExpressionAttributeValues: values,
		}}})
		if errors.Is(err, ErrPrecondition) {
			continue // someone else timed it out, or it changed: look again
		}
		if err != nil {
			return Timeout{}, err
		}
		t := Timeout{Appended: true, Deadline: time.UnixMilli(deadline), Services: len(services)}
		return t, f.cleanUp(ctx, ref, services)
	}
	return Timeout{}, registry.Unavailable(errTooContended)
}

func timeoutEvent(services []*registry.Service, now time.Time) (*registry.Event, error) {
	payload := make([]registry.ServicePayload, 0, len(services))
	for _, svc := range services {
		payload = append(payload, registry.NewServicePayload(svc))
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return &registry.Event{Timestamp: now, Type: registry.EventServicesTimeout, Payload: raw}, nil
}

// cleanUp deletes a timed-out session's services and then the session.
func (f *Feed) cleanUp(ctx context.Context, ref SessionRef, services []*registry.Service) error {
	for _, svc := range services {
		if err := f.deleteTimedOut(ctx, ref.Tenant, svc); err != nil {
			return err
		}
	}
	err := f.transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName:                 &f.table,
			Key:                       sessionKey(ref.Tenant, ref.ID),
			ConditionExpression:       aws.String("deadline = :zero"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":zero": num(0)},
		}},
		f.quotaDecrement(ref.Tenant, registry.ResourceSession, 1),
	})
	if reasons := cancellation(err); len(reasons) == 2 && failedCondition(reasons[0]) {
		return nil // already deleted by a concurrent clean-up
	}
	if err != nil {
		return storeErr("TransactWriteItems", err)
	}
	return nil
}

// deleteTimedOut marks a service timed out, then deletes all its copies.
func (f *Feed) deleteTimedOut(ctx context.Context, tenant string, svc *registry.Service) error {
	_, err := f.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &f.table,
		Key:                       key(tenant, serviceSK(svc.ID)),
		UpdateExpression:          aws.String("SET timed_out = :true"),
		ConditionExpression:       aws.String("session_id = :sid"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":true": &types.AttributeValueMemberBOOL{Value: true}, ":sid": str(svc.SessionID)},
	})
	if _, ok := conditionFailed(err); ok {
		return nil // already deleted by a concurrent clean-up
	}
	if err != nil {
		return storeErr("UpdateItem", err)
	}
	items := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName:           &f.table,
		Key:                 key(tenant, serviceSK(svc.ID)),
		ConditionExpression: aws.String("attribute_exists(timed_out)"),
	}}}
	items = append(items, f.otherCopyDeletes(tenant, svc)...)
	items = append(items, f.quotaDecrement(tenant, registry.ResourceService, 1))
	err = f.transact(ctx, items)
	if reasons := cancellation(err); len(reasons) == len(items) && failedCondition(reasons[0]) {
		return nil // already deleted by a concurrent clean-up
	}
	if err != nil {
		return storeErr("TransactWriteItems", err)
	}
	return nil
}

// TimeOutRemoved handles a session that DynamoDB's TTL deleted, the backstop
// for when no sweeper timed it out: given the deleted item, it appends the
// services.timeout event (unless a sweeper already had) and deletes the
// services. dedupKey names the stream record, so a redelivery does nothing
// twice.
func (f *Feed) TimeOutRemoved(ctx context.Context, tenant string, old map[string]types.AttributeValue, dedupKey string, now time.Time) error {
	sess, err := decodeSession(old)
	if err != nil {
		return err
	}
	services, err := f.sessionServices(ctx, tenant, sess.ID)
	if err != nil {
		return err
	}
	var evs []*registry.Event
	// A deadline of 0 means a sweeper timed it out (and appended) already.
	if (&item{m: old}).int("deadline") != 0 {
		ev, err := timeoutEvent(services, now)
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	// The TTL delete gave no quota back; this append does, once.
	extra := []types.TransactWriteItem{f.quotaDecrement(tenant, registry.ResourceSession, 1)}
	err = f.Append(ctx, tenant, evs, dedupKey, extra)
	if err != nil && !errors.Is(err, ErrDuplicate) {
		return err
	}
	for _, svc := range services {
		if err := f.deleteTimedOut(ctx, tenant, svc); err != nil {
			return err
		}
	}
	return nil
}

// Rectify times out the tenant's sessions that are dead at now, so that a
// reader of the feed never sees it behind the truth, whatever the sweeper's
// schedule. It costs one Query per expiry shard (run in parallel), reading
// only sessions already expired.
func (f *Feed) Rectify(ctx context.Context, tenant string, now time.Time) error {
	errs := make([]error, ExpiryShards)
	var wg sync.WaitGroup
	for shard := range ExpiryShards {
		wg.Go(func() {
			refs, err := f.ExpiredSessions(ctx, shard, tenant, now, 100)
			for _, ref := range refs {
				if err != nil {
					break
				}
				_, err = f.TimeOut(ctx, ref, now)
			}
			errs[shard] = err
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
