package registry

import "strconv"

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
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, Errorf(KindInvalidLimit, "limit must be an integer from 1 to %d.", MaxLimit)
	}
	return n, nil
}
