package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/localcloud"
	"github.com/service-registry/registry/internal/registry"
	"github.com/service-registry/registry/internal/storetest"
)

// Configuration values in the local cloud's real table, through the same
// conformance suite as the in-memory store, one fresh tenant per test.
func TestConfigConformance(t *testing.T) {
	db, table := localcloud.DynamoDB(t)
	store := dynamo.New(db, table)
	storetest.RunConfig(t, func(t *testing.T) (storetest.ConfigStores, string) {
		return storetest.ConfigStores{Config: store, SetLimit: store.SetLimit}, "it-" + registry.NewSessionID()
	})
}

// replayingDB sends every conditional write twice, as the SDK does when the
// answer to a write that landed is lost: the second attempt finds the
// first one's work done and its condition failing.
type replayingDB struct{ dynamo.API }

func (db replayingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if _, err := db.API.UpdateItem(ctx, in, opts...); err != nil {
		return nil, err
	}
	return db.API.UpdateItem(ctx, in, opts...)
}

func (db replayingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if _, err := db.API.TransactWriteItems(ctx, in, opts...); err != nil {
		return nil, err
	}
	// DynamoDB would know the SDK's retry by its idempotency token; a
	// fresh one makes the replay a true second attempt, so that the test
	// shows the store does not depend on the token.
	in.ClientRequestToken = nil
	return db.API.TransactWriteItems(ctx, in, opts...)
}

// A write whose first attempt landed is answered as the success it was, not
// as a failed precondition; it is applied and counted once.
func TestConfigWritesSurviveSDKRetries(t *testing.T) {
	db, table := localcloud.DynamoDB(t)
	store := dynamo.New(replayingDB{db}, table)
	tenant := "it-" + registry.NewSessionID()
	ctx := context.Background()

	v, err := store.PutConfig(ctx, tenant, "retried", "a", registry.Precondition{IfNoneMatch: true})
	if err != nil || v.Version != 1 {
		t.Fatalf("create-only write, replayed: %+v, %v", v, err)
	}
	one := int64(1)
	v, err = store.PutConfig(ctx, tenant, "retried", "b", registry.Precondition{IfMatch: &one})
	if err != nil || v.Version != 2 || v.Value != "b" {
		t.Fatalf("compare-and-set, replayed: %+v, %v", v, err)
	}
	// Writes that need no particular version are applied once, too.
	v, err = store.PutConfig(ctx, tenant, "retried", "c", registry.Precondition{IfExists: true})
	if err != nil || v.Version != 3 {
		t.Fatalf("update of an existing value, replayed: %+v, %v", v, err)
	}
	v, err = store.PutConfig(ctx, tenant, "retried", "d", registry.Precondition{})
	if err != nil || v.Version != 4 {
		t.Fatalf("write without precondition, replayed: %+v, %v", v, err)
	}
	usage, err := store.Limits(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if used := usage[registry.ResourceConfigurationValue].Used; used != 1 {
		t.Fatalf("one value counted %d times", used)
	}
}
