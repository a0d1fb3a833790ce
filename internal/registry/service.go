package registry

import "regexp"

// Service limits.
const (
	MaxTags      = 10
	MaxTagLength = 55
)

// Service is a long-running process that belongs to one session and lives
// exactly as long as it does.
type Service struct {
	ID        string
	SessionID string
	Tags      []string
	Metadata  Metadata
	// Version counts the writes to the service; updates and deletes are
	// conditional on it, so that no write works from a stale read.
	Version int64
}

var serviceIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_\-.]{3,65}$`)

// ValidServiceID reports whether id can name a service.
func ValidServiceID(id string) bool { return serviceIDPattern.MatchString(id) }

// ServiceInput is what a client may set on a service. On update a field
// that was not given (Has* false) is left as it is.
type ServiceInput struct {
	ID          string
	SessionID   string
	Tags        []string
	HasTags     bool
	Metadata    Metadata
	HasMetadata bool
}

// ValidateCreate checks the body of POST /services.
func (in ServiceInput) ValidateCreate() error {
	if in.ID == "" {
		return Errorf(KindInvalid, "id is required.")
	}
	if !ValidServiceID(in.ID) {
		return Errorf(KindInvalid, "id must be 3 to 65 characters of letters, digits, '_', '-' and '.'.")
	}
	if in.SessionID == "" {
		return Errorf(KindInvalid, "session_id is required.")
	}
	if !ValidSessionID(in.SessionID) {
		return Errorf(KindInvalid, "session_id is not a valid session id.")
	}
	return in.validateFields()
}

// ValidateUpdate checks the body of PUT /services/{id}.
func (in ServiceInput) ValidateUpdate() error {
	if !in.HasTags && !in.HasMetadata {
		return Errorf(KindInvalid, "Nothing to update: give tags and/or metadata.")
	}
	return in.validateFields()
}

func (in ServiceInput) validateFields() error {
	if in.HasTags {
		if err := ValidateTags(in.Tags); err != nil {
			return err
		}
	}
	if in.HasMetadata {
		return in.Metadata.Validate()
	}
	return nil
}

// ValidateTags checks a service's tags: at most MaxTags strings of 1 to
// MaxTagLength characters. Repeats are allowed in input and removed by
// DedupTags.
func ValidateTags(tags []string) error {
	if len(tags) > MaxTags {
		return Errorf(KindInvalid, "tags has %d entries; at most %d are allowed.", len(tags), MaxTags)
	}
	for _, t := range tags {
		if !validText(t, 1, MaxTagLength) {
			return Errorf(KindInvalid, "tags must be strings of 1 to %d characters.", MaxTagLength)
		}
	}
	return nil
}

// ValidTag reports whether t can be a tag (for the ?tag= filter).
func ValidTag(t string) bool { return validText(t, 1, MaxTagLength) }

// DedupTags returns tags without repeats, in their first order.
func DedupTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
