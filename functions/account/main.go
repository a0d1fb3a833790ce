// The account function serves /v1.0/{tenant}/limits and /views/overview.
package main

import (
	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/app"
)

func main() {
	app.Serve(func(d *app.Deps, s *api.Server) error {
		s.Account = d.Store
		return nil
	})
}
