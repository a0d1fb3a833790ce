// Package sweeper times out dead sessions. EventBridge starts it once a
// minute; each run sweeps about every Interval until shortly before its
// time is up, so that a session is timed out seconds, not a minute, after
// its deadline. Runs may overlap: timing a session out is exactly-once
// however many callers race (see dynamo.Feed.TimeOut).
package sweeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/service-registry/registry/internal/dynamo"
)

// Store is what the sweeper needs of storage.
type Store interface {
	ExpiredSessions(ctx context.Context, shard int, tenant string, now time.Time, limit int) ([]dynamo.SessionRef, error)
	TimeOut(ctx context.Context, ref dynamo.SessionRef, now time.Time) (dynamo.Timeout, error)
}

var _ Store = (*dynamo.Feed)(nil)

// Sweeper finds expired sessions through the expiry index, shard by shard,
// and times them out. It never scans: a sweep reads only sessions whose
// deadline has passed.
type Sweeper struct {
	Store    Store
	Shards   int
	Interval time.Duration
	Now      func() time.Time
	Log      *slog.Logger
	// Metrics receives one CloudWatch embedded-metric-format line per
	// timeout; nil discards them.
	Metrics io.Writer
}

// Stats is what one sweep did.
type Stats struct {
	Expired  int // expired sessions found
	TimedOut int // of which this sweep appended the timeout
}

// batch bounds the sessions read from one shard per sweep; the rest wait
// for the next sweep a moment later.
const batch = 100

// Sweep times out every session that expired by now.
func (s *Sweeper) Sweep(ctx context.Context) (Stats, error) {
	var st Stats
	var errs []error
	now := s.Now()
	for shard := range s.Shards {
		refs, err := s.Store.ExpiredSessions(ctx, shard, "", now, batch)
		if err != nil {
			// One shard's trouble must not hold up the others.
			errs = append(errs, fmt.Errorf("shard %d: %w", shard, err))
			continue
		}
		for _, ref := range refs {
			st.Expired++
			t, err := s.Store.TimeOut(ctx, ref, now)
			if err != nil {
				// One session's trouble must not stop the others.
				s.Log.Error("timing out failed", "tenant", ref.Tenant, "session", ref.ID, "error", err)
				continue
			}
			if t.Appended {
				st.TimedOut++
				s.metric(now, t)
			}
		}
	}
	return st, errors.Join(errs...)
}

// Run sweeps every Interval until until, or until ctx ends.
func (s *Sweeper) Run(ctx context.Context, until time.Time) (Stats, error) {
	var total Stats
	for {
		start := time.Now()
		st, err := s.Sweep(ctx)
		total.Expired += st.Expired
		total.TimedOut += st.TimedOut
		if err != nil {
			s.Log.Error("sweep failed", "error", err)
		}
		next := start.Add(s.Interval)
		if !next.Before(until) {
			return total, nil
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(time.Until(next)):
		}
	}
}

// metric reports how late a timeout was (deadline to event) in CloudWatch's
// embedded metric format, which Lambda's log pipeline turns into a metric
// without an API call.
func (s *Sweeper) metric(now time.Time, t dynamo.Timeout) {
	if s.Metrics == nil {
		return
	}
	line, _ := json.Marshal(map[string]any{
		"_aws": map[string]any{
			"Timestamp": now.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  Namespace,
				"Dimensions": [][]string{{}},
				"Metrics": []any{
					map[string]string{"Name": "TimeoutLag", "Unit": "Milliseconds"},
					map[string]string{"Name": "TimedOutServices", "Unit": "Count"},
				},
			}},
		},
		"TimeoutLag":       now.Sub(t.Deadline).Milliseconds(),
		"TimedOutServices": t.Services,
	})
	fmt.Fprintln(s.Metrics, string(line))
}

// Namespace is the CloudWatch namespace of the sweeper's metrics.
const Namespace = "ServiceRegistry"
