package dynamo

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/registry"
)

// A configuration value is one item in its tenant's partition:
//
//	pk = "T#<tenant>"  sk = "CONFIG#<id>"  id, value, version, tenant, nonce
//
// A namespace is a prefix of the ids under it, so a namespace with all its
// sub-namespaces is one contiguous range of sort keys: listing it is a
// Query, never a Scan. Creates and deletes are transactions with the
// tenant's quota item; updates touch the value alone.
const configPrefix = "CONFIG#"

// configRangeEnd follows every id in a range of sort keys: '~' sorts after
// every character an id can hold.
const configRangeEnd = "~"

// putAttempts bounds the rounds of create-then-update a PUT without a
// precondition takes while other clients keep deleting and recreating the
// value between its two steps.
const putAttempts = 3

var _ registry.ConfigStore = (*Store)(nil)

func configSK(id string) string { return configPrefix + id }

func decodeConfig(m map[string]types.AttributeValue) (*registry.ConfigValue, error) {
	it := &item{m: m}
	v := &registry.ConfigValue{ID: it.str("id"), Value: it.str("value"), Version: it.int("version")}
	return v, it.err
}

// errAbsent and errPresent are what a step of PutConfig found in its way;
// PutConfig decides what they mean to its caller.
var (
	errAbsent  = errors.New("configuration value absent")
	errPresent = errors.New("configuration value present")
)

// configWrite is one PutConfig call. Its nonce tells the call's writes from
// everyone else's: when the SDK retries a write whose first attempt landed
// but whose answer was lost, the retry fails its condition, finds its own
// nonce on the item, and knows the write succeeded.
type configWrite struct {
	tenant, id, value, nonce string
}

// ownWrite reports whether the item as returned by a failed condition was
// written by w.
func (w configWrite) ownWrite(old map[string]types.AttributeValue) bool {
	n, _ := old["nonce"].(*types.AttributeValueMemberS)
	return n != nil && n.Value == w.nonce
}

// PutConfig is one write when the precondition says whether the value must
// exist. Without one it updates the value and, finding none, creates it:
// values are set far more often than they are first created, so the common
// case is one write.
func (s *Store) PutConfig(ctx context.Context, tenant, id, value string, pre registry.Precondition) (*registry.ConfigValue, error) {
	w := configWrite{tenant: tenant, id: id, value: value, nonce: registry.NewToken()}
	switch {
	case pre.IfMatch != nil || pre.IfExists:
		v, err := s.updateConfig(ctx, w, pre.IfMatch)
		if errors.Is(err, errAbsent) {
			return nil, registry.ConfigMismatch(id)
		}
		return v, err
	case pre.IfNoneMatch:
		v, err := s.createConfig(ctx, w)
		if errors.Is(err, errPresent) {
			return nil, registry.ConfigExists(id)
		}
		return v, err
	}
	// Between the two steps another client may delete the value, and
	// between rounds create it again: each round starts from what the last
	// one found.
	for range putAttempts {
		v, err := s.updateConfig(ctx, w, nil)
		if !errors.Is(err, errAbsent) {
			return v, err
		}
		if v, err = s.createConfig(ctx, w); !errors.Is(err, errPresent) {
			return v, err
		}
	}
	return nil, registry.Unavailable(errTooContended)
}

// createConfig writes a new value at version 1 and counts it against the
// tenant's limit, in one transaction. It fails with errPresent when the id
// is taken.
func (s *Store) createConfig(ctx context.Context, w configWrite) (*registry.ConfigValue, error) {
	err := s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{
			TableName: &s.table,
			Item: map[string]types.AttributeValue{
				"pk":      str(tenantKey(w.tenant)),
				"sk":      str(configSK(w.id)),
				"kind":    str(kindConfig),
				"tenant":  str(w.tenant),
				"id":      str(w.id),
				"value":   str(w.value),
				"version": num(1),
				"nonce":   str(w.nonce),
			},
			ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		s.quotaIncrement(w.tenant, registry.ResourceConfigurationValue),
	})
	reasons := cancellation(err)
	switch {
	case err == nil:
		return &registry.ConfigValue{ID: w.id, Value: w.value, Version: 1}, nil
	case len(reasons) != 2:
		return nil, storeErr("TransactWriteItems", err)
	case failedCondition(reasons[0]) && w.ownWrite(reasons[0].Item):
		return decodeConfig(reasons[0].Item)
	case failedCondition(reasons[0]):
		return nil, errPresent
	case failedCondition(reasons[1]):
		limit := limitOf(reasons[1].Item, registry.ResourceConfigurationValue)
		return nil, registry.LimitReached(registry.ResourceConfigurationValue, limit)
	}
	return nil, storeErr("TransactWriteItems", err)
}

