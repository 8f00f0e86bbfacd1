package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

type adminKey struct{}

// hasPermission implements the schema's @hasPermission: it admits the
// field only for an admin user whose roles grant one of the permissions
// (Service.Authorize, the one check), and hands the admitted admin to the
// resolver through the context.
func (r *Resolver) hasPermission(ctx context.Context, _ any, next graphql.Resolver, permission []gatehouse.Permission) (any, error) {
	adm, err := r.Auth.Authorize(ctx, credential(ctx), permission...)
	if err != nil {
		return nil, err
	}
	return next(context.WithValue(ctx, adminKey{}, adm))
}

// admin is the admin @hasPermission admitted for this field; nil when the
// field has no directive, which every use case taking an *auth.Admin
// refuses.
func admin(ctx context.Context) *auth.Admin {
	adm, _ := ctx.Value(adminKey{}).(*auth.Admin)
	return adm
}
