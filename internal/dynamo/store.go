// Package dynamo is the DynamoDB registry store.
//
// One table holds every tenant's objects. The partition key scopes every item
// to its tenant, the sort key names its kind and id:
//
//	pk = "T#<tenant>"  sk = "SESSION#<id>"   a session
//	pk = "TOKEN#<sha256>" sk = "TOKEN"        an API token (see auth)
//
// Sessions also carry an expiry-index key: exp_shard ("EXP#0".."EXP#15", a
// hash of tenant and id) with the deadline as sort key, so that finding the
// sessions that expired is a Query per shard, never a Scan.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/registry"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// ExpiryShards is how many partitions the expiry index spreads sessions
// over, so that no single index partition takes every heartbeat.
const ExpiryShards = 16

// ExpiryIndex is the name of the global secondary index keyed by
// (exp_shard, deadline).
const ExpiryIndex = "expiry"

// backstop is how long after its latest possible deadline a session item is
// left for DynamoDB TTL to delete, should every sweeper fail. TTL is never the
// timeout mechanism: it runs minutes to days late.
const backstop = 24 * time.Hour

// Store is the DynamoDB registry store. It is safe for concurrent use.
type Store struct {
	db    API
	table string
	// rateSeen remembers, per tenant, the second this instance last
	// counted a request in, to guess the request counter's window.
	rateSeen sync.Map
}

var (
	_ registry.SessionStore = (*Store)(nil)
	_ registry.ServiceStore = (*Store)(nil)
	_ registry.AccountStore = (*Store)(nil)
	_ registry.RateLimiter  = (*Store)(nil)
)

// New returns a store over the given table.
func New(db API, table string) *Store {
	return &Store{db: db, table: table}
}

func tenantKey(tenant string) string { return "T#" + tenant }

// Every item names its kind, so that readers of mixed ranges (and of the
// table's stream) can tell them apart without parsing keys.
const (
	kindSession     = "session"
	kindService     = "service"      // the service itself, by id
	kindServiceLink = "service_link" // a copy under its session
	kindServiceTag  = "service_tag"  // a copy under each of its tags
	kindConfig      = "configuration_value"
)

const sessionPrefix = "SESSION#"

func sessionKey(tenant, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": str(tenantKey(tenant)),
		"sk": str(sessionPrefix + id),
	}
}

func expiryShard(tenant, id string) string {
	h := fnv.New32a()
	h.Write([]byte(tenant))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return "EXP#" + strconv.Itoa(int(h.Sum32()%ExpiryShards))
}

// expiresAt is the TTL backstop for a session alive at now: past any
// deadline a heartbeat at now could set.
func expiresAt(now time.Time) int64 {
	return now.Add(registry.MaxHeartbeatTimeout*time.Second + backstop).Unix()
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// storeErr turns an SDK error into an unavailable-store error; the SDK has
// already retried what was worth retrying.
func storeErr(op string, err error) error {
	return registry.Unavailable(fmt.Errorf("dynamodb %s: %w", op, err))
}

func conditionFailed(err error) (*types.ConditionalCheckFailedException, bool) {
	var ccf *types.ConditionalCheckFailedException
	ok := errors.As(err, &ccf)
	return ccf, ok
}

// aliveCondition holds for a session item that exists and whose deadline is
// after :now.
const aliveCondition = "attribute_exists(pk) AND deadline > :now"

func (s *Store) CreateSession(ctx context.Context, tenant string, in *registry.Session) error {
	item := map[string]types.AttributeValue{
		"pk":                str(tenantKey(tenant)),
		"sk":                str(sessionPrefix + in.ID),
		"kind":              str(kindSession),
		"id":                str(in.ID),
		"tenant":            str(tenant),
		"heartbeat_timeout": num(int64(in.HeartbeatTimeout)),
		"timeout_ms":        num(int64(in.HeartbeatTimeout) * 1000),
		"metadata":          metadataValue(in.Metadata),
		"deadline":          num(ms(in.Deadline)),
		"token":             str(in.Token),
		"exp_shard":         str(expiryShard(tenant, in.ID)),
		"expires_at":        num(expiresAt(in.Deadline)),
	}
	err := s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{
			TableName:                           &s.table,
			Item:                                item,
			ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		s.quotaIncrement(tenant, registry.ResourceSession),
	})
	if reasons := cancellation(err); len(reasons) == 2 {
		switch {
		case failedCondition(reasons[0]):
			// The SDK retries a write whose answer was lost; if the first
			// try landed, the item in the way is this very session (its
			// token is 256 random bits), and the create succeeded.
			if tok, _ := reasons[0].Item["token"].(*types.AttributeValueMemberS); tok != nil && tok.Value == in.Token {
				return nil
			}
			return registry.ErrExists
		case failedCondition(reasons[1]):
			return registry.LimitReached(registry.ResourceSession, limitOf(reasons[1].Item, registry.ResourceSession))
		}
	}
	if err != nil {
		return storeErr("TransactWriteItems", err)
	}
	return nil
}

