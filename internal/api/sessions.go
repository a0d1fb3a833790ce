package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/service-registry/registry/internal/registry"
)

// sessionJSON is a session as clients see it.
type sessionJSON struct {
	ID               string            `json:"id"`
	HeartbeatTimeout int               `json:"heartbeat_timeout"`
	Metadata         map[string]string `json:"metadata"`
	LastSeen         *int64            `json:"last_seen"`
}

func renderSession(s *registry.Session) sessionJSON {
	out := sessionJSON{ID: s.ID, HeartbeatTimeout: s.HeartbeatTimeout, Metadata: s.Metadata}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	if !s.LastSeen.IsZero() {
		ms := s.LastSeen.UnixMilli()
		out.LastSeen = &ms
	}
	return out
}

// sessionBody is the body of POST and PUT /sessions. Metadata is a pointer so
// that an absent field leaves the metadata as it is on update. A field may be
// absent but not null (see checkFieldNames); omitempty encodes it the same way.
type sessionBody struct {
	HeartbeatTimeout *int               `json:"heartbeat_timeout,omitempty"`
	Metadata         *map[string]string `json:"metadata,omitempty"`
}

func (b sessionBody) input() registry.SessionInput {
	in := registry.SessionInput{HeartbeatTimeout: b.HeartbeatTimeout}
	if b.Metadata != nil {
		in.Metadata, in.HasMetadata = *b.Metadata, true
	}
	return in
}

type tokenJSON struct {
	Token string `json:"token"`
}

// sessionID reads the {id} of the route; an id that cannot name a session is
// answered like an absent one, without a store round trip.
func sessionID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !registry.ValidSessionID(id) {
		return "", registry.NotFound("session", id)
	}
	return id, nil
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request, tenant string) error {
	var body sessionBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	in := body.input()
	if err := in.ValidateCreate(); err != nil {
		return err
	}
	now := s.now()
	sess := &registry.Session{
		HeartbeatTimeout: *in.HeartbeatTimeout,
		Metadata:         in.Metadata,
		Deadline:         now.Add(time.Duration(*in.HeartbeatTimeout) * time.Second),
		Token:            registry.NewToken(),
	}
	// A fresh id collides with odds of one in 2^60 per pair; if it ever
	// does, draw again rather than fail the client.
	var err error
	for range 3 {
		sess.ID = registry.NewSessionID()
		if err = s.Sessions.CreateSession(r.Context(), tenant, sess); !errors.Is(err, registry.ErrExists) {
			break
		}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", publicURL(r, "/v1.0/"+tenant+"/sessions/"+sess.ID, nil))
	writeJSON(w, http.StatusCreated, struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}{sess.ID, sess.Token})
	return nil
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request, tenant string) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	sess, err := s.Sessions.GetSession(r.Context(), tenant, id, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renderSession(sess))
	return nil
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, tenant string) error {
	req, err := pageRequest(r, registry.ValidSessionID)
	if err != nil {
		return err
	}
	page, err := s.Sessions.ListSessions(r.Context(), tenant, req, s.now())
	if err != nil {
		return err
	}
	writeList(w, r, req, page, renderSession)
	return nil
}

func (s *Server) updateSession(w http.ResponseWriter, r *http.Request, tenant string) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	var body sessionBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	in := body.input()
	if err := in.ValidateUpdate(); err != nil {
		return err
	}
	if err := s.Sessions.UpdateSession(r.Context(), tenant, id, in, s.now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request, tenant string) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	var body tokenJSON
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if body.Token == "" {
		return registry.Errorf(registry.KindInvalid, "token is required.")
	}
	token, err := s.Sessions.Heartbeat(r.Context(), tenant, id, body.Token, registry.NewToken(), s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenJSON{Token: token})
	return nil
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request, tenant string) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	if err := s.Sessions.DeleteSession(r.Context(), tenant, id, s.now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
