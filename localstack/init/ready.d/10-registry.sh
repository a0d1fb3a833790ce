#!/bin/sh
# LocalStack runs this once it is ready. The stack itself is deployed from
# the host by `EMULATOR=localstack make up` (sam build needs the Go
# toolchain, which this container lacks); here we only make sure DynamoDB
# and API Gateway answer, so that a broken emulator shows at start-up.
set -eu
awslocal dynamodb list-tables >/dev/null
awslocal apigateway get-rest-apis >/dev/null
echo "service-registry: LocalStack is ready; now run 'EMULATOR=localstack make up' on the host."
