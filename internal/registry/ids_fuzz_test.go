package registry_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/service-registry/registry/internal/registry"
)

// FuzzIDs holds ValidServiceID, ValidSessionID and ParseLimit to
// hand-written reference checkers on every string.
func FuzzIDs(f *testing.F) {
	for _, s := range []string{
		"", "a", "ab", "abc", "svc-1", "svc.two", "svc_3", "SVC-1", "abcdefghijkl", "0", "000000000000000",
		"aaaaaaaaaaaaaaaa", "..", "...", "../..", "%2e%2e", "%2F", "a/b", "a b", "a\x00b", "abc\n", "\tabc",
		"svc-\u212a", "\u017fvc", "ſ", "K", "café", "\xff\xfe\xfd", "ａｂｃ", "abc\u200b",
		strings.Repeat("s", 65), strings.Repeat("s", 66), strings.Repeat("a", 15), strings.Repeat("a", 16),
		// Limits.
		"1", "100", "1000", "1001", "0", "-0", "-1", "+5", "+0", "++5", "+-5", "005", "0001000", "00001001",
		"1e3", "1.0", "0x10", "1_000", " 5", "5 ", "٥", "10\x00", "99999999999999999999", "-99999999999999999999",
		"+", "-", "00", "+1000", "+1001",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := registry.ValidServiceID(s), refServiceID(s); got != want {
			t.Fatalf("ValidServiceID(%q) = %v, reference %v", s, got, want)
		}
		if got, want := registry.ValidSessionID(s), refSessionID(s); got != want {
			t.Fatalf("ValidSessionID(%q) = %v, reference %v", s, got, want)
		}
		n, err := registry.ParseLimit(s)
		wantN, wantOK := refParseLimit(s)
		if (err == nil) != wantOK || (err == nil && n != wantN) {
			t.Fatalf("ParseLimit(%q) = %d, %v; reference %d, %v", s, n, err, wantN, wantOK)
		}
		if err != nil {
			var e *registry.Error
			if !errors.As(err, &e) || e.Kind != registry.KindInvalidLimit || n != 0 {
				t.Fatalf("ParseLimit(%q) = %d, %v: want 0 and an invalidLimit error", s, n, err)
			}
		} else if n < 1 || n > registry.MaxLimit {
			t.Fatalf("ParseLimit(%q) = %d, out of range", s, n)
		}
	})
}

// refServiceID: 3 to 65 bytes of [a-zA-Z0-9_.-].
func refServiceID(s string) bool {
	return refRun(s, 3, 65, func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
	})
}

// refSessionID: 1 to 15 bytes of [a-z0-9].
func refSessionID(s string) bool {
	return refRun(s, 1, 15, func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' })
}

// refParseLimit: empty is the default 100; otherwise a decimal integer from
// 1 to 1000 written the canonical way: digits only, no sign, no leading zero.
func refParseLimit(s string) (int, bool) {
	if s == "" {
		return registry.DefaultLimit, true
	}
	if !refRun(s, 1, 4, func(c byte) bool { return '0' <= c && c <= '9' }) || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= 1 && n <= registry.MaxLimit
}
