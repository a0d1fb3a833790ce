package dynamo

import (
	"math"
	"strings"
	"testing"
)

// FuzzEventID holds EventID and ParseEventID (pure functions, no store) to
// their contract: for every n >= 0, EventID(n) is 16 lowercase hex digits
// that parse back to n and sort as the numbers do; ParseEventID accepts
// exactly the 16-digit hex numbers below 2^63, and nothing else.
func FuzzEventID(f *testing.F) {
	for _, seed := range []struct {
		n int64
		s string
	}{
		{0, "0000000000000000"}, {1, "0000000000000001"}, {10, "000000000000000a"}, {10, "000000000000000A"},
		{255, "00000000000000ff"}, {255, "00000000000000FF"}, {math.MaxInt64, "7fffffffffffffff"},
		{math.MaxInt64 - 1, "8000000000000000"}, {-1, "ffffffffffffffff"}, {math.MinInt64, "-000000000000001"},
		{1 << 32, "+000000000000001"}, {16, "0x00000000000010"}, {16, "0X00000000000010"}, {16, "0_00000000000010"},
		{0, ""}, {0, "0"}, {0, "000000000000000"}, {0, "00000000000000000"}, {0, " 000000000000001"},
		{0, "000000000000001 "}, {0, "00000000000000g1"}, {0, "000000000000000\x00"}, {0, "\u212a00000000000000"},
		{0, "０００００００００００００００１"}, {0, "E#0000000000000001"}, {0, "00000000-0000-01"},
	} {
		f.Add(seed.n, seed.s)
	}
	f.Fuzz(func(t *testing.T, n int64, s string) {
		id := EventID(n)
		if n >= 0 {
			if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
				t.Fatalf("EventID(%d) = %q: want 16 lowercase hex digits", n, id)
			}
			if got, ok := ParseEventID(id); !ok || got != n {
				t.Fatalf("ParseEventID(EventID(%d) = %q) = %d, %v", n, id, got, ok)
			}
			if n < math.MaxInt64 && !(id < EventID(n+1)) {
				t.Fatalf("EventID(%d) = %q does not sort before EventID(%d) = %q", n, id, n+1, EventID(n+1))
			}
		} else if _, ok := ParseEventID(id); ok {
			// EventID is not meant for negative numbers, but whatever it
			// makes of one must not read back as an event id.
			t.Fatalf("ParseEventID(EventID(%d) = %q) accepted", n, id)
		}

		got, ok := ParseEventID(s)
		want, wantOK := refParseEventID(s)
		if ok != wantOK || (ok && got != want) {
			t.Fatalf("ParseEventID(%q) = %d, %v; reference %d, %v", s, got, ok, want, wantOK)
		}
		if !ok {
			return
		}
		if got < 0 {
			t.Fatalf("ParseEventID(%q) = %d < 0", s, got)
		}
		if canonical := EventID(got); canonical != s {
			t.Fatalf("ParseEventID(%q) = %d, whose id is %q: one event, two ids", s, got, canonical)
		}
	})
}

// refParseEventID: exactly 16 lowercase hex digits whose value is below
// 2^63, so that it fits an int64.
func refParseEventID(s string) (int64, bool) {
	if len(s) != 16 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(d)
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}
