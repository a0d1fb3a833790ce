package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

// EventFeed is what GET /events needs of the feed.
type EventFeed interface {
	Read(ctx context.Context, tenant string, req registry.FeedRequest) (registry.FeedPage, error)
	// Since returns the id of the first event at or after t.
	Since(ctx context.Context, tenant string, t time.Time) (string, error)
	// Rectify times out the tenant's sessions that are dead at now.
	Rectify(ctx context.Context, tenant string, now time.Time) error
	// ValidEventID reports whether id can be an event id.
	ValidEventID(id string) bool
}

// Long-poll bounds and how often a held request looks again.
const (
	MaxWait      = 20 * time.Second
	pollInterval = 250 * time.Millisecond
	// defaultWindow is how far back a feed read without a marker starts.
	defaultWindow = time.Hour
)

type eventJSON struct {
	ID        string             `json:"id"`
	Timestamp int64              `json:"timestamp"`
	Type      registry.EventType `json:"type"`
	Payload   json.RawMessage    `json:"payload"`
}

func renderEvent(ev *registry.Event) eventJSON {
	return eventJSON{ID: ev.ID, Timestamp: ev.Timestamp.UnixMilli(), Type: ev.Type, Payload: ev.Payload}
}

// listEvents answers GET /events. Following next_marker is gap-free and
// duplicate-free: it is always set, to the id after the last event read, so
// a consumer resumes exactly where it stopped.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, tenant string) error {
	req, err := pageRequest(r, s.Events.ValidEventID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	typ := registry.EventType(q.Get("type"))
	if q.Has("type") && !slices.Contains(registry.EventTypes, typ) {
		return registry.Errorf(registry.KindInvalid, "type must be one of service.join, service.remove, "+
			"services.timeout, configuration_value.update, configuration_value.remove.")
	}
	var wait time.Duration
	if q.Has("wait") {
		n, ok := registry.ParseDecimal(q.Get("wait"))
		if !ok || n < 1 || time.Duration(n)*time.Second > MaxWait {
			return registry.Errorf(registry.KindInvalid, "wait must be an integer from 1 to %d seconds.", int(MaxWait.Seconds()))
		}
		wait = time.Duration(n) * time.Second
	}
	now := s.now()
	// Time out the tenant's dead sessions first: the feed is never read
	// behind the truth, whenever the sweeper last ran.
	if err := s.Events.Rectify(r.Context(), tenant, now); err != nil {
		return err
	}
	from := req.Marker
	if from == "" {
		if from, err = s.Events.Since(r.Context(), tenant, now.Add(-defaultWindow)); err != nil {
			return err
		}
	}
	feedReq := registry.FeedRequest{From: from, Type: typ, Limit: req.Limit}
	page, err := s.readWaiting(r.Context(), tenant, feedReq, time.Now().Add(wait))
	if err != nil {
		return err
	}
	out := listResponse[eventJSON]{Values: make([]eventJSON, 0, len(page.Events))}
	for _, ev := range page.Events {
		out.Values = append(out.Values, renderEvent(ev))
	}
	next := page.Next
	out.Metadata = listMetadata{Count: len(out.Values), Limit: req.Limit, NextMarker: &next}
	if req.Marker != "" {
		out.Metadata.Marker = &req.Marker
	}
	if page.More {
		href := publicURL(r, r.URL.Path, map[string]string{"marker": next})
		out.Metadata.NextHref = &href
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// readWaiting reads a page, and while it is empty looks again every
// pollInterval, the last time at deadline.
func (s *Server) readWaiting(ctx context.Context, tenant string, req registry.FeedRequest, deadline time.Time) (registry.FeedPage, error) {
	for {
		page, err := s.Events.Read(ctx, tenant, req)
		remaining := time.Until(deadline)
		if err != nil || len(page.Events) > 0 || remaining <= 0 {
			return page, err
		}
		// Skip what a filtered read already passed over.
		req.From = page.Next
		select {
		case <-ctx.Done():
			return page, nil
		case <-time.After(min(pollInterval, remaining)):
		}
	}
}
