// The stream function turns the registry table's stream into feed events.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/service-registry/registry/internal/app"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/streamproc"
)

func main() {
	deps, err := app.Load(context.Background())
	var feed *dynamo.Feed
	if err == nil {
		feed, err = deps.RequireFeed()
	}
	if err != nil {
		app.Fail(err)
	}
	p := &streamproc.Processor{Feed: feed, Now: time.Now, Log: deps.Log}
	lambda.Start(p.Handle)
}
