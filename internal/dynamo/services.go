package dynamo

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/registry"
)

// A service is stored as several copies in its tenant's partition, each
// serving one access pattern with a single Query or GetItem:
//
//	sk = "SERVICE#<id>"                    by id: GET /services/{id}, GET /services
//	sk = "SESSION#<sid>#SERVICE#<id>"      under its session: the overview, closing
//	                                       and timing out a session
//	sk = "TAG#<len>#<tag>#<id>"            under each tag: GET /services?tag=
//
// A session's links sort right after the session itself (ids have no
// character below '#'), so one Query of the SESSION# range reads sessions
// with their services in order. Tags can hold any character, so the tag's
// byte length goes before it: no tag's key range can contain another's.
//
// Every write of a service is one transaction over all its copies, the
// session (for liveness and its service count) and the tenant's quota, so
// the copies never disagree and a service never outlives its session's
// closing. The session's service_count lets the close make sure that no
// service is left behind.
const (
	servicePrefix = "SERVICE#"
	tagPrefix     = "TAG#"
)

func serviceSK(id string) string { return servicePrefix + id }

func linkPrefix(sessionID string) string { return sessionPrefix + sessionID + "#" + servicePrefix }

func linkSK(sessionID, id string) string { return linkPrefix(sessionID) + id }

func tagKeyPrefix(tag string) string { return tagPrefix + strconv.Itoa(len(tag)) + "#" + tag + "#" }

func tagSK(tag, id string) string { return tagKeyPrefix(tag) + id }

func key(tenant, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(tenantKey(tenant)), "sk": str(sk)}
}

// serviceItem is one copy of svc under sort key sk.
func serviceItem(tenant, sk, kind string, svc *registry.Service, nonce string) map[string]types.AttributeValue {
	tags := make([]types.AttributeValue, len(svc.Tags))
	for i, t := range svc.Tags {
		tags[i] = str(t)
	}
	item := map[string]types.AttributeValue{
		"pk":         str(tenantKey(tenant)),
		"sk":         str(sk),
		"kind":       str(kind),
		"tenant":     str(tenant),
		"id":         str(svc.ID),
		"session_id": str(svc.SessionID),
		"tags":       &types.AttributeValueMemberL{Value: tags},
		"metadata":   metadataValue(svc.Metadata),
		"version":    num(svc.Version),
	}
	if nonce != "" {
		item["nonce"] = str(nonce)
	}
	return item
}

// DecodeService reads a service from any of its items (or a stream image).
func DecodeService(m map[string]types.AttributeValue) (*registry.Service, error) {
	it := &item{m: m}
	svc := &registry.Service{
		ID:        it.str("id"),
		SessionID: it.str("session_id"),
		Tags:      it.strings("tags"),
		Metadata:  it.metadata("metadata"),
		Version:   it.int("version"),
	}
	return svc, it.err
}

// copies returns the puts that write every copy of svc.
func (s *Store) copies(tenant string, svc *registry.Service, nonce string) []types.TransactWriteItem {
	puts := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: serviceItem(tenant, serviceSK(svc.ID), kindService, svc, nonce)}},
		{Put: &types.Put{TableName: &s.table, Item: serviceItem(tenant, linkSK(svc.SessionID, svc.ID), kindServiceLink, svc, "")}},
	}
	for _, t := range svc.Tags {
		puts = append(puts, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: serviceItem(tenant, tagSK(t, svc.ID), kindServiceTag, svc, "")}})
	}
	return puts
}

// deletes returns the deletes of every copy of svc but the first.
func (s *Store) otherCopyDeletes(tenant string, svc *registry.Service) []types.TransactWriteItem {
	dels := []types.TransactWriteItem{{Delete: &types.Delete{TableName: &s.table, Key: key(tenant, linkSK(svc.SessionID, svc.ID))}}}
	for _, t := range svc.Tags {
		dels = append(dels, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(tenant, tagSK(t, svc.ID))}})
	}
	return dels
}

// sessionServiceCount is the transaction item that moves the session's
// service count by delta, on the condition that the session is alive.
func (s *Store) sessionServiceCount(tenant, sessionID string, delta int, now time.Time) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:           &s.table,
		Key:                 sessionKey(tenant, sessionID),
		UpdateExpression:    aws.String("ADD service_count :delta"),
		ConditionExpression: aws.String(aliveCondition),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":delta": num(int64(delta)),
			":now":   num(ms(now)),
		},
	}}
}

