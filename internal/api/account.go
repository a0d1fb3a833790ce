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

type limitsJSON struct {
	Resource map[registry.Resource]int `json:"resource"`
	// ResourceUsed is how much of each resource limit is in use (an
	// extension of the classic shape).
	ResourceUsed map[registry.Resource]int `json:"resource_used"`
	Rate         map[string]rateJSON       `json:"rate"`
	// Burst is the per-second request limit (an extension).
	Burst burstJSON `json:"burst"`
}

type burstJSON struct {
	Limit  int    `json:"limit"`
	Window string `json:"window"`
}

type rateJSON struct {
	Limit  int    `json:"limit"`
	Used   int    `json:"used"`
	Window string `json:"window"`
}

func (s *Server) limits(w http.ResponseWriter, r *http.Request, tenant string) error {
	usage, err := s.Account.Limits(r.Context(), tenant)
	if err != nil {
		return err
	}
	requests := registry.RequestUsage{Limits: registry.DefaultRequestLimits}
	if s.Rate != nil {
		if requests, err = s.Rate.RequestUsage(r.Context(), tenant, s.now()); err != nil {
			return err
		}
	}
	out := limitsJSON{
		Resource:     map[registry.Resource]int{},
		ResourceUsed: map[registry.Resource]int{},
		// Requests are counted per UTC day; this one is among them.
		Rate:  map[string]rateJSON{"/.*": {Limit: requests.Limits.PerDay, Used: requests.Used, Window: "24.0 hours"}},
		Burst: burstJSON{Limit: requests.Limits.PerSecond, Window: "1.0 seconds"},
	}
	for _, res := range registry.Resources {
		out.Resource[res] = usage[res].Limit
		out.ResourceUsed[res] = usage[res].Used
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
