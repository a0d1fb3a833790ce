package memstore_test

import (
	"testing"

	"github.com/service-registry/registry/internal/memstore"
	"github.com/service-registry/registry/internal/registry"
	"github.com/service-registry/registry/internal/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (registry.SessionStore, string) {
		return memstore.New(), "tenant"
	})
}

func TestServicesConformance(t *testing.T) {
	storetest.RunServices(t, func(t *testing.T) (storetest.Stores, string) {
		s := memstore.New()
		return storetest.Stores{
			Sessions: s,
			Services: s,
			Account:  s,
			SetLimit: s.SetLimit,
		}, "tenant"
	})
}

func TestConfigConformance(t *testing.T) {
	storetest.RunConfig(t, func(t *testing.T) (storetest.ConfigStores, string) {
		s := memstore.New()
		return storetest.ConfigStores{Config: s, SetLimit: s.SetLimit}, "tenant"
	})
}

func TestRateConformance(t *testing.T) {
	storetest.RunRate(t, func(t *testing.T) (storetest.RateStores, string) {
		s := memstore.New()
		return storetest.RateStores{Rate: s, SetRequestLimits: s.SetRequestLimits}, "tenant"
	})
}
