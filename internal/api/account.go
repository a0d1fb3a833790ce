package api

import (
	"net/http"

	"github.com/service-registry/registry/internal/registry"
)

type overviewJSON struct {
	Session  sessionJSON   `json:"session"`
	Services []serviceJSON `json:"services"`
}

func renderOverview(ov *registry.SessionOverview) overviewJSON {
	out := overviewJSON{Session: renderSession(ov.Session), Services: make([]serviceJSON, 0, len(ov.Services))}
	for _, svc := range ov.Services {
		out.Services = append(out.Services, renderService(svc))
	}
	return out
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, tenant string) error {
	req, err := pageRequest(r, registry.ValidSessionID)
	if err != nil {
		return err
	}
	page, err := s.Account.Overview(r.Context(), tenant, req, s.now())
	if err != nil {
		return err
	}
	writeList(w, r, req, page, renderOverview)
	return nil
}

// DailyRequestLimit is the default number of requests a tenant may make in a
// day (see GET /limits).
const DailyRequestLimit = 50_000

type limitsJSON struct {
	Resource map[registry.Resource]int `json:"resource"`
	// ResourceUsed is how much of each resource limit is in use (an
	// extension of the classic shape).
	ResourceUsed map[registry.Resource]int `json:"resource_used"`
	Rate         map[string]rateJSON       `json:"rate"`
}

type rateJSON struct {
	Limit int `json:"limit"`
	// Used is null until request counting lands with rate limiting.
	Used   *int   `json:"used"`
	Window string `json:"window"`
}

func (s *Server) limits(w http.ResponseWriter, r *http.Request, tenant string) error {
	usage, err := s.Account.Limits(r.Context(), tenant)
	if err != nil {
		return err
	}
	out := limitsJSON{
		Resource:     map[registry.Resource]int{},
		ResourceUsed: map[registry.Resource]int{},
		Rate:         map[string]rateJSON{"/.*": {Limit: DailyRequestLimit, Window: "24.0 hours"}},
	}
	for _, res := range registry.Resources {
		out.Resource[res] = usage[res].Limit
		out.ResourceUsed[res] = usage[res].Used
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
