// The stream function turns the registry table's stream into feed events.
package main

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/service-registry/registry/internal/app"
	"github.com/service-registry/registry/internal/streamproc"
)

func main() {
	deps, err := app.Load(context.Background())
	if err == nil && deps.Feed == nil {
		err = errors.New("EVENTS_TABLE_NAME is not set")
	}
	if err != nil {
		app.Fail(err)
	}
	p := &streamproc.Processor{Feed: deps.Feed, Now: time.Now, Log: deps.Log}
	lambda.Start(p.Handle)
}
