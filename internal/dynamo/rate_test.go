package dynamo_test

import (
	"context"
	"testing"
	"time"

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
