package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

// RateStores is what the request-limit suite needs of a store.
type RateStores struct {
	Rate registry.RateLimiter
	// SetRequestLimits overrides a tenant's request limits; nil keeps one.
	SetRequestLimits func(ctx context.Context, tenant string, perDay, perSecond *int) error
}

// NewRateStores returns the stores and a tenant name no other test uses.
type NewRateStores func(t *testing.T) (RateStores, string)

// RunRate runs the conformance tests of request counting.
func RunRate(t *testing.T, newStores NewRateStores) {
	tests := []struct {
		name string
		fn   func(*testing.T, RateStores, string)
	}{
		{"CountsPerUTCDay", testRateCountsPerDay},
		{"PerSecond", testRatePerSecond},
		{"PerDay", testRatePerDay},
		{"ZeroRefusesAll", testRateZero},
		{"ClockSkew", testRateClockSkew},
		{"ConcurrentSecond", testRateConcurrentSecond},
		{"ConcurrentDay", testRateConcurrentDay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, tenant := newStores(t)
			tt.fn(t, s, tenant)
		})
	}
}

// r0 is half a second into a second, 10 seconds before a UTC midnight.
var r0 = time.Date(2030, 5, 17, 23, 59, 50, 500_000_000, time.UTC)

func ptr(n int) *int { return &n }

func take(t *testing.T, s RateStores, tenant string, at time.Time) error {
	t.Helper()
	err := s.Rate.TakeRequest(context.Background(), tenant, at)
	var re *registry.Error
	if err != nil && !(errors.As(err, &re) && re.Kind == registry.KindRateLimited) {
		t.Fatalf("TakeRequest: %v", err)
	}
	return err
}

func wantUsed(t *testing.T, s RateStores, tenant string, at time.Time, want int) registry.RequestUsage {
	t.Helper()
	u, err := s.Rate.RequestUsage(context.Background(), tenant, at)
	if err != nil {
		t.Fatalf("RequestUsage: %v", err)
	}
	if u.Used != want {
		t.Fatalf("used = %d on %s, want %d", u.Used, registry.UTCDay(at), want)
	}
	return u
}

func wantLimited(t *testing.T, err error, retryAfter time.Duration) {
	t.Helper()
	var re *registry.Error
	if !errors.As(err, &re) || re.Kind != registry.KindRateLimited {
		t.Fatalf("err = %v, want rate limited", err)
	}
	if re.RetryAfter != retryAfter {
		t.Fatalf("RetryAfter = %v, want %v", re.RetryAfter, retryAfter)
	}
}

