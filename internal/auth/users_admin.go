package auth

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// UserChange is what updateUser and updateCurrentUser change; unset
// fields stay. Roles is refused for one's own account.
type UserChange struct {
	FirstName gatehouse.Opt[*string]
	LastName  gatehouse.Opt[*string]
	AvatarURL gatehouse.Opt[*string]
	Metadata  gatehouse.Opt[map[string]any]
	RoleIDs   gatehouse.Opt[[]string]
}

// Users lists admin users for an admin who manages users.
func (s *Service) Users(ctx context.Context, adm *Admin, f gatehouse.UserFilter, p gatehouse.Page) (gatehouse.UserPage, error) {
	if err := adm.require(gatehouse.PermManageUsers); err != nil {
		return gatehouse.UserPage{}, err
	}
	return s.store.ListUsers(ctx, f, p)
}

// User loads an admin user for an admin who manages users; nil when there
// is none.
func (s *Service) User(ctx context.Context, adm *Admin, id string) (*gatehouse.User, error) {
	if err := adm.require(gatehouse.PermManageUsers); err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, id)
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return nil, nil
	}
	return u, err
}

// UpdateUser changes another admin user's profile and roles. The admin
// must hold every permission the user holds, and every permission of the
// roles given; nobody changes their own roles, and the last owner stays
// one.
func (s *Service) UpdateUser(ctx context.Context, adm *Admin, id string, ch UserChange) (*gatehouse.User, error) {
	if err := adm.require(gatehouse.PermManageUsers); err != nil {
		return nil, err
	}
	if ch.RoleIDs.Set {
		if err := s.requireAdminRecent(ctx, adm); err != nil {
			return nil, err
		}
	}
	var u *gatehouse.User
	err := s.store.Tx(ctx, func(st Store) error {
		var err error
		if u, err = s.manageable(ctx, st, adm, id, ch.RoleIDs.Set); err != nil {
			return err
		}
		if err := s.applyProfile(u, ch); err != nil {
			return err
		}
		if err := st.UpdateUser(ctx, u); err != nil {
			return err
		}
		payload := map[string]any{"user_id": u.ID}
		if ch.RoleIDs.Set {
			ids, err := grantableRoles(ctx, st, adm, ch.RoleIDs.Value, "roleIds")
			if err != nil {
				return err
			}
			if err := s.keepAnOwner(ctx, st, u.ID, contains(ids, gatehouse.RoleOwner)); err != nil {
				return err
			}
			if err := st.SetUserRoles(ctx, u.ID, ids, u.UpdatedAt); err != nil {
				return err
			}
			payload["role_ids"] = ids
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventUserUpdated, u.ID, payload)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateCurrentUser changes the signed-in admin user's own profile, not
// their roles.
func (s *Service) UpdateCurrentUser(ctx context.Context, cred Credential, ch UserChange) (*gatehouse.User, error) {
	if ch.RoleIDs.Set {
		return nil, gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"input", "roleIds"}, "Nobody changes their own roles.")
	}
	p, err := s.principal(ctx, cred, gatehouse.ActorUser, linked)
	if err != nil {
		return nil, err
	}
	var u *gatehouse.User
	err = s.store.Tx(ctx, func(st Store) error {
		if u, err = st.User(ctx, p.ActorID); err != nil {
			return revokedIfMissing(err)
		}
		if err := s.applyProfile(u, ch); err != nil {
			return err
		}
		return st.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Service) applyProfile(u *gatehouse.User, ch UserChange) error {
	if err := text(&u.FirstName, ch.FirstName, "firstName"); err != nil {
		return err
	}
	if err := text(&u.LastName, ch.LastName, "lastName"); err != nil {
		return err
	}
	if err := text(&u.AvatarURL, ch.AvatarURL, "avatarUrl"); err != nil {
		return err
	}
	md, err := mergeMetadata(u.Metadata, ch.Metadata, "metadata")
	if err != nil {
		return err
	}
	u.Metadata = md
	u.UpdatedAt = s.clock()
	return nil
}

// DeactivateUser stops an admin user from signing in and ends their
// sessions, in one transaction.
func (s *Service) DeactivateUser(ctx context.Context, adm *Admin, id string) (*gatehouse.User, error) {
	return s.setUserActive(ctx, adm, id, false)
}

// ReactivateUser lets a deactivated admin user sign in again.
func (s *Service) ReactivateUser(ctx context.Context, adm *Admin, id string) (*gatehouse.User, error) {
	return s.setUserActive(ctx, adm, id, true)
}

func (s *Service) setUserActive(ctx context.Context, adm *Admin, id string, active bool) (*gatehouse.User, error) {
	if err := adm.require(gatehouse.PermManageUsers); err != nil {
		return nil, err
	}
	if !active {
		if err := s.requireAdminRecent(ctx, adm); err != nil {
			return nil, err
		}
	}
	var u *gatehouse.User
	err := s.store.Tx(ctx, func(st Store) error {
		var err error
		if u, err = s.manageable(ctx, st, adm, id, true); err != nil {
			return err
		}
		now := s.clock()
		name := gatehouse.EventUserReactivated
		u.DeactivatedAt = nil
		if !active {
			name = gatehouse.EventUserDeactivated
			u.DeactivatedAt = &now
			if err := s.keepAnOwner(ctx, st, u.ID, false); err != nil {
				return err
			}
			if _, err := s.revokeActorSessions(ctx, st, gatehouse.ActorUser, u.ID, gatehouse.RevokedDeactivated, now); err != nil {
				return err
			}
		}
		if err := st.SetUserDeactivated(ctx, u.ID, u.DeactivatedAt, now); err != nil {
			return err
		}
		u.UpdatedAt = now
		return s.adminEvent(ctx, st, adm, name, u.ID, map[string]any{"user_id": u.ID})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteUser soft-deletes an admin user: their identities (and so their
// sessions and tokens) are removed, their roles taken, and their email may
// be invited again.
func (s *Service) DeleteUser(ctx context.Context, adm *Admin, id string) error {
	if err := adm.require(gatehouse.PermManageUsers); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(st Store) error {
		u, err := s.manageable(ctx, st, adm, id, true)
		if err != nil {
			return err
		}
		if err := s.keepAnOwner(ctx, st, u.ID, false); err != nil {
			return err
		}
		switch a, err := st.AuthIdentityByActor(ctx, gatehouse.ActorUser, u.ID); gatehouse.ErrorCode(err) {
		case "":
			if err := st.DeleteAuthIdentity(ctx, a.ID); err != nil {
				return err
			}
		case gatehouse.CodeNotFound:
		default:
			return err
		}
		if err := st.DeleteUser(ctx, u.ID, s.clock()); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventUserDeleted, u.ID, map[string]any{"user_id": u.ID, "email": u.Email})
	})
}

// manageable loads a user another admin may change: not themself when
// self is refused, and holding no permission the admin lacks.
func (s *Service) manageable(ctx context.Context, st Store, adm *Admin, id string, refuseSelf bool) (*gatehouse.User, error) {
	u, rs, err := st.UserWithRoles(ctx, id)
	if err != nil {
		return nil, asField(err, "id")
	}
	if refuseSelf && u.ID == adm.UserID() {
		return nil, gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"id"}, "Nobody changes their own roles or deactivates or deletes themself; ask another admin.")
	}
	if !adm.perms.Covers(gatehouse.Union(rs)) {
		return nil, gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"id"}, "You can change only users whose permissions you all hold.")
	}
	return u, nil
}

// keepAnOwner refuses a change after which the user stops being an
// active owner (stillOwner false) when they are the last one. The owner
// assignments are locked first, so racing changes serialize.
func (s *Service) keepAnOwner(ctx context.Context, st Store, userID string, stillOwner bool) error {
	n, err := st.ActiveOwners(ctx)
	if err != nil || stillOwner || n > 1 {
		return err
	}
	rs, err := st.UserRoles(ctx, userID)
	if err != nil {
		return err
	}
	u, err := st.User(ctx, userID)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.ID == gatehouse.RoleOwner && u.DeactivatedAt == nil {
			return gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"id"}, "This is the last owner: make another user an owner first.")
		}
	}
	return nil
}

