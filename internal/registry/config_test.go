package registry_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/service-registry/registry/internal/registry"
)

// seg returns a namespace segment "/xxx" of n characters after the slash.
func seg(n int) string { return "/" + strings.Repeat("s", n) }

// levels returns n namespace segments of 3 characters with the closing "/".
func levels(n int) string { return strings.Repeat("/abc", n) + "/" }

func TestValidConfigID(t *testing.T) {
	// 7 segments of 50 (357 characters), "/" and a key of 142 make 500.
	at500 := strings.Repeat(seg(50), 7) + "/" + strings.Repeat("k", 142)
	cases := []struct {
		id   string
		want bool
	}{
		{"listen_ip", true},
		{"/production/cassandra/listen_ip", true},
		{"/Production/Cassandra/Listen_IP", true}, // mixed case
		{"abc", true},                             // shortest key
		{"ab", false},                             // key too short
		{"", false},
		{"listen_ip.", true},             // trailing dots are key characters
		{"listen_ip...", true},           //
		{"/production/listen_ip.", true}, //
		{"..", false},                    // too short, and a path step
		{"...", true},                    // a key of dots, as the contract allows
		{"/production/..", false},        //
		{"/production/../x_y", false},    // '.' is not a namespace character
		{"/prod.uction/x_y", false},      //
		{"/production//listen_ip", false},
		{"//production/listen_ip", false},
		{"/production/cassandra/", false}, // a namespace, not a value
		{"/production", false},            // a namespace segment with no key
		{"production/listen_ip", false},   // a namespace needs its leading "/"
		{"/production/ab", false},         // key too short
		{levels(10) + "key", true},
		{levels(11) + "key", false},
		{"/abc/" + strings.Repeat("k", 170), true},
		{"/abc/" + strings.Repeat("k", 171), false},
		{strings.Repeat("k", 170), true},
		{strings.Repeat("k", 171), false},
		{seg(50) + "/key", true},
		{seg(51) + "/key", false},
		{seg(2) + "/key", false},
		{at500, true},
		{at500 + "k", false}, // 501 characters, every part within its own limit
		{"listen ip", false},
		{"listen_ip?", false},
		{"listen~ip", false},
		{"\u212Aey", false}, // the Kelvin sign, which (?i) would fold to "k"
		{"ab\u017F", false}, // the long s
		{"/produc\u212Aion/key", false},
	}
	if len(at500) != 500 {
		t.Fatalf("at500 has %d characters", len(at500))
	}
	for _, c := range cases {
		if got := registry.ValidConfigID(c.id); got != c.want {
			t.Errorf("ValidConfigID(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

func TestValidNamespace(t *testing.T) {
	cases := []struct {
		ns   string
		want bool
	}{
		{"/production/", true},
		{"/production/cassandra/", true},
		{"/Production/", true},
		{levels(10), true},
		{levels(11), false},
		{seg(50) + "/", true},
		{seg(51) + "/", false},
		{"/ab/", false},
		{"/", false},
		{"", false},
		{"//", false},
		{"/production//", false},
		{"/production//cassandra/", false},
		{"/production", false},                     // no trailing slash: a value
		{"production/", false},                     // no leading slash
		{"/prod.uction/", false},                   // '.' belongs to keys only
		{"/production/../", false},                 //
		{strings.Repeat(seg(50), 9) + "/", true},   // 460 characters
		{strings.Repeat(seg(50), 10) + "/", false}, // 511 characters, over 500
	}
	for _, c := range cases {
		if got := registry.ValidNamespace(c.ns); got != c.want {
			t.Errorf("ValidNamespace(%q) = %v, want %v", c.ns, got, c.want)
		}
	}
}

func TestParseConfigPath(t *testing.T) {
	cases := []struct {
		rest string
		want registry.ConfigRef // zero: invalid
	}{
		{"listen_ip", registry.ConfigRef{ID: "listen_ip"}},
		{"production/cassandra/listen_ip", registry.ConfigRef{ID: "/production/cassandra/listen_ip"}},
		{"production/cassandra/", registry.ConfigRef{Namespace: "/production/cassandra/"}},
		{"production/", registry.ConfigRef{Namespace: "/production/"}},
		{"listen_ip.", registry.ConfigRef{ID: "listen_ip."}},
		{"production/x", registry.ConfigRef{}}, // key too short
		{"production", registry.ConfigRef{ID: "production"}},
		{"production//x_y", registry.ConfigRef{}},
		{"production//", registry.ConfigRef{}},
		{"/production/x_y", registry.ConfigRef{}}, // a leading slash in the path is an empty segment
		{"", registry.ConfigRef{}},
		{"/", registry.ConfigRef{}},
		{"..", registry.ConfigRef{}},
		{"production/../", registry.ConfigRef{}},
	}
	for _, c := range cases {
		got, err := registry.ParseConfigPath(c.rest)
		if c.want == (registry.ConfigRef{}) {
			if !errors.Is(err, registry.ErrInvalid) {
				t.Errorf("ParseConfigPath(%q) = %+v, %v; want ErrInvalid", c.rest, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseConfigPath(%q) = %+v, %v; want %+v", c.rest, got, err, c.want)
		}
	}
}

// ConfigPath and ParseConfigPath are inverses for every valid id.
func TestConfigPathRoundTrip(t *testing.T) {
	for _, id := range []string{"listen_ip", "abc.", "/production/listen_ip", levels(10) + "key"} {
		ref, err := registry.ParseConfigPath(registry.ConfigPath(id))
		if err != nil || ref.ID != id {
			t.Errorf("ParseConfigPath(ConfigPath(%q)) = %+v, %v", id, ref, err)
		}
	}
}

func TestValidateConfigValue(t *testing.T) {
	cases := []struct {
		value string
		ok    bool
	}{
		{"x", true},
		{"", false},
		{strings.Repeat("x", 1024), true},
		{strings.Repeat("x", 1025), false},
		{strings.Repeat("é", 1024), true}, // characters, not bytes
		{"\xff", false},                   // not UTF-8
	}
	for _, c := range cases {
		err := registry.ValidateConfigValue(c.value)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, registry.ErrInvalid)) {
			t.Errorf("ValidateConfigValue(%d bytes) = %v, want ok=%v", len(c.value), err, c.ok)
		}
	}
}

func TestPreconditionErrorsAreConflicts(t *testing.T) {
	for _, err := range []error{registry.ConfigExists("abc"), registry.ConfigMismatch("abc")} {
		if !errors.Is(err, registry.ErrConflict) || registry.KindOf(err) != registry.KindPrecondition {
			t.Errorf("%v does not match ErrConflict", err)
		}
	}
}
