package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/service-registry/registry/internal/registry"
)

// configJSON is a configuration value as clients see it.
type configJSON struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

func renderConfig(v *registry.ConfigValue) configJSON { return configJSON{ID: v.ID, Value: v.Value} }

// configBody is the body of PUT /configuration/{id}. Value is a pointer so
// that a missing value is told from an empty one; omitempty encodes a missing
// one as absent, never null (see checkFieldNames).
type configBody struct {
	Value *string `json:"value,omitempty"`
}

// etag is the strong entity tag of a version: "3", quotes included.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// parseETag reads an entity tag made by etag.
func parseETag(tag string) (int64, bool) {
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	digits := tag[1 : len(tag)-1]
	if strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	v, ok := registry.ParseDecimal(digits)
	if !ok {
		// A well-formed tag we never hand out ("01"): entity tags compare
		// character by character, so it matches no version.
		return -1, true
	}
	return int64(v), true
}

// preconditionOf reads If-Match and If-None-Match. Writes of one value need
// only these forms: If-Match with "*" or one entity tag (compare-and-set),
// and, on PUT, If-None-Match: * (create only). Any other form is a bad
// request rather than a precondition that silently never holds; so is a
// header given empty. Header lines given twice are read as the list they
// make.
func preconditionOf(r *http.Request) (registry.Precondition, error) {
	var pre registry.Precondition
	hasMatch, hasNoneMatch := len(r.Header.Values("If-Match")) > 0, len(r.Header.Values("If-None-Match")) > 0
	match := strings.Join(r.Header.Values("If-Match"), ", ")
	noneMatch := strings.Join(r.Header.Values("If-None-Match"), ", ")
	switch {
	case hasMatch && hasNoneMatch:
		return pre, registry.Errorf(registry.KindInvalid, "Give If-Match or If-None-Match, not both.")
	case match == "*":
		pre.IfExists = true
	case hasMatch:
		v, ok := parseETag(match)
		if !ok {
			return pre, registry.Errorf(registry.KindInvalid, `If-Match must be "*" or one ETag, such as "3".`)
		}
		pre.IfMatch = &v
	case noneMatch == "*" && r.Method == http.MethodPut:
		pre.IfNoneMatch = true
	case hasNoneMatch:
		return pre, registry.Errorf(registry.KindInvalid, `If-None-Match must be "*", and only on PUT.`)
	}
	return pre, nil
}

// configRef reads what the {path...} of the route names.
func configRef(r *http.Request) (registry.ConfigRef, error) {
	return registry.ParseConfigPath(r.PathValue("path"))
}

// configID reads the value a write names; a namespace cannot be written.
func configID(r *http.Request) (string, error) {
	ref, err := configRef(r)
	if err != nil {
		return "", err
	}
	if ref.ID == "" {
		return "", registry.Errorf(registry.KindInvalid,
			"%q is a namespace; only values can be written. Without the trailing slash the path names a value.", ref.Namespace)
	}
	return ref.ID, nil
}

// listConfig answers GET /configuration: every value.
func (s *Server) listConfig(w http.ResponseWriter, r *http.Request, tenant string) error {
	return s.listNamespace(w, r, tenant, "")
}

// getConfig answers GET /configuration/{path...}: with a trailing slash the
// values under a namespace, without it one value. "/configuration/" alone is
// the root: every value, as for GET /configuration.
func (s *Server) getConfig(w http.ResponseWriter, r *http.Request, tenant string) error {
	if r.PathValue("path") == "" {
		return s.listNamespace(w, r, tenant, "")
	}
	ref, err := configRef(r)
	if err != nil {
		return err
	}
	if ref.Namespace != "" {
		return s.listNamespace(w, r, tenant, ref.Namespace)
	}
	v, err := s.Config.GetConfig(r.Context(), tenant, ref.ID)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(v.Version))
	writeJSON(w, http.StatusOK, renderConfig(v))
	return nil
}

// listNamespace lists the values under namespace, or every value when it is
// empty. A namespace exists only while a value lives under it, so an empty
// one is not found; past a marker, an empty page only means the end.
func (s *Server) listNamespace(w http.ResponseWriter, r *http.Request, tenant, namespace string) error {
	req, err := pageRequest(r, registry.ValidConfigID)
	if err != nil {
		return err
	}
	page, err := s.Config.ListConfig(r.Context(), tenant, namespace, req)
	if err != nil {
		return err
	}
	if namespace != "" && req.Marker == "" && len(page.Items) == 0 {
		return registry.NotFound("namespace", namespace)
	}
	writeList(w, r, req, page, renderConfig)
	return nil
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request, tenant string) error {
	id, err := configID(r)
	if err != nil {
		return err
	}
	pre, err := preconditionOf(r)
	if err != nil {
		return err
	}
	var body configBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if body.Value == nil {
		return registry.Errorf(registry.KindInvalid, "value is required.")
	}
	if err := registry.ValidateConfigValue(*body.Value); err != nil {
		return err
	}
	v, err := s.Config.PutConfig(r.Context(), tenant, id, *body.Value, pre)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(v.Version))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteConfig(w http.ResponseWriter, r *http.Request, tenant string) error {
	id, err := configID(r)
	if err != nil {
		return err
	}
	pre, err := preconditionOf(r)
	if err != nil {
		return err
	}
	if err := s.Config.DeleteConfig(r.Context(), tenant, id, pre); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