func (s *Store) GetSession(ctx context.Context, tenant, id string, now time.Time) (*registry.Session, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            sessionKey(tenant, id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, storeErr("GetItem", err)
	}
	if out.Item == nil {
		return nil, registry.NotFound("session", id)
	}
	sess, err := decodeSession(out.Item)
	if err != nil {
		return nil, err
	}
	if !sess.AliveAt(now) {
		return nil, registry.NotFound("session", id)
	}
	return sess, nil
}

func (s *Store) ListSessions(ctx context.Context, tenant string, page registry.PageRequest, now time.Time) (registry.Page[*registry.Session], error) {
	var out registry.Page[*registry.Session]
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		// The range also holds each session's service links; keep sessions.
		FilterExpression:         aws.String("#kind = :session AND deadline > :now"),
		ExpressionAttributeNames: map[string]string{"#kind": "kind"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":      str(tenantKey(tenant)),
			":from":    str(sessionPrefix + page.Marker),
			":to":      str(sessionPrefix + "~"), // '~' sorts after every id character
			":now":     num(ms(now)),
			":session": str(kindSession),
		},
		ConsistentRead: aws.Bool(true),
		// One more than the page, to learn the next page's first id.
		Limit: aws.Int32(int32(page.Limit + 1)),
	}
	// The filter drops dead sessions after the read, so a read may return
	// fewer than asked for; keep reading until the page is full or the
	// sessions run out.
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return out, storeErr("Query", err)
		}
		for _, item := range res.Items {
			sess, err := decodeSession(item)
			if err != nil {
				return out, err
			}
			if len(out.Items) == page.Limit {
				out.Next = sess.ID
				return out, nil
			}
			out.Items = append(out.Items, sess)
		}
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func (s *Store) UpdateSession(ctx context.Context, tenant, id string, in registry.SessionInput, now time.Time) error {
	update := "SET"
	values := map[string]types.AttributeValue{":now": num(ms(now))}
	sep := " "
	if in.HeartbeatTimeout != nil {
		update += sep + "heartbeat_timeout = :hb, timeout_ms = :ms"
		values[":hb"] = num(int64(*in.HeartbeatTimeout))
		values[":ms"] = num(int64(*in.HeartbeatTimeout) * 1000)
		sep = ", "
	}
	if in.HasMetadata {
		update += sep + "metadata = :md"
		values[":md"] = metadataValue(in.Metadata)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       sessionKey(tenant, id),
		UpdateExpression:          &update,
		ConditionExpression:       aws.String(aliveCondition),
		ExpressionAttributeValues: values,
	})
	if _, ok := conditionFailed(err); ok {
		return registry.NotFound("session", id)
	}
	if err != nil {
		return storeErr("UpdateItem", err)
	}
	return nil
}

