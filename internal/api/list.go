package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/service-registry/registry/internal/registry"
)

// listResponse is the shape of every list.
type listResponse[T any] struct {
	Values   []T          `json:"values"`
	Metadata listMetadata `json:"metadata"`
}

type listMetadata struct {
	Count      int     `json:"count"`
	Limit      int     `json:"limit"`
	Marker     *string `json:"marker"`
	NextMarker *string `json:"next_marker"`
	NextHref   *string `json:"next_href"`
}

// pageRequest reads limit and marker from the query. validMarker says which
// markers can name an item of the list; any other is a bad request rather than
// an empty page, so that typos show. A parameter given empty ("?marker=") is
// one of those, not one left out.
func pageRequest(r *http.Request, validMarker func(string) bool) (registry.PageRequest, error) {
	q := r.URL.Query()
	if q.Has("limit") && q.Get("limit") == "" {
		return registry.PageRequest{}, registry.Errorf(registry.KindInvalidLimit,
			"limit must be an integer from 1 to %d.", registry.MaxLimit)
	}
	limit, err := registry.ParseLimit(q.Get("limit"))
	if err != nil {
		return registry.PageRequest{}, err
	}
	marker := q.Get("marker")
	if q.Has("marker") && !validMarker(marker) {
		return registry.PageRequest{}, registry.Errorf(registry.KindInvalid, "marker is not a valid id for this list.")
	}
	return registry.PageRequest{Limit: limit, Marker: marker}, nil
}

// writeList answers one page, with the link to the next keeping every other
// query parameter of this request.
func writeList[T, U any](w http.ResponseWriter, r *http.Request, req registry.PageRequest, page registry.Page[T], render func(T) U) {
	out := listResponse[U]{Values: make([]U, 0, len(page.Items))}
	for _, item := range page.Items {
		out.Values = append(out.Values, render(item))
	}
	out.Metadata = listMetadata{Count: len(out.Values), Limit: req.Limit}
	if req.Marker != "" {
		out.Metadata.Marker = &req.Marker
	}
	if page.Next != "" {
		next := page.Next
		href := publicURL(r, r.URL.Path, map[string]string{"marker": next})
		out.Metadata.NextMarker, out.Metadata.NextHref = &next, &href
	}
	writeJSON(w, http.StatusOK, out)
}

// publicURL is the URL a client would use to reach path on this API, with
// this request's query and the given parameters set. The base is the
// server's PublicURL when set; otherwise the scheme and host the client
// called plus the gateway's base path (the stage, or a custom domain's
// mapping).
func publicURL(r *http.Request, path string, set map[string]string) string {
	var u *url.URL
	if base, ok := r.Context().Value(publicURLKey).(*url.URL); ok {
		u = base.JoinPath(path)
	} else {
		scheme := "http"
		if proto := r.Header.Get("X-Forwarded-Proto"); proto != "" {
			scheme = strings.ToLower(strings.TrimSpace(strings.Split(proto, ",")[0]))
		} else if r.TLS != nil {
			scheme = "https"
		}
		u = &url.URL{Scheme: scheme, Host: r.Host, Path: gateway(r.Context()).BasePath + path}
	}
	if set != nil {
		q := r.URL.Query()
		for k, v := range set {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
