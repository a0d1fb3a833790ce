package registry_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/service-registry/registry/internal/registry"
)

// FuzzConfigPath holds ParseConfigPath, ValidConfigID, ValidNamespace,
// ConfigPath and ValidateConfigValue to hand-written reference checkers, and
// checks what a parsed path can be: a value id that is valid, round-trips
// through ConfigPath and is plain ASCII with no "//", no "." or ".."
// segment and no control character; or a namespace "/.../" that is valid.
func FuzzConfigPath(f *testing.F) {
	seg50, seg51 := strings.Repeat("s", 50), strings.Repeat("s", 51)
	key170, key171 := strings.Repeat("k", 170), strings.Repeat("k", 171)
	// Nine 50-character segments and a 40-character key make exactly 500.
	nine := strings.Repeat(seg50+"/", 9)
	for _, s := range []string{
		"listen_ip", "prod/cassandra/listen_ip", "prod/cassandra/", "Prod/CASSANDRA/Listen.IP",
		"", "/", "//", "///", "abc", "ab", "abc/", "ab/", "abc//", "abc/def/", "/abc", "/abc/def",
		"prod//cassandra/key", "prod/cassandra//key", "prod/cassandra/key/", "prod/cassandra/key//",
		"..", "...", "a..b", ".abc", "abc.", "prod/../key", "prod/./key", "prod/.../key", "prod/cassandra/..",
		"prod/cassandra/...", "../../etc/passwd", "prod/%2e%2e/key", "prod%2Fcassandra%2Fkey", "%2e%2e%2e",
		"prod\\cassandra\\key", "prod/cas.sandra/key", "prod/cassandra/ke y", "prod/cassandra/key ",
		"prod/ca\u212assandra/key", "\u017ftuff/key", "prod/cassandra/li\u017ften", "prod/cassandra/\u212aey",
		"prod/cassandra/listen\x00ip", "prod/cassandra/listen\x7fip", "prod/cassandra/listen\nip", "\t\t\t",
		"\xff\xfe\xfd", "prod/\xc0\xaf\xc0\xaf/key", "ｐｒｏｄ/key/value",
		key170, key171, "abc/" + key170, "abc/" + key171,
		seg50 + "/key", seg51 + "/key", seg50 + "/", seg51 + "/",
		strings.Repeat("abc/", 10) + "key", strings.Repeat("abc/", 11) + "key",
		strings.Repeat("abc/", 10), strings.Repeat("abc/", 11),
		nine + strings.Repeat("k", 39), nine + strings.Repeat("k", 40), nine + strings.Repeat("k", 41),
		strings.Repeat(seg50+"/", 10),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// ValidConfigID and ValidNamespace agree with the references on s
		// as an id or a namespace, whatever it is.
		if got, want := registry.ValidConfigID(s), refConfigID(s); got != want {
			t.Fatalf("ValidConfigID(%q) = %v, reference %v", s, got, want)
		}
		if got, want := registry.ValidNamespace(s), refNamespace(s); got != want {
			t.Fatalf("ValidNamespace(%q) = %v, reference %v", s, got, want)
		}
		if got, want := registry.ValidateConfigValue(s) == nil, refText(s, 1, registry.MaxConfigValueLength); got != want {
			t.Fatalf("ValidateConfigValue(%q) accepts = %v, reference %v", s, got, want)
		}
		// Every valid id and namespace is reached by its path.
		if registry.ValidConfigID(s) {
			if ref, err := registry.ParseConfigPath(registry.ConfigPath(s)); err != nil || ref != (registry.ConfigRef{ID: s}) {
				t.Fatalf("id %q: ParseConfigPath(ConfigPath) = %+v, %v", s, ref, err)
			}
		}
		if registry.ValidNamespace(s) {
			if ref, err := registry.ParseConfigPath(s[1:]); err != nil || ref != (registry.ConfigRef{Namespace: s}) {
				t.Fatalf("namespace %q: ParseConfigPath = %+v, %v", s, ref, err)
			}
		}

		// s as the path after /configuration/.
		ref, err := registry.ParseConfigPath(s)
		want, wantOK := refParseConfigPath(s)
		if (err == nil) != wantOK || ref != want {
			t.Fatalf("ParseConfigPath(%q) = %+v, %v; reference %+v, %v", s, ref, err, want, wantOK)
		}
		if err != nil {
			var e *registry.Error
			if !errors.As(err, &e) || e.Kind != registry.KindInvalid {
				t.Fatalf("ParseConfigPath(%q): error %v is not invalid", s, err)
			}
			if ref != (registry.ConfigRef{}) {
				t.Fatalf("ParseConfigPath(%q): error with a value %+v", s, ref)
			}
			return
		}
		switch {
		case ref.ID != "" && ref.Namespace != "", ref.ID == "" && ref.Namespace == "":
			t.Fatalf("ParseConfigPath(%q) = %+v: want exactly one of ID and Namespace", s, ref)
		case ref.ID != "":
			id := ref.ID
			if !registry.ValidConfigID(id) {
				t.Fatalf("ParseConfigPath(%q) = invalid id %q", s, id)
			}
			if registry.ConfigPath(id) != s {
				t.Fatalf("ConfigPath(%q) = %q, want %q", id, registry.ConfigPath(id), s)
			}
			if again, err := registry.ParseConfigPath(registry.ConfigPath(id)); err != nil || again != ref {
				t.Fatalf("id %q does not round-trip: %+v, %v", id, again, err)
			}
			checkSafePath(t, id)
			if strings.HasSuffix(id, "/") {
				t.Fatalf("id %q ends in /", id)
			}
		default:
			ns := ref.Namespace
			if !registry.ValidNamespace(ns) || !strings.HasPrefix(ns, "/") || !strings.HasSuffix(ns, "/") {
				t.Fatalf("ParseConfigPath(%q) = bad namespace %q", s, ns)
			}
			checkSafePath(t, ns)
			if strings.Contains(ns, ".") {
				t.Fatalf("namespace %q contains a dot", ns)
			}
		}
	})
}

