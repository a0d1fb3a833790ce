// Command registryctl administers a registry's tenants directly in its
// DynamoDB table. It finds the table and the endpoint the way the functions
// do: TABLE_NAME, and the AWS SDK's own configuration (AWS_ENDPOINT_URL for
// a local cloud).
package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/service-registry/registry/internal/auth"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/registry"
)

const usage = `usage:
  registryctl tenant create TENANT BASE_URL      issue a token for a new TENANT and print
                                                 REGISTRY_URL=, REGISTRY_TOKEN=, REGISTRY_TENANT=
  registryctl token issue TENANT                 print a new API token for TENANT
  registryctl token revoke TOKEN                 revoke a token (API Gateway may honour it for up
                                                 to AuthorizerCacheSeconds more)
  registryctl limits show TENANT                 print TENANT's usage and limits
  registryctl limits set TENANT RESOURCE N       set TENANT's limit of RESOURCE
                                                 (session, service, configuration_value,
                                                 requests_per_day, requests_per_second)

Environment: TABLE_NAME (the registry table) and the usual AWS SDK settings
(AWS_REGION, credentials, AWS_ENDPOINT_URL for a local cloud).`

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "registryctl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) < 3 {
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
	store := dynamo.New(dynamodb.NewFromConfig(cfg), table)
	tenant := args[2]
	switch cmd := args[0] + " " + args[1]; {
	case cmd == "tenant create" && len(args) == 4:
		token, err := auth.Tokens{Store: store}.Issue(ctx, tenant)
		if err != nil {
			return err
		}
		fmt.Printf("REGISTRY_URL=%s/v1.0/%s\nREGISTRY_TOKEN=%s\nREGISTRY_TENANT=%s\n",
			strings.TrimSuffix(args[3], "/"), tenant, token, tenant)
	case cmd == "token revoke" && len(args) == 3:
		return auth.Tokens{Store: store}.Revoke(ctx, args[2])
	case cmd == "token issue" && len(args) == 3:
		token, err := auth.Tokens{Store: store}.Issue(ctx, tenant)
		if err != nil {
			return err
		}
		fmt.Println(token)
	case cmd == "limits show" && len(args) == 3:
		usage, err := store.Limits(ctx, tenant)
		if err != nil {
			return err
		}
		for _, r := range registry.Resources {
			fmt.Printf("%-20s %6d of %d\n", r, usage[r].Used, usage[r].Limit)
		}
		requests, err := store.RequestUsage(ctx, tenant, time.Now())
		if err != nil {
			return err
		}
		fmt.Printf("%-20s %6d of %d (UTC day %s)\n", "requests_per_day", requests.Used, requests.Limits.PerDay, registry.UTCDay(time.Now()))
		fmt.Printf("%-20s %6s    %d\n", "requests_per_second", "", requests.Limits.PerSecond)
	case cmd == "limits set" && len(args) == 5:
		n, err := strconv.Atoi(args[4])
		if err != nil || n < 0 {
			return fmt.Errorf("limits set wants a count ≥ 0, not %q", args[4])
		}
		switch r := registry.Resource(args[3]); {
		case r == "requests_per_day":
			return store.SetRequestLimits(ctx, tenant, &n, nil)
		case r == "requests_per_second":
			return store.SetRequestLimits(ctx, tenant, nil, &n)
		case slices.Contains(registry.Resources, r):
			return store.SetLimit(ctx, tenant, r, n)
		}
		return fmt.Errorf("limits set wants session, service, configuration_value, requests_per_day or requests_per_second, not %q", args[3])
	default:
		return fmt.Errorf("%s", usage)
	}
	return nil
}
