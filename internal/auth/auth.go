// Package auth turns X-Auth-Token values into tenants. Tokens are stored only
// as SHA-256 hashes: a copy of the table grants no access.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"

	"github.com/service-registry/registry/internal/registry"
)

// TokenStore keeps token hashes and the tenants they grant.
type TokenStore interface {
	// TenantOfToken returns the tenant of a token hash, ErrNotFound if none.
	TenantOfToken(ctx context.Context, hash string) (string, error)
	PutToken(ctx context.Context, hash, tenant string) error
	// DeleteToken removes a token hash; ErrNotFound if there is none.
	DeleteToken(ctx context.Context, hash string) error
}

// Tokens authenticates requests against a TokenStore.
type Tokens struct {
	Store TokenStore
}

// Hash is the form in which a token is stored.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate returns the tenant the token belongs to.
func (t Tokens) Authenticate(ctx context.Context, token string) (string, error) {
	if len(token) > 512 {
		return "", unauthorized()
	}
	tenant, err := t.Store.TenantOfToken(ctx, Hash(token))
	if errors.Is(err, registry.ErrNotFound) {
		return "", unauthorized()
	}
	return tenant, err
}

func unauthorized() error {
	return registry.Errorf(registry.KindUnauthorized, "The X-Auth-Token is not valid.")
}

// tenantPattern keeps tenant names safe inside URLs and storage keys.
var tenantPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidTenant reports whether name can be a tenant.
func ValidTenant(name string) bool { return tenantPattern.MatchString(name) }

// Issue creates a new token for tenant and returns it; only its hash is kept.
func (t Tokens) Issue(ctx context.Context, tenant string) (string, error) {
	if !ValidTenant(tenant) {
		return "", registry.Errorf(registry.KindInvalid,
			"A tenant name is 1 to 63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit.")
	}
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	if err := t.Store.PutToken(ctx, Hash(token), tenant); err != nil {
		return "", err
	}
	return token, nil
}

// Revoke makes token stop working: at once where the functions check tokens
// themselves, and within the authorizer's cache time (AuthorizerCacheSeconds)
// behind API Gateway, which reuses a verdict on a token for that long.
func (t Tokens) Revoke(ctx context.Context, token string) error {
	err := t.Store.DeleteToken(ctx, Hash(token))
	if errors.Is(err, registry.ErrNotFound) {
		return registry.Errorf(registry.KindNotFound, "no such token")
	}
	return err
}