// checkSafePath checks what a stored id or namespace must never contain:
// anything but printable ASCII, an empty segment ("//"), a "." or ".."
// segment, or a percent sign or backslash that something downstream could
// decode.
//
// A ".." inside a key is allowed by the id rules ('.' is a key character, so
// "a..b" and "..." are valid keys); it is not a path segment, so it cannot
// climb a namespace.
func checkSafePath(t *testing.T, p string) {
	t.Helper()
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x21 || c > 0x7e || c == '%' || c == '\\' {
			t.Fatalf("%q contains byte %#x", p, c)
		}
	}
	if strings.Contains(p, "//") {
		t.Fatalf("%q contains //", p)
	}
	for _, seg := range strings.Split(strings.Trim(p, "/"), "/") {
		if seg == "." || seg == ".." {
			t.Fatalf("%q has a %q segment", p, seg)
		}
	}
}

// The references below are written from the rule, not the regexps: up to
// ten "/segment" of 3 to 50 of [A-Za-z0-9_-], then a key of 3 to 170 of
// [A-Za-z0-9_.-], at most 500 bytes in all.

func refSegmentByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

func refKeyByte(c byte) bool { return refSegmentByte(c) || c == '.' }

func refRun(s string, min, max int, ok func(byte) bool) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func refSegments(segs []string) bool {
	if len(segs) < 1 || len(segs) > 10 {
		return false
	}
	for _, seg := range segs {
		if !refRun(seg, 3, 50, refSegmentByte) {
			return false
		}
	}
	return true
}

func refConfigID(id string) bool {
	if len(id) > 500 {
		return false
	}
	if !strings.HasPrefix(id, "/") {
		return refRun(id, 3, 170, refKeyByte)
	}
	parts := strings.Split(id[1:], "/")
	return refSegments(parts[:len(parts)-1]) && refRun(parts[len(parts)-1], 3, 170, refKeyByte)
}

func refNamespace(ns string) bool {
	if len(ns) > 500 || len(ns) < 2 || ns[0] != '/' || ns[len(ns)-1] != '/' {
		return false
	}
	return refSegments(strings.Split(ns[1:len(ns)-1], "/"))
}

func refParseConfigPath(rest string) (registry.ConfigRef, bool) {
	if strings.HasSuffix(rest, "/") {
		ns := "/" + rest
		if !refNamespace(ns) {
			return registry.ConfigRef{}, false
		}
		return registry.ConfigRef{Namespace: ns}, true
	}
	id := rest
	if strings.Contains(rest, "/") {
		id = "/" + rest
	}
	if !refConfigID(id) {
		return registry.ConfigRef{}, false
	}
	return registry.ConfigRef{ID: id}, true
}
