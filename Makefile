# `make run` starts the whole stack on the local cloud; `make test` runs every
# test. Both install what they need.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
PYTHON ?= python3
VENV := .venv

# Lambda runs the functions on arm64 (Graviton). The local cloud runs them on
# this machine, so scripts/local overrides this with the host's arch.
LAMBDA_GOARCH ?= arm64
GOBUILD = CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_GOARCH) $(GO) build -trimpath -tags lambda.norpc -ldflags="-s -w"

.PHONY: help venv run up down lint unit test fuzz integration bench feedbench clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: localstack/requirements.txt localstack/requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check \
		-r localstack/requirements.txt -c localstack/requirements.lock
	touch $@

venv: $(VENV)/.installed ## Install the local cloud and its tools into .venv

run: venv ## Start everything on the local cloud, print URL and token, follow logs
	scripts/local run

up: venv ## The same in the background; writes .local/env
	scripts/local up

down: ## Stop the local cloud
	scripts/local down

lint: venv ## go vet and cfn-lint
	$(GO) vet ./...
	$(VENV)/bin/cfn-lint template.yaml

unit: ## Unit tests (no local cloud needed)
	$(GO) test ./...

test: venv lint unit ## Every test: lint, unit, fuzzing (briefly), then integration on the local cloud
	scripts/fuzz $(FUZZ_SECONDS)
	scripts/with-local-cloud $(MAKE) --no-print-directory integration

# Seconds per fuzz target: a short run in `make test`, a longer one in `make fuzz`.
FUZZ_SECONDS ?= 6
FUZZ_LONG_SECONDS ?= 60

fuzz: ## Run every fuzz target for a minute each (FUZZ_LONG_SECONDS=N to change)
	scripts/fuzz $(FUZZ_LONG_SECONDS)

# One package at a time: the end-to-end tests' traffic (dying sessions, stream
# events) would otherwise change what the store tests count.
integration: ## Store and end-to-end tests against a running local cloud
	set -a; . .local/stack.env; . .local/env; set +a; \
	REGISTRY_INTEGRATION=1 $(GO) test -p 1 -count=1 -race ./internal/dynamo/... ./e2e/...
	# schemathesis against openapi.yaml, on a tenant of its own so that its
	# sessions count against no other test's limit.
	env $$(scripts/tenant create schemathesis-$$(date +%s)) scripts/schemathesis

feedbench: venv ## Event lag, timeout lag and sweep cost on the local cloud (about 3 minutes)
	scripts/with-local-cloud bash -c 'set -a; . .local/stack.env; . .local/env; set +a; $(GO) run ./scripts/feedbench'

bench: venv ## Latency benchmark through the local API Gateway and the store
	scripts/with-local-cloud bash -c 'set -a; . .local/stack.env; . .local/env; set +a; $(GO) run ./scripts/bench'

clean: ## Remove build output (not .venv)
	rm -rf .aws-sam bin

# One target per function, used by `sam build` (BuildMethod: makefile).
build-AuthorizerFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/authorizer

build-SessionsFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sessions

build-ServicesFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/services

build-AccountFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/account

build-ConfigurationFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/configuration

build-EventsFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/events

build-StreamFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/stream

build-SweeperFunction:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sweeper
