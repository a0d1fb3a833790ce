// The configuration function serves /v1.0/{tenant}/configuration and every
// path below it.
package main

import (
	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/app"
)

func main() {
	app.Serve(func(d *app.Deps, s *api.Server) error {
		s.Config = d.Store
		return nil
	})
}