func (s *Store) CreateService(ctx context.Context, tenant string, svc *registry.Service, now time.Time) error {
	svc.Version = 1
	svc.Tags = registry.DedupTags(svc.Tags)
	// The nonce tells this create from any other under the same id: a
	// retried transaction whose first try landed finds its own nonce.
	nonce := registry.NewToken()
	items := []types.TransactWriteItem{s.sessionServiceCount(tenant, svc.SessionID, 1, now)}
	items = append(items, s.copies(tenant, svc, nonce)...)
	items[1].Put.ConditionExpression = aws.String("attribute_not_exists(pk)")
	items[1].Put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	items = append(items, s.quotaIncrement(tenant, registry.ResourceService))

	err := s.transact(ctx, items)
	reasons := cancellation(err)
	switch {
	case err == nil:
		return nil
	case len(reasons) != len(items):
		return storeErr("TransactWriteItems", err)
	case failedCondition(reasons[0]):
		return registry.NotFound("session", svc.SessionID)
	case failedCondition(reasons[1]):
		if n, _ := reasons[1].Item["nonce"].(*types.AttributeValueMemberS); n != nil && n.Value == nonce {
			return nil
		}
		return &registry.Error{Kind: registry.KindExists, Message: "A service with this id already exists.",
			Details: "service " + svc.ID}
	case failedCondition(reasons[len(reasons)-1]):
		return registry.LimitReached(registry.ResourceService, limitOf(reasons[len(reasons)-1].Item, registry.ResourceService))
	}
	return storeErr("TransactWriteItems", err)
}

// readService reads a service by id, alive or not.
func (s *Store) readService(ctx context.Context, tenant, id string) (*registry.Service, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            key(tenant, serviceSK(id)),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, storeErr("GetItem", err)
	}
	if out.Item == nil {
		return nil, registry.NotFound("service", id)
	}
	return DecodeService(out.Item)
}

func (s *Store) GetService(ctx context.Context, tenant, id string, now time.Time) (*registry.Service, error) {
	svc, err := s.readService(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	alive, err := s.aliveSessions(ctx, tenant, []string{svc.SessionID}, now)
	if err != nil {
		return nil, err
	}
	if !alive[svc.SessionID] {
		return nil, registry.NotFound("service", id)
	}
	return svc, nil
}

// aliveSessions tells which of the given sessions are alive at now, in one
// BatchGetItem per hundred sessions.
func (s *Store) aliveSessions(ctx context.Context, tenant string, ids []string, now time.Time) (map[string]bool, error) {
	alive := map[string]bool{}
	for start := 0; start < len(ids); start += 100 {
		keys := make([]map[string]types.AttributeValue, 0, 100)
		for _, id := range ids[start:min(start+100, len(ids))] {
			keys = append(keys, sessionKey(tenant, id))
		}
		req := map[string]types.KeysAndAttributes{s.table: {
			Keys:                 keys,
			ConsistentRead:       aws.Bool(true),
			ProjectionExpression: aws.String("id, deadline"),
		}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return nil, storeErr("BatchGetItem", err)
				}
			}
			out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, storeErr("BatchGetItem", err)
			}
			for _, m := range out.Responses[s.table] {
				it := &item{m: m}
				if id, deadline := it.str("id"), it.int("deadline"); it.err == nil && deadline > ms(now) {
					alive[id] = true
				}
			}
			req = out.UnprocessedKeys
		}
	}
	return alive, nil
}

// backoff waits before the attempt-th retry of unprocessed work.
func backoff(ctx context.Context, attempt int) error {
	if attempt > 8 {
		return context.DeadlineExceeded
	}
	t := time.NewTimer(time.Duration(1<<min(attempt, 6)) * 5 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *Store) ListServices(ctx context.Context, tenant, tag string, page registry.PageRequest, now time.Time) (registry.Page[*registry.Service], error) {
	prefix := servicePrefix
	if tag != "" {
		prefix = tagKeyPrefix(tag)
	}
	var out registry.Page[*registry.Service]
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   str(tenantKey(tenant)),
			":from": str(prefix + page.Marker),
			":to":   str(prefix + "~"), // '~' sorts after every id character
		},
		ConsistentRead: aws.Bool(true),
		Limit:          aws.Int32(int32(page.Limit + 1)),
	}
	// Services of dead sessions are dropped after the read, so keep reading
	// until the page is full or the services run out.
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return out, storeErr("Query", err)
		}
		services := make([]*registry.Service, 0, len(res.Items))
		var sessions []string
		seen := map[string]bool{}
		for _, m := range res.Items {
			svc, err := DecodeService(m)
			if err != nil {
				return out, err
			}
			services = append(services, svc)
			if !seen[svc.SessionID] {
				seen[svc.SessionID] = true
				sessions = append(sessions, svc.SessionID)
			}
		}
		alive, err := s.aliveSessions(ctx, tenant, sessions, now)
		if err != nil {
			return out, err
		}
		for _, svc := range services {
			if !alive[svc.SessionID] {
				continue
			}
			if len(out.Items) == page.Limit {
				out.Next = svc.ID
				return out, nil
			}
			out.Items = append(out.Items, svc)
		}
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// maxWriteRetries bounds how often a write re-reads and tries again when a
// concurrent write got in first.
const maxWriteRetries = 5

