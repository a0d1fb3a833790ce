package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/service-registry/registry/internal/registry"
)

// jsonFuzzSeeds are request bodies worth starting from: valid bodies of every
// handler, and the hostile shapes a strict decoder must turn away.
func jsonFuzzSeeds() []string {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	return []string{
		// Valid bodies.
		`{"heartbeat_timeout": 10, "metadata": {"host": "db-1"}}`,
		`{"heartbeat_timeout": 3}`,
		`{"metadata": {}}`,
		`{"id": "svc-1", "session_id": "abcdefghijkl", "tags": ["a", "b", "a"], "metadata": {"k": "v"}}`,
		`{"tags": [], "metadata": null}`,
		`{"token": "tok"}`,
		`{"value": "x"}`,
		`{"value": ""}`,
		`{}`,
		` {"value":"x"} ` + "\n\t",
		`{"metadata": {"a": null}, "tags": [null]}`,
		`{"value": "\u0000"}`,
		`{"value": "\ud800"}`,
		`{"value": "` + long("é", 300) + `"}`,
		// Not objects.
		``, ` `, `null`, ` null `, `true`, `1`, `-0`, `1e400`, `"x"`, `[]`, `[{}]`,
		// Trailing data.
		`{"a":1}garbage`, `{"value":"x"}garbage`, `{"value":"x"}{}`, `{"value":"x"} {"value":"y"}`,
		`{"value":"x"}]`, `{"value":"x"}}`, `{"value":"x"}` + "\x00",
		// Duplicate keys, at every depth.
		`{"value":"a","value":"b"}`,
		`{"metadata":{"k":"1","k":"2"}}`,
		`{"tags":[{"a":1,"a":2}]}`,
		`{"x":[[{"y":{"z":1,"z":2}}]]}`,
		`{"metadata":{"a":"1"},"metadata":{"b":"2"}}`,
		`{"a":{"b":1},"b":{"a":1},"c":[{"a":1},{"a":1}]}`,
		`{"value":"a","v\u0061lue":"b"}`,
		`{"\u00e9":1,"é":2}`,
		"{\"\xff\":1,\"\xfe\":2}",
		// Case and look-alike variants of field names.
		`{"VALUE":"x"}`,
		`{"value":"a","VALUE":"b"}`,
		`{"Heartbeat_Timeout": 10}`,
		`{"to` + "\u212a" + `en":"t"}`,
		`{"` + "\u017f" + `ession_id":"abc"}`,
		`{"id":"svc-1","session_id":"abc","` + "\u017f" + `ession_id":"xyz"}`,
		// Wrong types and odd numbers.
		`{"heartbeat_timeout": "10"}`,
		`{"heartbeat_timeout": 1e400}`,
		`{"heartbeat_timeout": 1.5}`,
		`{"heartbeat_timeout": -0}`,
		`{"heartbeat_timeout": 99999999999999999999999999}`,
		`{"heartbeat_timeout": NaN}`,
		`{"heartbeat_timeout": "NaN"}`,
		`{"heartbeat_timeout": Infinity}`,
		`{"heartbeat_timeout": 0x10}`,
		`{"heartbeat_timeout": true}`,
		`{"metadata": []}`,
		`{"metadata": {"k": 1}}`,
		`{"tags": "a"}`,
		`{"tags": [1]}`,
		`{"value": null}`,
		`{"value": ["x"]}`,
		`{"token": {}}`,
		`{"unknown": 1}`,
		// Broken syntax and encodings.
		`{`, `{"value"`, `{"value":`, `{"value":"x"`, `{"value":"x",}`, `{'value':'x'}`,
		`{"value":"x\"}`, `{"value":"\x"}`, `{"value":"\u12"}`,
		"{\"value\":\"\xff\xfe\"}", "\xef\xbb\xbf{}", "{\"value\":\"a\x00b\"}", "{\"value\":\"a\nb\"}",
		"{\"\xc0\xaf\":1}",
		// Deep nesting, kept shallow enough that mutating and minimising
		// stays fast (encoding/json itself stops at 10000 levels).
		`{"tags":` + deep(64) + `}`,
		`{"tags":[` + deep(16) + `]}`,
		deep(128),
		`{"a":` + strings.Repeat(`{"a":`, 32) + `1` + strings.Repeat(`}`, 33),
		`{"a":` + strings.Repeat(`{"b":1,"a":`, 16) + `{"b":1,"b":2}` + strings.Repeat(`}`, 17),
		// Bodies around MaxBodyBytes are pinned by TestDecodeJSONTooLarge:
		// as seeds they would make every mutation and minimisation slow.
	}
}

// FuzzDecodeJSON holds decodeJSON to its contract for every body type a
// handler decodes: no panic; an error is always a client error (invalid or
// tooLarge, never internal); an accepted body is valid JSON without
// duplicate keys, and what was decoded survives re-encoding and decoding.
// checkDuplicateKeys is compared with an independent recursive checker.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range jsonFuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDuplicateKeysAgainstReference(t, body)
		checkDecode[sessionBody](t, body)
		checkDecode[serviceBody](t, body)
		checkDecode[tokenJSON](t, body)
		checkDecode[configBody](t, body)
	})
}

// decodeBody runs decodeJSON as a handler would, on a request carrying body.
func decodeBody(body []byte, v any) error {
	r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	return decodeJSON(httptest.NewRecorder(), r, v)
}

