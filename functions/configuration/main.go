// The configuration function serves /v1.0/{tenant}/configuration and every
// path below it.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/app"
	"github.com/service-registry/registry/internal/lambdahttp"
)

func main() {
	deps, err := app.Load(context.Background())
	if err != nil {
		app.Fail(err)
	}
	srv := &api.Server{Config: deps.Store, Auth: deps.Auth, Log: deps.Log, PublicURL: deps.PublicURL}
	lambda.Start(lambdahttp.Handler(srv.Handler()))
}
