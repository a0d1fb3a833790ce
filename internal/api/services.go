package api

import (
	"net/http"

	"github.com/service-registry/registry/internal/registry"
)

// serviceJSON is a service as clients see it.
type serviceJSON struct {
	ID        string            `json:"id"`
	SessionID string            `json:"session_id"`
	Tags      []string          `json:"tags"`
	Metadata  map[string]string `json:"metadata"`
}

func renderService(s *registry.Service) serviceJSON {
	out := serviceJSON{ID: s.ID, SessionID: s.SessionID, Tags: s.Tags, Metadata: s.Metadata}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	return out
}

// serviceBody is the body of POST and PUT /services. Pointers tell an absent
// field from an empty one: on update an absent field is left as it is. A field
// may be absent but not null (see checkFieldNames); omitempty encodes it the
// same way.
type serviceBody struct {
	ID        string             `json:"id"`
	SessionID string             `json:"session_id"`
	Tags      *[]string          `json:"tags,omitempty"`
	Metadata  *map[string]string `json:"metadata,omitempty"`
}

func (b serviceBody) input() registry.ServiceInput {
	in := registry.ServiceInput{ID: b.ID, SessionID: b.SessionID}
	if b.Tags != nil {
		in.Tags, in.HasTags = *b.Tags, true
	}
	if b.Metadata != nil {
		in.Metadata, in.HasMetadata = *b.Metadata, true
	}
	return in
}

// serviceID reads the {id} of the route; an id that cannot name a service is
// answered like an absent one, without a store round trip.
func serviceID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !registry.ValidServiceID(id) {
		return "", registry.NotFound("service", id)
	}
	return id, nil
}

func (s *Server) createService(w http.ResponseWriter, r *http.Request, tenant string) error {
	var body serviceBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	in := body.input()
	if err := in.ValidateCreate(); err != nil {
		return err
	}
	svc := &registry.Service{
		ID:        in.ID,
		SessionID: in.SessionID,
		Tags:      registry.DedupTags(in.Tags),
		Metadata:  in.Metadata,
	}
	if err := s.Services.CreateService(r.Context(), tenant, svc, s.now()); err != nil {
		return err
	}
	w.Header().Set("Location", publicURL(r, "/v1.0/"+tenant+"/services/"+svc.ID, nil))
	writeJSON(w, http.StatusCreated, renderService(svc))
	return nil
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request, tenant string) error {
	id, err := serviceID(r)
	if err != nil {
		return err
	}
	svc, err := s.Services.GetService(r.Context(), tenant, id, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderService(svc))
	return nil
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request, tenant string) error {
	req, err := pageRequest(r, registry.ValidServiceID)
	if err != nil {
		return err
	}
	tag := r.URL.Query().Get("tag")
	if r.URL.Query().Has("tag") && !registry.ValidTag(tag) {
		return registry.Errorf(registry.KindInvalid, "tag must be a string of 1 to %d characters.", registry.MaxTagLength)
	}
	page, err := s.Services.ListServices(r.Context(), tenant, tag, req, s.now())
	if err != nil {
		return err
	}
	writeList(w, r, req, page, renderService)
	return nil
}

func (s *Server) updateService(w http.ResponseWriter, r *http.Request, tenant string) error {
	id, err := serviceID(r)
	if err != nil {
		return err
	}
	var body serviceBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if body.ID != "" || body.SessionID != "" {
		return registry.Errorf(registry.KindInvalid, "id and session_id cannot be changed.")
	}
	in := body.input()
	if err := in.ValidateUpdate(); err != nil {
		return err
	}
	if err := s.Services.UpdateService(r.Context(), tenant, id, in, s.now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteService(w http.ResponseWriter, r *http.Request, tenant string) error {
	id, err := serviceID(r)
	if err != nil {
		return err
	}
	if err := s.Services.DeleteService(r.Context(), tenant, id, s.now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
