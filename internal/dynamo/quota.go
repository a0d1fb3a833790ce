package dynamo

import (
	"context"
	"errors"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/registry"
)

// A tenant's usage and limit overrides live in one item next to its objects:
//
//	pk = "T#<tenant>"  sk = "QUOTA"  count_<resource>, limit_<resource>
//
// Every create of a counted object is a transaction that also increments
// its count on the condition that the count is below the limit, so that
// concurrent creates can never overshoot it; every delete decrements it in
// the same transaction as the delete.
const quotaSK = "QUOTA"

func quotaKey(tenant string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(tenantKey(tenant)), "sk": str(quotaSK)}
}

func countAttr(r registry.Resource) string { return "count_" + string(r) }
func limitAttr(r registry.Resource) string { return "limit_" + string(r) }

// quotaIncrement is the transaction item that takes one more r, failing its
// condition when the tenant's limit (its override, or the default) is reached.
func (s *Store) quotaIncrement(tenant string, r registry.Resource) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:        &s.table,
		Key:              quotaKey(tenant),
		UpdateExpression: aws.String("SET #count = if_not_exists(#count, :zero) + :one"),
		ConditionExpression: aws.String("(attribute_not_exists(#limit) AND (attribute_not_exists(#count) OR #count < :default))" +
			" OR (attribute_exists(#limit) AND ((attribute_not_exists(#count) AND #limit > :zero) OR #count < #limit))"),
		ExpressionAttributeNames: map[string]string{"#count": countAttr(r), "#limit": limitAttr(r)},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":zero":    num(0),
			":one":     num(1),
			":default": num(int64(registry.DefaultLimits[r])),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// quotaDecrement is the transaction item that gives one r back. It has no
// condition: a delete must never fail for the sake of bookkeeping.
func (s *Store) quotaDecrement(tenant string, r registry.Resource, n int) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 &s.table,
		Key:                       quotaKey(tenant),
		UpdateExpression:          aws.String("ADD #count :minus"),
		ExpressionAttributeNames:  map[string]string{"#count": countAttr(r)},
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": num(int64(-n))},
	}}
}

// limitOf reads the limit of r from a quota item as returned by a failed
// condition.
func limitOf(old map[string]types.AttributeValue, r registry.Resource) int {
	if v, ok := old[limitAttr(r)].(*types.AttributeValueMemberN); ok {
		if n, err := strconv.Atoi(v.Value); err == nil {
			return n
		}
	}
	return registry.DefaultLimits[r]
}

// Limits returns the tenant's usage and limit of every resource.
func (s *Store) Limits(ctx context.Context, tenant string) (map[registry.Resource]registry.Usage, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            quotaKey(tenant),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, storeErr("GetItem", err)
	}
	it := &item{m: out.Item}
	usage := map[registry.Resource]registry.Usage{}
	for _, r := range registry.Resources {
		usage[r] = registry.Usage{Used: max(0, int(it.int(countAttr(r)))), Limit: limitOf(out.Item, r)}
	}
	return usage, it.err
}

// SetLimit overrides the tenant's limit of r.
func (s *Store) SetLimit(ctx context.Context, tenant string, r registry.Resource, limit int) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       quotaKey(tenant),
		UpdateExpression:          aws.String("SET #limit = :limit"),
		ExpressionAttributeNames:  map[string]string{"#limit": limitAttr(r)},
		ExpressionAttributeValues: map[string]types.AttributeValue{":limit": num(int64(limit))},
	})
	if err != nil {
		return storeErr("UpdateItem", err)
	}
	return nil
}

// errTooContended reports a write that kept losing to concurrent writes.
var errTooContended = errors.New("too many concurrent writes to the same object")

// transact runs a transaction, trying again when it was cancelled only
// because another transaction held one of its items (TransactionConflict),
// which says nothing about its conditions.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	for attempt := 0; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if !conflictOnly(cancellation(err)) {
			return err
		}
		if berr := backoff(ctx, attempt+1); berr != nil {
			return err
		}
	}
}

// conflictOnly reports whether a cancelled transaction failed no condition
// and lost at least one item to a concurrent transaction.
func conflictOnly(reasons []types.CancellationReason) bool {
	conflict := false
	for _, r := range reasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "", "None":
		default:
			return false
		}
	}
	return conflict
}

// cancellation returns the reasons a transaction was cancelled, one per item
// in order, or nil if err is not a cancellation.
func cancellation(err error) []types.CancellationReason {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return tce.CancellationReasons
	}
	return nil
}

// failedCondition reports whether the transaction item's condition failed.
func failedCondition(r types.CancellationReason) bool {
	return aws.ToString(r.Code) == "ConditionalCheckFailed"
}