func testRateCountsPerDay(t *testing.T, s RateStores, tenant string) {
	u := wantUsed(t, s, tenant, r0, 0)
	if u.Limits != registry.DefaultRequestLimits {
		t.Fatalf("limits %+v, want the defaults %+v", u.Limits, registry.DefaultRequestLimits)
	}
	for i := range 5 {
		if err := take(t, s, tenant, r0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	wantUsed(t, s, tenant, r0.Add(5*time.Second), 5)
	// A new UTC day starts from nothing.
	next := r0.Add(10 * time.Second)
	wantUsed(t, s, tenant, next, 0)
	if err := take(t, s, tenant, next); err != nil {
		t.Fatal(err)
	}
	wantUsed(t, s, tenant, next, 1)
}

func testRatePerSecond(t *testing.T, s RateStores, tenant string) {
	if err := s.SetRequestLimits(context.Background(), tenant, nil, ptr(3)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := take(t, s, tenant, r0); err != nil {
			t.Fatal(err)
		}
	}
	wantLimited(t, take(t, s, tenant, r0), 500*time.Millisecond)
	// Refused requests are not counted.
	wantUsed(t, s, tenant, r0, 3)
	if err := take(t, s, tenant, r0.Add(500*time.Millisecond)); err != nil {
		t.Fatalf("the next second: %v", err)
	}
	u := wantUsed(t, s, tenant, r0, 4)
	if u.Limits.PerSecond != 3 || u.Limits.PerDay != registry.DefaultRequestLimits.PerDay {
		t.Fatalf("limits %+v", u.Limits)
	}
}

func testRatePerDay(t *testing.T, s RateStores, tenant string) {
	if err := s.SetRequestLimits(context.Background(), tenant, ptr(4), nil); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := take(t, s, tenant, r0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	// Refused until midnight, 9.5 s after r0.
	wantLimited(t, take(t, s, tenant, r0.Add(5*time.Second)), 4500*time.Millisecond)
	wantLimited(t, take(t, s, tenant, r0.Add(5*time.Second)), 4500*time.Millisecond)
	wantUsed(t, s, tenant, r0, 4)
	if err := take(t, s, tenant, r0.Add(10*time.Second)); err != nil {
		t.Fatalf("after midnight: %v", err)
	}
	// Raising the limit lets the day go on.
	if err := s.SetRequestLimits(context.Background(), tenant, ptr(5), nil); err != nil {
		t.Fatal(err)
	}
	if err := take(t, s, tenant, r0.Add(11*time.Second)); err != nil {
		t.Fatal(err)
	}
	wantUsed(t, s, tenant, r0.Add(11*time.Second), 2)
}

func testRateZero(t *testing.T, s RateStores, tenant string) {
	if err := s.SetRequestLimits(context.Background(), tenant, nil, ptr(0)); err != nil {
		t.Fatal(err)
	}
	wantLimited(t, take(t, s, tenant, r0), 500*time.Millisecond)
	if err := s.SetRequestLimits(context.Background(), tenant, ptr(0), ptr(10)); err != nil {
		t.Fatal(err)
	}
	wantLimited(t, take(t, s, tenant, r0), 9500*time.Millisecond)
	wantUsed(t, s, tenant, r0, 0)
}

// Instances' clocks differ a little: a request stamped before the counter's
// second counts in that second, and the counter never moves back.
func testRateClockSkew(t *testing.T, s RateStores, tenant string) {
	if err := s.SetRequestLimits(context.Background(), tenant, nil, ptr(2)); err != nil {
		t.Fatal(err)
	}
	later := r0.Add(time.Second)
	if err := take(t, s, tenant, later); err != nil {
		t.Fatal(err)
	}
	if err := take(t, s, tenant, r0); err != nil {
		t.Fatal(err)
	}
	if take(t, s, tenant, later) == nil {
		t.Fatal("a third request in a second limited to two passed")
	}
	wantUsed(t, s, tenant, later, 2)
}

// Requests racing within one second never pass its limit.
func testRateConcurrentSecond(t *testing.T, s RateStores, tenant string) {
	if err := s.SetRequestLimits(context.Background(), tenant, nil, ptr(7)); err != nil {
		t.Fatal(err)
	}
	if got := race(t, s, tenant, 20, func(int) time.Time { return r0 }); got != 7 {
		t.Fatalf("%d requests passed a limit of 7 per second", got)
	}
	wantUsed(t, s, tenant, r0, 7)
}

// Requests racing across seconds never pass the day's limit.
func testRateConcurrentDay(t *testing.T, s RateStores, tenant string) {
	if err := s.SetRequestLimits(context.Background(), tenant, ptr(9), nil); err != nil {
		t.Fatal(err)
	}
	if got := race(t, s, tenant, 24, func(i int) time.Time { return r0.Add(time.Duration(i%4) * time.Second) }); got != 9 {
		t.Fatalf("%d requests passed a limit of 9 per day", got)
	}
	wantUsed(t, s, tenant, r0, 9)
}

// race sends n requests at once and returns how many passed.
func race(t *testing.T, s RateStores, tenant string, n int, at func(int) time.Time) int {
	var passed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := s.Rate.TakeRequest(context.Background(), tenant, at(i))
			var re *registry.Error
			switch {
			case err == nil:
				passed.Add(1)
			case !errors.As(err, &re) || re.Kind != registry.KindRateLimited:
				t.Errorf("TakeRequest: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(passed.Load())
}
