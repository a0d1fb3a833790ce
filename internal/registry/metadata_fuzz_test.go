package registry_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/service-registry/registry/internal/registry"
)

// fuzzSep splits a fuzz input into the strings of a metadata map (key,
// value, key, value, ...) and of a tag list.
const fuzzSep = "\x1e"

// FuzzMetadataAndTags holds Metadata.Validate, ValidateTags and ValidTag to
// hand-written references (1 to 255, or 1 to 55, characters counted as runes
// of valid UTF-8; at most 20 entries, or 10 tags), and checks that DedupTags
// keeps the first occurrence of each tag, in order.
func FuzzMetadataAndTags(f *testing.F) {
	join := func(parts ...string) string { return strings.Join(parts, fuzzSep) }
	pairs := func(n int) string {
		var parts []string
		for i := range n {
			parts = append(parts, "k"+strings.Repeat("x", i), "v")
		}
		return join(parts...)
	}
	for _, s := range []string{
		"", "k" + fuzzSep + "v", join("host", "db-1", "zone", "a"), join("", "v"), join("k", ""),
		join("a", "b", "a", "c", "b", "a"), join("k", "\x00"), join("\u0000", "v"),
		join("k", "\xff"), join("\xc0\xaf", "v"), join("k", "\xed\xa0\x80"), join("k", "\xf4\x90\x80\x80"),
		join("k", "\xef\xbf\xbd"), join("k", "\xe0\x80\xaf"), join("k", "\xf0\x8f\xbf\xbf"), join("k", "\xe2\x82"),
		join(strings.Repeat("a", 255), strings.Repeat("é", 255)), join(strings.Repeat("a", 256), "v"),
		join("k", strings.Repeat("é", 256)), join("k", strings.Repeat("\U0001F600", 255)),
		join(strings.Repeat("t", 55), strings.Repeat("ü", 55), strings.Repeat("t", 56)),
		join("t", "t", "t", "t", "t", "t", "t", "t", "t", "t"), join("t", "t", "t", "t", "t", "t", "t", "t", "t", "t", "t"),
		pairs(20), pairs(21), "\u212a" + fuzzSep + "K" + fuzzSep + "k",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		parts := strings.Split(data, fuzzSep)
		if data == "" {
			parts = nil
		}

		// Metadata from pairs; a last key without a value is left out.
		m := registry.Metadata{}
		for i := 0; i+1 < len(parts); i += 2 {
			m[parts[i]] = parts[i+1]
		}
		err := m.Validate()
		checkInvalid(t, "Metadata.Validate", err)
		if got, want := err == nil, refMetadata(m); got != want {
			t.Fatalf("Metadata.Validate(%q) = %v; reference accepts = %v", m, err, want)
		}
		if err := registry.Metadata(nil).Validate(); err != nil {
			t.Fatalf("nil metadata: %v", err)
		}

		// The parts as tags.
		err = registry.ValidateTags(parts)
		checkInvalid(t, "ValidateTags", err)
		if got, want := err == nil, refTags(parts); got != want {
			t.Fatalf("ValidateTags(%q) = %v; reference accepts = %v", parts, err, want)
		}
		for _, p := range parts {
			if got, want := registry.ValidTag(p), refText(p, 1, registry.MaxTagLength); got != want {
				t.Fatalf("ValidTag(%q) = %v, reference %v", p, got, want)
			}
		}

		got := registry.DedupTags(parts)
		// Never nil, so that a service without tags renders as [].
		if want := refDedup(parts); !slices.Equal(got, want) || got == nil {
			t.Fatalf("DedupTags(%q) = %q, want %q", parts, got, want)
		}
		if len(parts) > 0 && &got[0] == &parts[0] {
			t.Fatalf("DedupTags returned its input's array")
		}
	})
}

func checkInvalid(t *testing.T, what string, err error) {
	t.Helper()
	var e *registry.Error
	if err != nil && (!errors.As(err, &e) || e.Kind != registry.KindInvalid || e.Message == "") {
		t.Fatalf("%s: %v is not an invalid error with a message", what, err)
	}
}

func refMetadata(m registry.Metadata) bool {
	if len(m) > 20 {
		return false
	}
	for k, v := range m {
		if !refText(k, 1, 255) || !refText(v, 1, 255) {
			return false
		}
	}
	return true
}

func refTags(tags []string) bool {
	if len(tags) > 10 {
		return false
	}
	for _, tag := range tags {
		if !refText(tag, 1, 55) {
			return false
		}
	}
	return true
}

// refDedup keeps each tag's first occurrence, by a quadratic scan.
func refDedup(tags []string) []string {
	out := []string{}
	for i, tag := range tags {
		first := true
		for _, before := range tags[:i] {
			if before == tag {
				first = false
				break
			}
		}
		if first {
			out = append(out, tag)
		}
	}
	return out
}

// refText reports whether s is well-formed UTF-8 of min to max code points.
func refText(s string, min, max int) bool {
	n, ok := refRunes(s)
	return ok && n >= min && n <= max
}

// refRunes counts the code points of s, reporting whether s is well-formed
// UTF-8 per the Unicode table of well-formed byte sequences (no overlong
// forms, no surrogates, nothing past U+10FFFF).
func refRunes(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); n++ {
		c := s[i]
		size, lo, hi := 0, byte(0x80), byte(0xbf)
		switch {
		case c < 0x80:
			size = 1
		case 0xc2 <= c && c <= 0xdf:
			size = 2
		case c == 0xe0:
			size, lo = 3, 0xa0
		case 0xe1 <= c && c <= 0xec, c == 0xee, c == 0xef:
			size = 3
		case c == 0xed:
			size, hi = 3, 0x9f
		case c == 0xf0:
			size, lo = 4, 0x90
		case 0xf1 <= c && c <= 0xf3:
			size = 4
		case c == 0xf4:
			size, hi = 4, 0x8f
		default:
			return 0, false
		}
		if i+size > len(s) {
			return 0, false
		}
		for j := 1; j < size; j++ {
			b := s[i+j]
			l, h := byte(0x80), byte(0xbf)
			if j == 1 {
				l, h = lo, hi
			}
			if b < l || b > h {
				return 0, false
			}
		}
		i += size
	}
	return n, true
}
