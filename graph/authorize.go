package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

type adminKey struct{}

// hasPermission implements the schema's @hasPermission: it admits the
// field only for an admin user whose roles grant one of the permissions
// (Service.Authorize, the one check), and hands the admitted admin to the
// resolver through the context. Within a query the admin is loaded once,
// however many admin fields it selects (adminOnce).
func (r *Resolver) hasPermission(ctx context.Context, _ any, next graphql.Resolver, permission []gatehouse.Permission) (any, error) {
	var (
		adm *auth.Admin
		err error
	)
	if once, ok := ctx.Value(adminOnceKey{}).(func() (*auth.Admin, error)); ok {
		if adm, err = once(); err == nil {
			err = adm.Permit(permission...)
		}
	} else {
		adm, err = r.Auth.Authorize(ctx, credential(ctx), permission...)
	}
	if err != nil {
		return nil, err
	}
	return next(context.WithValue(ctx, adminKey{}, adm))
}

type adminOnceKey struct{}

// adminOnce loads the admin behind a query's credential at most once, for
// every @hasPermission field of the query: a dashboard's screen asks for
// several admin fields at once, and each would load the session, the user
// and the roles again. Mutations are left out: their fields run in turn,
// and one may change what the next is allowed.
type adminOnce struct{ auth *auth.Service }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = adminOnce{}

func (adminOnce) ExtensionName() string                   { return "AdminOnce" }
func (adminOnce) Validate(graphql.ExecutableSchema) error { return nil }
func (e adminOnce) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if op := graphql.GetOperationContext(ctx).Operation; op == nil || op.Operation != ast.Query {
		return next(ctx)
	}
	once := sync.OnceValues(func() (*auth.Admin, error) { return e.auth.Authorize(ctx, credential(ctx)) })
	return next(context.WithValue(ctx, adminOnceKey{}, once))
}

// admin is the admin @hasPermission admitted for this field; nil when the
// field has no directive, which every use case taking an *auth.Admin
// refuses.
func admin(ctx context.Context) *auth.Admin {
	adm, _ := ctx.Value(adminKey{}).(*auth.Admin)
	return adm
}