func (s *Store) UpdateService(ctx context.Context, tenant, id string, in registry.ServiceInput, now time.Time) error {
	return s.rewriteService(ctx, tenant, id, func(old *registry.Service) []types.TransactWriteItem {
		svc := *old
		svc.Version++
		if in.HasTags {
			svc.Tags = registry.DedupTags(in.Tags)
		}
		if in.HasMetadata {
			svc.Metadata = in.Metadata
		}
		items := []types.TransactWriteItem{{ConditionCheck: &types.ConditionCheck{
			TableName:                 &s.table,
			Key:                       sessionKey(tenant, svc.SessionID),
			ConditionExpression:       aws.String(aliveCondition),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(ms(now))},
		}}}
		items = append(items, s.copies(tenant, &svc, "")...)
		items[1].Put.ConditionExpression = aws.String("version = :v")
		items[1].Put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(old.Version)}
		kept := map[string]bool{}
		for _, t := range svc.Tags {
			kept[t] = true
		}
		for _, t := range old.Tags {
			if !kept[t] {
				items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(tenant, tagSK(t, id))}})
			}
		}
		return items
	})
}

func (s *Store) DeleteService(ctx context.Context, tenant, id string, now time.Time) error {
	return s.rewriteService(ctx, tenant, id, func(svc *registry.Service) []types.TransactWriteItem {
		items := []types.TransactWriteItem{
			s.sessionServiceCount(tenant, svc.SessionID, -1, now),
			{Delete: &types.Delete{
				TableName:                 &s.table,
				Key:                       key(tenant, serviceSK(id)),
				ConditionExpression:       aws.String("version = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(svc.Version)},
			}},
		}
		items = append(items, s.otherCopyDeletes(tenant, svc)...)
		return append(items, s.quotaDecrement(tenant, registry.ResourceService, 1))
	})
}

// rewriteService runs a write that depends on the service as read. build
// makes its transaction from the service: the first item must hold only
// while the session is alive, the second only while the service is at the
// version read. When a concurrent write got in first, it reads again.
func (s *Store) rewriteService(ctx context.Context, tenant, id string, build func(*registry.Service) []types.TransactWriteItem) error {
	for range maxWriteRetries {
		svc, err := s.readService(ctx, tenant, id)
		if err != nil {
			return err
		}
		items := build(svc)
		err = s.transact(ctx, items)
		reasons := cancellation(err)
		switch {
		case err == nil:
			return nil
		case len(reasons) != len(items):
			return storeErr("TransactWriteItems", err)
		case failedCondition(reasons[0]):
			return registry.NotFound("service", id) // its session is dead
		case failedCondition(reasons[1]):
			continue // changed or deleted since the read: read again
		default:
			return storeErr("TransactWriteItems", err)
		}
	}
	return registry.Unavailable(errTooContended)
}

// sessionServices reads the services a session holds, from its links.
func (s *Store) sessionServices(ctx context.Context, tenant, sessionID string) ([]*registry.Service, error) {
	var services []*registry.Service
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":     str(tenantKey(tenant)),
			":prefix": str(linkPrefix(sessionID)),
		},
		ConsistentRead: aws.Bool(true),
	}
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, storeErr("Query", err)
		}
		for _, m := range res.Items {
			svc, err := DecodeService(m)
			if err != nil {
				return nil, err
			}
			services = append(services, svc)
		}
		if res.LastEvaluatedKey == nil {
			return services, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func (s *Store) Overview(ctx context.Context, tenant string, page registry.PageRequest, now time.Time) (registry.Page[*registry.SessionOverview], error) {
	var out registry.Page[*registry.SessionOverview]
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   str(tenantKey(tenant)),
			":from": str(sessionPrefix + page.Marker),
			":to":   str(sessionPrefix + "~"),
		},
		ConsistentRead: aws.Bool(true),
	}
	// Sessions come each followed by its services' links. A dead session's
	// links are skipped with it.
	var current *registry.SessionOverview
	skipping := false
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return out, storeErr("Query", err)
		}
		for _, m := range res.Items {
			if kind := (&item{m: m}).str("kind"); kind == kindServiceLink {
				// A link whose session item is gone (a close that did not
				// finish) belongs to no listed session.
				if skipping || current == nil || (&item{m: m}).str("session_id") != current.Session.ID {
					continue
				}
				svc, err := DecodeService(m)
				if err != nil {
					return out, err
				}
				current.Services = append(current.Services, svc)
				continue
			}
			sess, err := decodeSession(m)
			if err != nil {
				return out, err
			}
			if skipping = !sess.AliveAt(now); skipping {
				continue
			}
			if len(out.Items) == page.Limit {
				out.Next = sess.ID
				return out, nil
			}
			current = &registry.SessionOverview{Session: sess}
			out.Items = append(out.Items, current)
		}
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