// updateConfig sets the value of an existing id and bumps its version; with
// expected set, only if that is its version. It fails with errAbsent when
// there is no value and with ConfigMismatch when the version differs.
//
// The condition also fails on an item that already carries w's nonce, so
// that an SDK retry of an update that landed is recognised rather than
// applied twice.
func (s *Store) updateConfig(ctx context.Context, w configWrite, expected *int64) (*registry.ConfigValue, error) {
	cond := "attribute_exists(pk) AND #nonce <> :nonce"
	values := map[string]types.AttributeValue{
		":value": str(w.value),
		":one":   num(1),
		":nonce": str(w.nonce),
	}
	if expected != nil {
		cond += " AND #version = :expected"
		values[":expected"] = num(*expected)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &s.table,
		Key:                                 key(w.tenant, configSK(w.id)),
		UpdateExpression:                    aws.String("SET #value = :value, #version = #version + :one, #nonce = :nonce"),
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            map[string]string{"#value": "value", "#version": "version", "#nonce": "nonce"},
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return decodeConfig(out.Attributes)
	}
	ccf, ok := conditionFailed(err)
	switch {
	case !ok:
		return nil, storeErr("UpdateItem", err)
	case ccf.Item == nil:
		return nil, errAbsent
	case w.ownWrite(ccf.Item):
		return decodeConfig(ccf.Item)
	}
	return nil, registry.ConfigMismatch(w.id)
}

func (s *Store) GetConfig(ctx context.Context, tenant, id string) (*registry.ConfigValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            key(tenant, configSK(id)),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, storeErr("GetItem", err)
	}
	if out.Item == nil {
		return nil, registry.NotFound("configuration value", id)
	}
	return decodeConfig(out.Item)
}

func (s *Store) ListConfig(ctx context.Context, tenant, namespace string, page registry.PageRequest) (registry.Page[*registry.ConfigValue], error) {
	var out registry.Page[*registry.ConfigValue]
	// Every id in the namespace sorts at or after the namespace itself, so
	// the marker moves the start only when it is further on.
	from, to := configSK(max(namespace, page.Marker)), configSK(namespace+configRangeEnd)
	if from > to {
		return out, nil // the marker is past the namespace
	}
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   str(tenantKey(tenant)),
			":from": str(from),
			":to":   str(to),
		},
		ConsistentRead: aws.Bool(true),
	}
	// A Query returns at most 1 MB, so a page of large values may take a
	// second one; usually the first returns the page and one more item,
	// whose id is the next page's marker.
	for {
		in.Limit = aws.Int32(int32(page.Limit - len(out.Items) + 1))
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return out, storeErr("Query", err)
		}
		for _, m := range res.Items {
			v, err := decodeConfig(m)
			if err != nil {
				return out, err
			}
			if len(out.Items) == page.Limit {
				out.Next = v.ID
				return out, nil
			}
			out.Items = append(out.Items, v)
		}
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// DeleteConfig removes the value and gives its quota back in one
// transaction. IfExists adds nothing: every delete requires the value.
func (s *Store) DeleteConfig(ctx context.Context, tenant, id string, pre registry.Precondition) error {
	del := &types.Delete{
		TableName:                           &s.table,
		Key:                                 key(tenant, configSK(id)),
		ConditionExpression:                 aws.String("attribute_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if pre.IfMatch != nil {
		del.ConditionExpression = aws.String("attribute_exists(pk) AND #version = :expected")
		del.ExpressionAttributeNames = map[string]string{"#version": "version"}
		del.ExpressionAttributeValues = map[string]types.AttributeValue{":expected": num(*pre.IfMatch)}
	}
	err := s.transact(ctx, []types.TransactWriteItem{
		{Delete: del},
		s.quotaDecrement(tenant, registry.ResourceConfigurationValue, 1),
	})
	reasons := cancellation(err)
	switch {
	case err == nil:
		return nil
	case len(reasons) == 2 && failedCondition(reasons[0]) && reasons[0].Item == nil:
		return registry.NotFound("configuration value", id)
	case len(reasons) == 2 && failedCondition(reasons[0]):
		return registry.ConfigMismatch(id)
	}
	return storeErr("TransactWriteItems", err)
}
