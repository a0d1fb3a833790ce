// Command registryctl administers a registry's tenants directly in its
// DynamoDB table. It finds the table and the endpoint the way the functions
// do: TABLE_NAME, and the AWS SDK's own configuration (AWS_ENDPOINT_URL for
// a local cloud).
//
//	registryctl token issue TENANT   print a new API token for TENANT
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/service-registry/registry/internal/auth"
	"github.com/service-registry/registry/internal/dynamo"
)

const usage = `usage: registryctl token issue TENANT

Environment: TABLE_NAME (the registry table) and the usual AWS SDK settings
(AWS_REGION, credentials, AWS_ENDPOINT_URL for a local cloud).`

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "registryctl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) != 3 || args[0] != "token" || args[1] != "issue" {
		return fmt.Errorf("%s", usage)
	}
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		return fmt.Errorf("TABLE_NAME is not set")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	tokens := auth.Tokens{Store: dynamo.New(dynamodb.NewFromConfig(cfg), table)}
	token, err := tokens.Issue(ctx, args[2])
	if err != nil {
		return err
	}
	fmt.Println(token)
	return nil
}
