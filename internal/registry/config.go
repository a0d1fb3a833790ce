package registry

import (
	"regexp"
	"strings"
)

// Configuration value limits.
const (
	MaxConfigIDLength    = 500
	MaxConfigValueLength = 1024
)

// ConfigValue is an opaque string stored under an id. An id may carry a
// namespace: "/production/cassandra/listen_ip" is the key "listen_ip" in the
// namespace "/production/cassandra/".
type ConfigValue struct {
	ID    string
	Value string
	// Version counts the writes to the value, from 1; it is the ETag.
	Version int64
}

// The id rule, spelled out in its two parts: up to ten namespace segments of
// 3 to 50 characters, each with its "/" on both sides, then a key of 3 to 170
// characters. The classes are written in ASCII without (?i): under (?i) Go
// folds "k" to the Kelvin sign and "s" to the long s, letting non-ASCII ids
// through.
const (
	namespaceSegments = `(/[a-zA-Z0-9_-]{3,50}){1,10}/`
	configKey         = `[a-zA-Z0-9_.-]{3,170}`
)

var (
	namespacePattern = regexp.MustCompile(`^` + namespaceSegments + `$`)
	configIDPattern  = regexp.MustCompile(`^(` + namespaceSegments + `)?` + configKey + `$`)
)

// ValidConfigID reports whether id can name a configuration value: a bare
// key ("listen_ip") or a namespace followed by a key
// ("/production/cassandra/listen_ip"), at most 500 characters in all.
//
// It is stricter than the one-line rule of the API contract, which also
// matches "/a_b//c_d" (an empty segment) and "/abc" (a namespace segment
// with no key after it): neither names a key in a namespace, and the second
// could not be reached through a URL, where "abc" is the bare key.
func ValidConfigID(id string) bool {
	return len(id) <= MaxConfigIDLength && configIDPattern.MatchString(id)
}

// ValidNamespace reports whether ns ("/a/b/") can name a namespace.
func ValidNamespace(ns string) bool {
	return len(ns) <= MaxConfigIDLength && namespacePattern.MatchString(ns)
}

// ValidateConfigValue checks a value: a string of 1 to 1024 characters.
func ValidateConfigValue(v string) error {
	if !validText(v, 1, MaxConfigValueLength) {
		return Errorf(KindInvalid, "value must be a string of 1 to %d characters.", MaxConfigValueLength)
	}
	return nil
}

// ConfigRef is how a request names configuration: one value by id, or a
// namespace (every value under it and its sub-namespaces).
type ConfigRef struct {
	ID        string // set for a value
	Namespace string // set for a namespace, ending in "/"
}

// ParseConfigPath reads the part of a URL path after "/configuration/".
// A trailing slash names a namespace; otherwise it names a value, whose id
// has a leading "/" when it is namespaced ("production/x" is "/production/x")
// and none when it is a bare key ("listen_ip").
func ParseConfigPath(rest string) (ConfigRef, error) {
	if strings.HasSuffix(rest, "/") {
		ns := "/" + rest
		if !ValidNamespace(ns) {
			return ConfigRef{}, Errorf(KindInvalid, "%q is not a valid namespace: "+
				"a namespace is 1 to 10 segments of 3 to 50 letters, digits, '_' or '-', each followed by '/'.", ns)
		}
		return ConfigRef{Namespace: ns}, nil
	}
	id := rest
	if strings.Contains(rest, "/") {
		id = "/" + rest
	}
	if !ValidConfigID(id) {
		return ConfigRef{}, Errorf(KindInvalid, "%q is not a valid configuration id: "+
			"an id is up to 10 namespace segments of 3 to 50 letters, digits, '_' or '-', each followed by '/', "+
			"then a key of 3 to 170 letters, digits, '_', '-' or '.'; at most %d characters in all.", id, MaxConfigIDLength)
	}
	return ConfigRef{ID: id}, nil
}

// ConfigPath is the inverse of ParseConfigPath: the URL path of a value below
// "/configuration/".
func ConfigPath(id string) string { return strings.TrimPrefix(id, "/") }

// Precondition is a compare-and-set condition on a write. At most one of its
// fields is set.
type Precondition struct {
	// IfMatch, when set, is the version the value must have.
	IfMatch *int64
	// IfExists requires that the value exists, whatever its version.
	IfExists bool
	// IfNoneMatch requires that no value exists (create only).
	IfNoneMatch bool
}

// ConfigExists reports that a create-only write found the value id there.
func ConfigExists(id string) *Error {
	return configConflict(id, "The configuration value already exists.")
}

// ConfigMismatch reports that a compare-and-set found the value id absent or
// at another version than required.
func ConfigMismatch(id string) *Error {
	return configConflict(id, "The configuration value does not exist or has another version.")
}

// configConflict is a failed Precondition; it matches ErrConflict.
func configConflict(id, message string) *Error {
	return &Error{Kind: KindPrecondition, Message: message, Details: "configuration value " + id}
}
