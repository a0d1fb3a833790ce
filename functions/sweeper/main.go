// The sweeper function times out dead sessions. EventBridge starts it every
// minute; it sweeps every SWEEP_INTERVAL_MS until RUN_SECONDS have passed
// or its own timeout draws near.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/service-registry/registry/internal/app"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/sweeper"
)

func main() {
	deps, err := app.Load(context.Background())
	var feed *dynamo.Feed
	if err == nil {
		feed, err = deps.RequireFeed()
	}
	intervalMS, ierr := app.IntEnv("SWEEP_INTERVAL_MS", 1000)
	runSeconds, rerr := app.IntEnv("RUN_SECONDS", 50)
	if err = errors.Join(err, ierr, rerr); err != nil {
		app.Fail(err)
	}
	s := &sweeper.Sweeper{
		Store:    feed,
		Shards:   dynamo.ExpiryShards,
		Interval: time.Duration(intervalMS) * time.Millisecond,
		Now:      time.Now,
		Log:      deps.Log,
		Metrics:  os.Stdout,
	}
	run := time.Duration(runSeconds) * time.Second
	lambda.Start(func(ctx context.Context, _ events.CloudWatchEvent) error {
		until := time.Now().Add(run)
		// Leave room to finish the last sweep before Lambda's timeout.
		if d, ok := ctx.Deadline(); ok && d.Add(-5*time.Second).Before(until) {
			until = d.Add(-5 * time.Second)
		}
		st, err := s.Run(ctx, until)
		deps.Log.Info("sweeper run done", "expired", st.Expired, "timed_out", st.TimedOut)
		return err
	})
}