// revokeActorSessions ends every session of a customer's or user's
// identity; none when it has no identity.
func (s *Service) revokeActorSessions(ctx context.Context, st Store, actor gatehouse.ActorType, id, reason string, now time.Time) (int, error) {
	a, err := st.AuthIdentityByActor(ctx, actor, id)
	switch gatehouse.ErrorCode(err) {
	case "":
		return st.RevokeSessions(ctx, a.ID, "", reason, now)
	case gatehouse.CodeNotFound:
		return 0, nil
	}
	return 0, err
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Invites lists invites, newest first, for an admin who manages users.
func (s *Service) Invites(ctx context.Context, adm *Admin, status gatehouse.InviteStatus, p gatehouse.Page) (gatehouse.InvitePage, error) {
	if err := adm.require(gatehouse.PermManageUsers); err != nil {
		return gatehouse.InvitePage{}, err
	}
	return s.store.ListInvites(ctx, status, p, s.clock())
}

// RevokeInvite revokes an invite that is not accepted: its token dies.
func (s *Service) RevokeInvite(ctx context.Context, adm *Admin, id string) (*gatehouse.Invite, error) {
	if err := adm.require(gatehouse.PermManageUsers); err != nil {
		return nil, err
	}
	var inv *gatehouse.Invite
	err := s.store.Tx(ctx, func(st Store) error {
		if err := st.RevokeInvite(ctx, id, s.clock()); err != nil {
			return asField(err, "id")
		}
		var err error
		if inv, err = st.Invite(ctx, id); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventInviteRevoked, id, map[string]any{"invite_id": id, "email": inv.Email})
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// ResendInvite gives an invite that is not accepted or revoked a new
// token and a new lifetime; the old token dies. The new token is returned
// once and carried by user.invite_created's successor event.
func (s *Service) ResendInvite(ctx context.Context, adm *Admin, id string) (*gatehouse.Invite, string, error) {
	if err := adm.require(gatehouse.PermManageUsers); err != nil {
		return nil, "", err
	}
	tok, err := secret.New(s.rand)
	if err != nil {
		return nil, "", gatehouse.Internal(err)
	}
	var inv *gatehouse.Invite
	err = s.store.Tx(ctx, func(st Store) error {
		now := s.clock()
		var err error
		if inv, err = st.RenewInvite(ctx, id, secret.Hash(tok), now.Add(s.life.Invite), now); err != nil {
			return asField(err, "id")
		}
		return s.emit(ctx, st, gatehouse.Event{
			Name: gatehouse.EventInviteResent, AuthIdentityID: adm.p.AuthIdentityID, ActorType: gatehouse.ActorUser,
			ActorID: adm.UserID(), ActorKind: gatehouse.ActorUser, SubjectID: inv.ID, SessionID: adm.p.SessionID,
			Payload: map[string]any{"invite_id": inv.ID, "email": inv.Email, "expires_at": inv.ExpiresAt, "created_by": adm.UserID()},
			Secrets: map[string]string{"token": tok},
		})
	})
	if err != nil {
		return nil, "", err
	}
	return inv, tok, nil
}
