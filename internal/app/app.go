// Package app wires a Lambda function: configuration from the environment,
// one DynamoDB client built once, the store and the authenticator over it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/auth"
	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/lambdahttp"
)

// Deps is what every function is built from.
type Deps struct {
	Store *dynamo.Store
	Auth  auth.Tokens
	Log   *slog.Logger
	// Feed is the events feed, when EVENTS_TABLE_NAME is set.
	Feed *dynamo.Feed
	// PublicURL is PUBLIC_URL: the base URL clients use, when the request
	// alone cannot tell it (see api.Server.PublicURL).
	PublicURL *url.URL
}

// Load reads the environment and builds the dependencies. The DynamoDB
// endpoint comes only from the SDK's own configuration (AWS_ENDPOINT_URL and
// friends), so the same binary runs on AWS and on a local cloud.
func Load(ctx context.Context) (*Deps, error) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: logLevel()}))
	slog.SetDefault(log)
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		return nil, fmt.Errorf("TABLE_NAME is not set")
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		// A single-item write that meets a transaction holding its item
		// fails with TransactionConflict; it is safe and right to try again.
		return retry.AddWithErrorCodes(retry.NewStandard(), "TransactionConflictException")
	}))
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	deps := &Deps{Log: log}
	if v := os.Getenv("PUBLIC_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("PUBLIC_URL %q is not an absolute URL", v)
		}
		deps.PublicURL = u
	}
	deps.Store = dynamo.New(dynamodb.NewFromConfig(cfg), table)
	deps.Auth = auth.Tokens{Store: deps.Store}
	if events := os.Getenv("EVENTS_TABLE_NAME"); events != "" {
		days, err := intEnv("EVENT_RETENTION_DAYS", 7)
		if err != nil {
			return nil, err
		}
		deps.Feed = dynamo.NewFeed(deps.Store, events, time.Duration(days)*24*time.Hour)
	}
	return deps, nil
}

// intEnv reads a positive integer from the environment, def if unset.
func intEnv(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q is not a positive integer", name, v)
	}
	return n, nil
}

// IntEnv is intEnv for the functions' own settings.
func IntEnv(name string, def int) (int, error) { return intEnv(name, def) }

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// Fail logs why a function cannot start and exits non-zero, so that Lambda
// reports an init error instead of serving half-wired.
func Fail(err error) {
	slog.Error("cannot start", "error", err)
	os.Exit(1)
}

// RequireFeed returns the events feed, or an error if EVENTS_TABLE_NAME was
// not set for a function that needs it.
func (d *Deps) RequireFeed() (*dynamo.Feed, error) {
	if d.Feed == nil {
		return nil, fmt.Errorf("EVENTS_TABLE_NAME is not set")
	}
	return d.Feed, nil
}

// Serve runs an HTTP function behind API Gateway. resources gives the
// server the stores of the resources this function serves (and so its
// routes); authentication, logging and links are wired alike for all.
func Serve(resources func(d *Deps, s *api.Server) error) {
	deps, err := Load(context.Background())
	if err != nil {
		Fail(err)
	}
	srv := &api.Server{Auth: deps.Auth, Rate: deps.Store, Log: deps.Log, PublicURL: deps.PublicURL}
	if err := resources(deps, srv); err != nil {
		Fail(err)
	}
	lambda.Start(lambdahttp.Handler(srv.Handler()))
}
