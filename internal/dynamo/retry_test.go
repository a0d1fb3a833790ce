package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/service-registry/registry/internal/auth"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/localcloud"
	"github.com/service-registry/registry/internal/registry"
)

// A counted request whose answer was lost, and which the SDK sends again,
// counts once, in every window the counter can be in.
func TestRequestCountingSurvivesSDKRetries(t *testing.T) {
	db, table := localcloud.DynamoDB(t)
	store := dynamo.New(replayingDB{db}, table)
	tenant := "it-" + registry.NewSessionID()
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	for i, at := range []time.Time{
		now,                              // a new day
		now.Add(time.Second),             // a new second
		now.Add(time.Second),             // the same second
		now.Add(1500 * time.Millisecond), // the same second, still
	} {
		if err := store.TakeRequest(ctx, tenant, at); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	u, err := store.RequestUsage(ctx, tenant, now)
	if err != nil {
		t.Fatal(err)
	}
	if u.Used != 4 {
		t.Fatalf("4 requests, each sent twice, count %d", u.Used)
	}
}

// Issuing a token whose write the SDK sends again succeeds once.
func TestTokenIssueSurvivesSDKRetries(t *testing.T) {
	db, table := localcloud.DynamoDB(t)
	replayed := auth.Tokens{Store: dynamo.New(replayingPutDB{db}, table)}
	token, err := replayed.Issue(context.Background(), "it-"+registry.NewSessionID())
	if err != nil {
		t.Fatalf("Issue, replayed: %v", err)
	}
	if _, err := replayed.Authenticate(context.Background(), token); err != nil {
		t.Fatalf("the issued token: %v", err)
	}
}

// replayingPutDB sends every PutItem twice, like replayingDB its updates.
type replayingPutDB struct{ dynamo.API }

func (db replayingPutDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if _, err := db.API.PutItem(ctx, in, opts...); err != nil {
		return nil, err
	}
	return db.API.PutItem(ctx, in, opts...)
}