func checkDecode[T any](t *testing.T, body []byte) {
	t.Helper()
	typ := reflect.TypeFor[T]().Name()
	var v T
	err := decodeBody(body, &v)
	if err != nil {
		var e *registry.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: error is not a *registry.Error: %T %v", typ, err, err)
		}
		wantKind := registry.KindInvalid
		if len(body) > MaxBodyBytes {
			wantKind = registry.KindTooLarge
		}
		if e.Kind != wantKind {
			t.Fatalf("%s: body of %d bytes: error kind %q, want %q (%v)", typ, len(body), e.Kind, wantKind, err)
		}
		if e.Message == "" {
			t.Fatalf("%s: error without a message", typ)
		}
		// The message is for clients: no Go type names, unless the client
		// sent those very words.
		for _, word := range []string{"Go ", "struct", "sessionBody", "serviceBody", "tokenJSON", "configBody", "map[", "*int", "[]string", "registry."} {
			if strings.Contains(e.Message, word) && !bytes.Contains(body, []byte(word)) {
				t.Fatalf("%s: message leaks %q: %s", typ, word, e.Message)
			}
		}
		return
	}

	// Accepted.
	if len(body) > MaxBodyBytes {
		t.Fatalf("%s: accepted a body of %d bytes", typ, len(body))
	}
	if !json.Valid(body) {
		t.Fatalf("%s: accepted invalid JSON %q", typ, body)
	}
	if err := checkDuplicateKeys(body); err != nil {
		t.Fatalf("%s: accepted, yet checkDuplicateKeys says %v", typ, err)
	}
	if refHasDuplicateKey(body) {
		t.Fatalf("%s: accepted a body with a duplicate key: %q", typ, body)
	}
	checkTopLevelKeys(t, typ, reflect.TypeFor[T](), body)

	// Round trip: what was decoded encodes to a body that decodes the same.
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: re-encoding %+v: %v", typ, v, err)
	}
	var w T
	if err := decodeBody(again, &w); err != nil {
		t.Fatalf("%s: re-encoded body %s rejected: %v", typ, again, err)
	}
	if !reflect.DeepEqual(v, w) {
		t.Fatalf("%s: round trip differs:\n first  %#v\n second %#v\n body %q\n again %s", typ, v, w, body, again)
	}
}

// checkTopLevelKeys checks that an accepted body is a JSON object whose keys
// all name a field of the struct exactly.
func checkTopLevelKeys(t *testing.T, typ string, st reflect.Type, body []byte) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("%s: accepted a body that is not an object: %q", typ, body)
	}
	if top == nil {
		t.Fatalf("%s: accepted non-object %q", typ, body)
	}
	var names []string
	for i := 0; i < st.NumField(); i++ {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	for key := range top {
		if !slices.Contains(names, key) {
			// Exactly a field's name: encoding/json alone would also take
			// "VALUE" or a Kelvin-sign "toKen" for "value" and "token".
			t.Fatalf("%s: accepted key %q (not exactly a field name) in %q", typ, key, body)
		}
	}
}

// checkDuplicateKeysAgainstReference compares checkDuplicateKeys with
// refHasDuplicateKey on every body encoding/json considers valid; on any
// other body it only must not panic and speak a client error.
func checkDuplicateKeysAgainstReference(t *testing.T, body []byte) {
	t.Helper()
	err := checkDuplicateKeys(body)
	if err != nil && registry.KindOf(err) != registry.KindInvalid {
		t.Fatalf("checkDuplicateKeys: kind %q: %v", registry.KindOf(err), err)
	}
	if !json.Valid(body) {
		return
	}
	if want := refHasDuplicateKey(body); want != (err != nil) {
		t.Fatalf("checkDuplicateKeys(%q) = %v; the reference says duplicate=%v", body, err, want)
	}
}

// refHasDuplicateKey is an independent duplicate-key check for one valid
// JSON value: a recursive descent over the decoder's tokens, one set of keys
// per object. Keys are compared after unescaping (as encoding/json would
// store them), so "\u0061" and "a" are the same key.
func refHasDuplicateKey(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dup, err := refValue(dec)
	if err != nil {
		panic(fmt.Sprintf("reference parser on valid JSON %q: %v", body, err))
	}
	return dup
}

func refValue(dec *json.Decoder) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return false, nil // a scalar
	}
	dup := false
	switch delim {
	case '[':
		for dec.More() {
			d, err := refValue(dec)
			if err != nil {
				return false, err
			}
			dup = dup || d
		}
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return false, err
			}
			key, ok := tok.(string)
			if !ok {
				return false, fmt.Errorf("key %v is not a string", tok)
			}
			if seen[key] {
				dup = true
			}
			seen[key] = true
			d, err := refValue(dec)
			if err != nil {
				return false, err
			}
			dup = dup || d
		}
	default:
		return false, fmt.Errorf("unexpected %v", delim)
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return false, err
	}
	return dup, nil
}

// TestDecodeJSONTooLarge pins the 413 boundary the fuzzer rarely reaches.
func TestDecodeJSONTooLarge(t *testing.T) {
	fits := []byte(`{"value":"` + strings.Repeat("x", MaxBodyBytes-12) + `"}`)
	if len(fits) != MaxBodyBytes {
		t.Fatalf("len %d", len(fits))
	}
	var b configBody
	if err := decodeBody(fits, &b); err != nil {
		t.Fatalf("a body of exactly MaxBodyBytes: %v", err)
	}
	over := append(fits[:len(fits)-1:len(fits)-1], ` }`...)
	if err := decodeBody(over, &b); registry.KindOf(err) != registry.KindTooLarge {
		t.Fatalf("a body of MaxBodyBytes+1: %v", err)
	}
}
