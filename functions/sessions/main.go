// The sessions function serves /v1.0/{tenant}/sessions and its sub-routes.
package main

import (
	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/app"
)

func main() {
	app.Serve(func(d *app.Deps, s *api.Server) error {
		s.Sessions = d.Store
		return nil
	})
}
