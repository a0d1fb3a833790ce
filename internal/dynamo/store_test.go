package dynamo_test

import (
	"testing"

	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/localcloud"
	"github.com/service-registry/registry/internal/registry"
	"github.com/service-registry/registry/internal/storetest"
)

// The DynamoDB store against the local cloud's real table, through the same
// conformance suite as the in-memory store. Each test gets a tenant of its
// own, so runs never see each other's data.
func TestConformance(t *testing.T) {
	db, table := localcloud.DynamoDB(t)
	store := dynamo.New(db, table)
	storetest.Run(t, func(t *testing.T) (registry.SessionStore, string) {
		return store, "it-" + registry.NewSessionID()
	})
}

func TestRateConformance(t *testing.T) {
	db, table := localcloud.DynamoDB(t)
	store := dynamo.New(db, table)
	storetest.RunRate(t, func(t *testing.T) (storetest.RateStores, string) {
		return storetest.RateStores{Rate: store, SetRequestLimits: store.SetRequestLimits}, "it-" + registry.NewSessionID()
	})
}

func TestServicesConformance(t *testing.T) {
	db, table := localcloud.DynamoDB(t)
	store := dynamo.New(db, table)
	storetest.RunServices(t, func(t *testing.T) (storetest.Stores, string) {
		return storetest.Stores{
			Sessions: store,
			Services: store,
			Account:  store,
			SetLimit: store.SetLimit,
		}, "it-" + registry.NewSessionID()
	})
}
