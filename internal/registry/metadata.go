package registry

import (
	"sort"
	"unicode/utf8"
)

// Metadata limits shared by sessions and services.
const (
	MaxMetadataEntries = 20
	MaxMetadataLength  = 255
)

// Metadata is a small map of client-chosen strings.
type Metadata map[string]string

// Validate checks the entry count and the length of every key and value.
// Lengths are counted in characters, not bytes.
func (m Metadata) Validate() error {
	if len(m) > MaxMetadataEntries {
		return Errorf(KindInvalid, "metadata has %d entries; at most %d are allowed.", len(m), MaxMetadataEntries)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first offender named is the same on every run
	for _, k := range keys {
		if !validText(k, 1, MaxMetadataLength) {
			return Errorf(KindInvalid, "metadata keys must be strings of 1 to %d characters.", MaxMetadataLength)
		}
		if !validText(m[k], 1, MaxMetadataLength) {
			return Errorf(KindInvalid, "metadata value of %q must be a string of 1 to %d characters.", k, MaxMetadataLength)
		}
	}
	return nil
}

// validText reports whether s is valid UTF-8 of min to max characters.
func validText(s string, min, max int) bool {
	if !utf8.ValidString(s) {
		return false
	}
	n := utf8.RuneCountInString(s)
	return n >= min && n <= max
}
