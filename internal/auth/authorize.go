package auth

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Admin is an admin user whose request Authorize admitted: who they are,
// through which session, and what their roles let them do. Only Authorize
// makes one, so a use case that takes an *Admin cannot be reached without
// the check.
type Admin struct {
	p     *principal
	user  *gatehouse.User
	perms gatehouse.PermissionSet
}

// UserID is the admin user's id.
func (a *Admin) UserID() string { return a.user.ID }

// Permissions are what the admin user's roles grant.
func (a *Admin) Permissions() gatehouse.PermissionSet { return a.perms }

// require is FORBIDDEN unless the admin holds p: the use cases check
// again what the schema's @hasPermission checked, so that a field wired
// without the directive still refuses.
func (a *Admin) require(p gatehouse.Permission) error {
	if a == nil || !a.perms.Has(p) {
		return missingPermission([]gatehouse.Permission{p})
	}
	return nil
}

func missingPermission(any []gatehouse.Permission) error {
	names := make([]string, len(any))
	for i, p := range any {
		names[i] = string(p)
	}
	return &gatehouse.Error{
		Code:    gatehouse.CodeForbidden,
		Reason:  gatehouse.ReasonMissingPermission,
		Message: "This operation needs the " + strings.Join(names, " or ") + " permission.",
	}
}

// Authorize is the one check behind every admin field: the credential must
// be a live USER session of a user that is neither deleted nor
// deactivated, whose roles grant at least one of anyOf (any admin user
// when anyOf is empty). A missing or dead credential is UNAUTHENTICATED;
// another actor's, or a missing permission, FORBIDDEN.
func (s *Service) Authorize(ctx context.Context, cred Credential, anyOf ...gatehouse.Permission) (*Admin, error) {
	p, err := s.principal(ctx, cred, gatehouse.ActorUser, linked)
	if err != nil {
		return nil, err
	}
	u, roles, err := s.store.UserWithRoles(ctx, p.ActorID)
	if err != nil {
		return nil, revokedIfMissing(err)
	}
	if u.DeactivatedAt != nil {
		return nil, gatehouse.Unauthenticated(gatehouse.ReasonRevoked, nil)
	}
	a := &Admin{p: p, user: u, perms: gatehouse.Union(roles)}
	if err := a.Permit(anyOf...); err != nil {
		return nil, err
	}
	return a, nil
}

// Permit is FORBIDDEN (MISSING_PERMISSION) unless the admin's roles grant
// one of anyOf (or anyOf is empty): Authorize's check, for an admin it
// already loaded.
func (a *Admin) Permit(anyOf ...gatehouse.Permission) error {
	if len(anyOf) == 0 {
		return nil
	}
	for _, perm := range anyOf {
		if a != nil && a.perms.Has(perm) {
			return nil
		}
	}
	return missingPermission(anyOf)
}
