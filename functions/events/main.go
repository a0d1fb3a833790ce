// The events function serves GET /v1.0/{tenant}/events.
package main

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/app"
	"github.com/service-registry/registry/internal/lambdahttp"
)

func main() {
	deps, err := app.Load(context.Background())
	if err == nil && deps.Feed == nil {
		err = errors.New("EVENTS_TABLE_NAME is not set")
	}
	if err != nil {
		app.Fail(err)
	}
	srv := &api.Server{Events: deps.Feed, Auth: deps.Auth, Log: deps.Log, PublicURL: deps.PublicURL}
	lambda.Start(lambdahttp.Handler(srv.Handler()))
}
