// Package streamproc turns the registry table's stream into feed events:
// service.join and service.remove from service items, the two
// configuration_value events from configuration items, and a late
// services.timeout when DynamoDB's TTL deletes a session no sweeper timed out.
//
// Stream delivery is at least once, so every append carries the record's
// event id as its dedup key: a redelivered record appends nothing twice.
package streamproc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/service-registry/registry/internal/dynamo"
	"github.com/service-registry/registry/internal/registry"
)

// Feed is what the processor needs of the events store.
type Feed interface {
	Append(ctx context.Context, tenant string, evs []*registry.Event, dedupKey string, extra []types.TransactWriteItem) error
	TimeOutRemoved(ctx context.Context, tenant string, old map[string]types.AttributeValue, dedupKey string, now time.Time) error
}

var _ Feed = (*dynamo.Feed)(nil)

// Processor handles batches of stream records.
type Processor struct {
	Feed Feed
	Now  func() time.Time
	Log  *slog.Logger
}

// Handle processes a batch in order. On the first record that fails it stops
// and reports that record's sequence number, so that Lambda retries the
// batch from there (ReportBatchItemFailures) and no later record overtakes
// it; the records before it are done and not retried.
func (p *Processor) Handle(ctx context.Context, batch events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range batch.Records {
		if err := p.record(ctx, rec); err != nil {
			p.Log.Error("stream record failed", "event_id", rec.EventID,
				"sequence_number", rec.Change.SequenceNumber, "error", err)
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: rec.Change.SequenceNumber}}
			return resp, nil
		}
	}
	return resp, nil
}

// ttlPrincipal is the userIdentity of deletions made by DynamoDB's TTL.
const ttlPrincipal = "dynamodb.amazonaws.com"

func (p *Processor) record(ctx context.Context, rec events.DynamoDBEventRecord) error {
	newImage, err := convertImage(rec.Change.NewImage)
	if err != nil {
		return err
	}
	oldImage, err := convertImage(rec.Change.OldImage)
	if err != nil {
		return err
	}
	image := newImage
	if rec.EventName == "REMOVE" {
		image = oldImage
	}
	kind, tenant := attr(image, "kind"), attr(image, "tenant")
	if tenant == "" {
		return nil // not a tenant's object (tokens, quotas)
	}
	now := p.Now()
	ev := &registry.Event{Timestamp: now}
	switch {
	case kind == "service" && rec.EventName == "INSERT":
		ev.Type, ev.Payload, err = servicePayload(newImage)
	case kind == "service" && rec.EventName == "REMOVE":
		if _, timedOut := oldImage["timed_out"]; timedOut {
			return nil // the sweeper reported it in services.timeout
		}
		ev.Type, ev.Payload, err = servicePayload(oldImage)
		ev.Type = registry.EventServiceRemove
	case kind == "configuration_value" && (rec.EventName == "INSERT" || rec.EventName == "MODIFY"):
		var old *string
		if rec.EventName == "MODIFY" {
			v := attr(oldImage, "value")
			old = &v
		}
		ev.Type = registry.EventConfigUpdate
		ev.Payload, err = json.Marshal(registry.ConfigUpdatePayload{ID: attr(newImage, "id"), OldValue: old, NewValue: attr(newImage, "value")})
	case kind == "configuration_value" && rec.EventName == "REMOVE":
		ev.Type = registry.EventConfigRemove
		ev.Payload, err = json.Marshal(registry.ConfigRemovePayload{ID: attr(oldImage, "id"), OldValue: attr(oldImage, "value")})
	case kind == "session" && rec.EventName == "REMOVE" && rec.UserIdentity != nil &&
		rec.UserIdentity.Type == "Service" && rec.UserIdentity.PrincipalID == ttlPrincipal:
		return p.Feed.TimeOutRemoved(ctx, tenant, oldImage, rec.EventID, now)
	default:
		return nil // heartbeats, updates, copies: no event
	}
	if err != nil {
		return err
	}
	err = p.Feed.Append(ctx, tenant, []*registry.Event{ev}, rec.EventID, nil)
	if errors.Is(err, dynamo.ErrDuplicate) {
		return nil // a redelivery: appended the first time
	}
	return err
}

func servicePayload(image map[string]types.AttributeValue) (registry.EventType, json.RawMessage, error) {
	svc, err := dynamo.DecodeService(image)
	if err != nil {
		return "", nil, err
	}
	raw, err := json.Marshal(registry.NewServicePayload(svc))
	return registry.EventServiceJoin, raw, err
}

func attr(image map[string]types.AttributeValue, name string) string {
	if v, ok := image[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// convertImage turns a stream image into the SDK's attribute values, which
// the store's decoders read.
func convertImage(image map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	if image == nil {
		return nil, nil
	}
	out := make(map[string]types.AttributeValue, len(image))
	for k, v := range image {
		av, err := convert(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func convert(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		list := v.List()
		out := make([]types.AttributeValue, len(list))
		for i, e := range list {
			av, err := convert(e)
			if err != nil {
				return nil, err
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := convertImage(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %v", strings.TrimSpace(fmt.Sprint(v.DataType())))
}
