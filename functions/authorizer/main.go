// The authorizer function is API Gateway's Lambda authorizer on
// X-Auth-Token: it resolves the token to a tenant and allows that tenant's
// paths only.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/service-registry/registry/internal/app"
	"github.com/service-registry/registry/internal/authorizer"
)

func main() {
	deps, err := app.Load(context.Background())
	if err != nil {
		app.Fail(err)
	}
	lambda.Start(authorizer.Handler{Auth: deps.Auth, Log: deps.Log}.Handle)
}
