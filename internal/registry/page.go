package registry

// Page sizes for every list.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// PageRequest asks for up to Limit items with ids at or after Marker.
type PageRequest struct {
	Limit  int
	Marker string // inclusive; empty means from the start
}

// Page is one page of a list. Next is the id of the first item of the next
// page, empty on the last page.
type Page[T any] struct {
	Items []T
	Next  string
}

// ParseLimit reads the limit query parameter: empty means the default, any
// other value must be an integer from 1 to MaxLimit.
func ParseLimit(s string) (int, error) {
	if s == "" {
		return DefaultLimit, nil
	}
	n, ok := ParseDecimal(s)
	if !ok || n < 1 || n > MaxLimit {
		return 0, Errorf(KindInvalidLimit, "limit must be an integer from 1 to %d.", MaxLimit)
	}
	return n, nil
}

// ParseDecimal reads a non-negative integer written the one canonical way:
// decimal digits, no sign, no leading zero, no spaces. Anything else ("+5",
// "005", " 5") is not a number here, so that one value has one spelling.
func ParseDecimal(s string) (int, bool) {
	if s == "" || len(s) > 18 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
