package registry

import (
	"encoding/json"
	"time"
)

// EventType names what an event reports.
type EventType string

const (
	EventServiceJoin     EventType = "service.join"
	EventServiceRemove   EventType = "service.remove"
	EventServicesTimeout EventType = "services.timeout"
	EventConfigUpdate    EventType = "configuration_value.update"
	EventConfigRemove    EventType = "configuration_value.remove"
)

// EventTypes lists every event type.
var EventTypes = []EventType{EventServiceJoin, EventServiceRemove, EventServicesTimeout, EventConfigUpdate, EventConfigRemove}

// Event is one entry of a tenant's feed. IDs are opaque strings that sort in
// feed order; a tenant's feed has no gaps in its sequence.
type Event struct {
	ID        string
	Timestamp time.Time
	Type      EventType
	// Payload is the event's JSON payload, as clients receive it.
	Payload json.RawMessage
}

// ServicePayload is a service as events carry it.
type ServicePayload struct {
	ID        string            `json:"id"`
	SessionID string            `json:"session_id"`
	Tags      []string          `json:"tags"`
	Metadata  map[string]string `json:"metadata"`
}

// NewServicePayload renders svc for an event.
func NewServicePayload(svc *Service) ServicePayload {
	p := ServicePayload{ID: svc.ID, SessionID: svc.SessionID, Tags: svc.Tags, Metadata: svc.Metadata}
	if p.Tags == nil {
		p.Tags = []string{}
	}
	if p.Metadata == nil {
		p.Metadata = map[string]string{}
	}
	return p
}

// ConfigUpdatePayload is the payload of configuration_value.update; OldValue
// is nil the first time a value is set.
type ConfigUpdatePayload struct {
	ID       string  `json:"configuration_value_id"`
	OldValue *string `json:"old_value"`
	NewValue string  `json:"new_value"`
}

// ConfigRemovePayload is the payload of configuration_value.remove.
type ConfigRemovePayload struct {
	ID       string `json:"configuration_value_id"`
	OldValue string `json:"old_value"`
}

// FeedRequest asks for a page of a tenant's feed.
type FeedRequest struct {
	// From is the id of the first event to return (inclusive).
	From  string
	Type  EventType // empty for every type
	Limit int
}

// FeedPage is one page of a feed. Next is where to resume: the id after the
// last event read, whether or not it matched the type filter, so that a
// consumer following it never reads an event twice nor skips one.
type FeedPage struct {
	Events []*Event
	Next   string
	// More reports whether events after Next were already there.
	More bool
}
