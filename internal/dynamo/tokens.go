package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/registry"
)

func tokenKey(hash string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str("TOKEN#" + hash), "sk": str("TOKEN")}
}

// TenantOfToken returns the tenant a token hash grants.
func (s *Store) TenantOfToken(ctx context.Context, hash string) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            &s.table,
		Key:                  tokenKey(hash),
		ProjectionExpression: aws.String("tenant"),
	})
	if err != nil {
		return "", storeErr("GetItem", err)
	}
	if out.Item == nil {
		return "", registry.ErrNotFound
	}
	it := &item{m: out.Item}
	tenant := it.str("tenant")
	return tenant, it.err
}

// PutToken stores a token hash for tenant.
func (s *Store) PutToken(ctx context.Context, hash, tenant string) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table,
		Item: map[string]types.AttributeValue{
			"pk":     str("TOKEN#" + hash),
			"sk":     str("TOKEN"),
			"tenant": str(tenant),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := conditionFailed(err); ok {
		// Tokens are random: the same hash for the same tenant is this
		// very write, landed once already and sent again by the SDK.
		if t, _ := ccf.Item["tenant"].(*types.AttributeValueMemberS); t != nil && t.Value == tenant {
			return nil
		}
		return registry.ErrExists
	}
	if err != nil {
		return storeErr("PutItem", err)
	}
	return nil
}

// DeleteToken removes a token hash.
func (s *Store) DeleteToken(ctx context.Context, hash string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:           &s.table,
		Key:                 tokenKey(hash),
		ConditionExpression: aws.String("attribute_exists(pk)"),
	})
	if _, ok := conditionFailed(err); ok {
		return registry.ErrNotFound
	}
	if err != nil {
		return storeErr("DeleteItem", err)
	}
	return nil
}
