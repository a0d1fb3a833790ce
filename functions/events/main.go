// The events function serves GET /v1.0/{tenant}/events.
package main

import (
	"github.com/service-registry/registry/internal/api"
	"github.com/service-registry/registry/internal/app"
)

func main() {
	app.Serve(func(d *app.Deps, s *api.Server) error {
		feed, err := d.RequireFeed()
		s.Events = feed
		return err
	})
}
