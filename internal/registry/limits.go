package registry

import "strconv"

// Resource names the kinds of object a tenant's limits count.
type Resource string

const (
	ResourceSession            Resource = "session"
	ResourceService            Resource = "service"
	ResourceConfigurationValue Resource = "configuration_value"
)

// Resources lists every counted resource, in the order they are reported.
var Resources = []Resource{ResourceSession, ResourceService, ResourceConfigurationValue}

// DefaultLimits are a tenant's limits unless overridden for it.
var DefaultLimits = map[Resource]int{
	ResourceSession:            100,
	ResourceService:            200,
	ResourceConfigurationValue: 1000,
}

// LimitReached reports that creating one more r would pass the tenant's limit.
func LimitReached(r Resource, limit int) *Error {
	return &Error{
		Kind:    KindLimitReached,
		Message: "The tenant's limit of " + strconv.Itoa(limit) + " " + string(r) + "s is reached.",
		Details: string(r),
	}
}

// Usage is how much of a limit a tenant uses.
type Usage struct {
	Used, Limit int
}
