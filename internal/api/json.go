package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/service-registry/registry/internal/registry"
)

// MaxBodyBytes bounds every request body. The largest valid body (a service
// with 20 metadata entries of 255 characters, JSON-escaped) fits well within.
const MaxBodyBytes = 64 << 10

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only our own types are encoded here; failing is a bug.
		http.Error(w, `{"type":"internalError","code":500}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// decodeJSON reads the request body into v strictly: one JSON object, no
// unknown fields, no trailing data, within MaxBodyBytes.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return registry.Errorf(registry.KindTooLarge, "The request body is larger than %d bytes.", MaxBodyBytes)
		}
		return registry.Errorf(registry.KindInvalid, "The request body could not be read.")
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		return registry.Errorf(registry.KindInvalid, "The request body must be a JSON object.")
	}
	if err := checkDuplicateKeys(body); err != nil {
		return err
	}
	if err := checkFieldNames(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return registry.Errorf(registry.KindInvalid, "Malformed JSON: %s", describeJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return registry.Errorf(registry.KindInvalid, "Malformed JSON: unexpected data after the object.")
	}
	return nil
}

// describeJSONError turns a decoding error into a message fit for a client:
// it names the field and what was expected, never Go type names.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return "the body must be a JSON object."
		}
		return fmt.Sprintf("field %q has the wrong type (got %s).", typeErr.Field, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("syntax error at byte %d.", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends too soon."
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ") + "."
	}
	return "the body is not valid JSON."
}

// checkDuplicateKeys rejects an object that names a key twice at any depth,
// which encoding/json would otherwise resolve silently to the last one.
func checkDuplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		keys    map[string]bool
		wantKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // the real decode reports syntax errors with more context
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{keys: map[string]bool{}, wantKey: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.keys != nil && top.wantKey {
				if top.keys[t] {
					return registry.Errorf(registry.KindInvalid, "Malformed JSON: key %q appears more than once.", t)
				}
				top.keys[t] = true
				top.wantKey = false
				continue
			}
		}
		// A value was read: the enclosing object now expects a key.
		if len(stack) > 0 && stack[len(stack)-1].keys != nil {
			stack[len(stack)-1].wantKey = true
		}
	}
}

// checkFieldNames rejects top-level keys that are not exactly one of v's
// JSON field names. encoding/json matches names case-insensitively (and
// folds look-alikes such as the Kelvin sign), so without this `{"value":
// "a", "VALUE": "b"}` would be accepted, with one spelling silently
// overriding the other. It also rejects a field given as null, which
// encoding/json would leave as if it were absent: a client sending
// {"metadata": null} to clear the metadata would be answered 204 with
// nothing changed.
func checkFieldNames(body []byte, v any) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil // not an object of fields: the real decode says why
	}
	names := jsonNames(reflect.TypeOf(v))
	keys := slices.Sorted(maps.Keys(fields))
	for _, k := range keys {
		if !names[k] {
			return registry.Errorf(registry.KindInvalid, "Malformed JSON: unknown field %q.", k)
		}
	}
	for _, k := range keys {
		if string(fields[k]) == "null" {
			return registry.Errorf(registry.KindInvalid, "Malformed JSON: field %q is null; leave it out instead.", k)
		}
	}
	return nil
}

// jsonNames returns the JSON names of the fields of the struct t points to.
func jsonNames(t reflect.Type) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := map[string]bool{}
	if t.Kind() != reflect.Struct {
		return names
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case name != "":
			names[name] = true
		case f.IsExported():
			names[f.Name] = true
		}
	}
	return names
}