// Heartbeat is one conditional write in the common case: the presented token
// is current, and the write rotates it and extends the deadline at once. Only
// a retry with the just-replaced token takes a second write. Conditions on
// the token decide every race: of two heartbeats presenting the same token,
// exactly one rotates it and the other is answered as a retry.
func (s *Store) Heartbeat(ctx context.Context, tenant, id, token, next string, now time.Time) (string, error) {
	values := map[string]types.AttributeValue{
		":now":     num(ms(now)),
		":token":   str(token),
		":next":    str(next),
		":expires": num(expiresAt(now)),
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table,
		Key:       sessionKey(tenant, id),
		UpdateExpression: aws.String("SET prev_token = #token, #token = :next, " +
			"last_seen = :now, deadline = :now + timeout_ms, expires_at = :expires"),
		ConditionExpression:                 aws.String(aliveCondition + " AND #token = :token"),
		ExpressionAttributeNames:            map[string]string{"#token": "token"},
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return next, nil
	}
	ccf, ok := conditionFailed(err)
	if !ok {
		return "", storeErr("UpdateItem", err)
	}
	old, err := decodeSession(ccf.Item)
	if ccf.Item == nil || err != nil || !old.AliveAt(now) {
		return "", registry.NotFound("session", id)
	}
	if prev, _ := ccf.Item["prev_token"].(*types.AttributeValueMemberS); prev == nil || prev.Value != token {
		return "", registry.ErrInvalidToken
	}
	// A retry of a heartbeat whose answer was lost: extend the deadline and
	// hand back the current token, provided nothing rotated it since.
	values[":current"] = str(old.Token)
	delete(values, ":next")
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.table,
		Key:                                 sessionKey(tenant, id),
		UpdateExpression:                    aws.String("SET last_seen = :now, deadline = :now + timeout_ms, expires_at = :expires"),
		ConditionExpression:                 aws.String(aliveCondition + " AND prev_token = :token AND #token = :current"),
		ExpressionAttributeNames:            map[string]string{"#token": "token"},
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return old.Token, nil
	}
	ccf, ok = conditionFailed(err)
	if !ok {
		return "", storeErr("UpdateItem", err)
	}
	// Something changed between the two writes: the session died, or another
	// heartbeat rotated the token again, which makes this one two behind.
	if cur, err := decodeSession(ccf.Item); ccf.Item == nil || err != nil || !cur.AliveAt(now) {
		return "", registry.NotFound("session", id)
	}
	return "", registry.ErrInvalidToken
}

// DeleteSession closes a session gracefully: it deletes the services the
// session holds, one transaction each, then the session itself on the
// condition that it holds none, so that a service created during the close
// is deleted too rather than left behind.
func (s *Store) DeleteSession(ctx context.Context, tenant, id string, now time.Time) error {
	for range maxWriteRetries {
		services, err := s.sessionServices(ctx, tenant, id)
		if err != nil {
			return err
		}
		for _, svc := range services {
			// Not found: deleted meanwhile, or the session died, which the
			// delete below finds out.
			if err := s.DeleteService(ctx, tenant, svc.ID, now); err != nil && !errors.Is(err, registry.ErrNotFound) {
				return err
			}
		}
		err = s.transact(ctx, []types.TransactWriteItem{
			{Delete: &types.Delete{
				TableName:           &s.table,
				Key:                 sessionKey(tenant, id),
				ConditionExpression: aws.String(aliveCondition + " AND (attribute_not_exists(service_count) OR service_count = :zero)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":now":  num(ms(now)),
					":zero": num(0),
				},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}},
			s.quotaDecrement(tenant, registry.ResourceSession, 1),
		})
		reasons := cancellation(err)
		switch {
		case err == nil:
			return nil
		case len(reasons) != 2 || !failedCondition(reasons[0]):
			return storeErr("TransactWriteItems", err)
		}
		if old, derr := decodeSession(reasons[0].Item); reasons[0].Item == nil || derr != nil || !old.AliveAt(now) {
			return registry.NotFound("session", id)
		}
		// A service was added since we read the links: go round again.
	}
	return registry.Unavailable(errTooContended)
}
