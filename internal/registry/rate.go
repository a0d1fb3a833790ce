package registry

import (
	"context"
	"strconv"
	"time"
)

// RequestLimits cap how many API requests a tenant makes: PerDay in each UTC
// day, PerSecond in each second (the burst rate).
type RequestLimits struct {
	PerDay    int
	PerSecond int
}

// DefaultRequestLimits apply to a tenant unless overridden for it.
var DefaultRequestLimits = RequestLimits{PerDay: 50_000, PerSecond: 100}

// RequestUsage is how many requests a tenant made today, and its limits.
type RequestUsage struct {
	Used   int
	Limits RequestLimits
}

// RateLimiter counts a tenant's requests against its request limits.
type RateLimiter interface {
	// TakeRequest counts one request of tenant made at now. It returns a
	// KindRateLimited error, counting nothing, when a limit is reached.
	TakeRequest(ctx context.Context, tenant string, now time.Time) error
	// RequestUsage reports the requests counted on now's UTC day.
	RequestUsage(ctx context.Context, tenant string, now time.Time) (RequestUsage, error)
}

// RateLimitedPerDay is the error for a tenant whose requests of the day are
// used up; they come back at the next UTC midnight.
func RateLimitedPerDay(limit int, now time.Time) *Error {
	day := now.UTC().Truncate(24 * time.Hour)
	return &Error{
		Kind:       KindRateLimited,
		Message:    "The tenant's limit of " + strconv.Itoa(limit) + " requests per day is reached.",
		Details:    "requests per day",
		RetryAfter: day.Add(24 * time.Hour).Sub(now),
	}
}

// RateLimitedPerSecond is the error for a tenant over its burst rate.
func RateLimitedPerSecond(limit int, now time.Time) *Error {
	return &Error{
		Kind:       KindRateLimited,
		Message:    "The tenant's limit of " + strconv.Itoa(limit) + " requests per second is reached.",
		Details:    "requests per second",
		RetryAfter: now.Truncate(time.Second).Add(time.Second).Sub(now),
	}
}

// UTCDay names now's UTC day, the window of the daily request limit.
func UTCDay(now time.Time) string { return now.UTC().Format(time.DateOnly) }
