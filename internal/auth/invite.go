package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// CreateInvite invites an email address to become an admin user with the
// roles named (viewer when none are), each of which the inviting admin
// must hold every permission of. A pending invite for the same email is
// replaced. It returns the invite and its token, which is not stored and
// cannot be shown again.
func (s *Service) CreateInvite(ctx context.Context, adm *Admin, email string, roleIDs []string) (*gatehouse.Invite, string, error) {
	if err := adm.require(gatehouse.PermManageUsers); err != nil {
		return nil, "", err
	}
	email = gatehouse.NormalizeEmail(email)
	if err := checkEmail(email, []string{"input", "email"}); err != nil {
		return nil, "", err
	}
	if roleIDs == nil {
		roleIDs = []string{gatehouse.RoleViewer}
	}
	tok, err := secret.New(s.rand)
	if err != nil {
		return nil, "", gatehouse.Internal(err)
	}
	now := s.clock()
	uid := adm.UserID()
	inv := &gatehouse.Invite{
		ID:        gatehouse.NewID(gatehouse.PrefixInvite),
		Email:     email,
		TokenHash: secret.Hash(tok),
		ExpiresAt: now.Add(s.life.Invite),
		CreatedBy: &uid,
		Metadata:  map[string]any{},
		CreatedAt: now,
		UpdatedAt: now,
	}
	err = s.store.Tx(ctx, func(st Store) error {
		ids, err := grantableRoles(ctx, st, adm, roleIDs, "roleIds")
		if err != nil {
			return err
		}
		switch _, err := st.UserByEmail(ctx, email); gatehouse.ErrorCode(err) {
		case "":
			return gatehouse.FieldError(gatehouse.CodeDuplicate, []string{"input", "email"}, "An admin user with this email already exists.")
		case gatehouse.CodeNotFound:
		default:
			return err
		}
		if err := st.CreateInvite(ctx, inv); err != nil {
			return err
		}
		if err := st.SetInviteRoles(ctx, inv.ID, ids); err != nil {
			return err
		}
		return s.emit(ctx, st, gatehouse.Event{
			Name: gatehouse.EventInviteCreated, AuthIdentityID: adm.p.AuthIdentityID, ActorType: gatehouse.ActorUser,
			ActorID: uid, ActorKind: gatehouse.ActorUser, SubjectID: inv.ID, SessionID: adm.p.SessionID,
			Payload: map[string]any{"invite_id": inv.ID, "email": inv.Email, "expires_at": inv.ExpiresAt, "created_by": uid, "role_ids": ids},
			Secrets: map[string]string{"token": tok},
		})
	})
	if err != nil {
		return nil, "", err
	}
	return inv, tok, nil
}

// AcceptInvite creates the admin user of a USER registration token, links
// the identity to it and consumes the invite, in one transaction. The
// invite's email must be the identity's.
func (s *Service) AcceptInvite(ctx context.Context, cred Credential, inviteToken string, firstName, lastName gatehouse.Opt[*string]) (*gatehouse.User, error) {
	var u *gatehouse.User
	err := s.registerActor(ctx, cred, gatehouse.ActorUser, func(st Store, authIdentityID, email string, verified bool, now time.Time) (string, error) {
		u = &gatehouse.User{
			ID:            gatehouse.NewID(gatehouse.PrefixUser),
			Email:         email,
			EmailVerified: verified,
			Metadata:      map[string]any{},
			CreatedAt:     now,
			UpdatedAt:     now,
		}
		if err := text(&u.FirstName, firstName, "firstName"); err != nil {
			return "", err
		}
		if err := text(&u.LastName, lastName, "lastName"); err != nil {
			return "", err
		}
		inv, err := s.claimInvite(ctx, st, inviteToken, now)
		if err != nil {
			return "", err
		}
		if email == "" || inv.Email != email {
			// Rolling back leaves the invite usable by its owner.
			return "", errInviteInvalid
		}
		if err := st.CreateUser(ctx, u); err != nil {
			return "", err
		}
		if err := s.grantInviteRoles(ctx, st, inv, u.ID, now); err != nil {
			return "", err
		}
		return u.ID, s.emit(ctx, st, gatehouse.Event{
			Name: gatehouse.EventInviteAccepted, AuthIdentityID: authIdentityID, ActorType: gatehouse.ActorUser,
			Payload: map[string]any{"invite_id": inv.ID, "user_id": u.ID, "email": u.Email},
		})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// claimInvite consumes a pending invite atomically, telling an expired
// invite from an unknown or used one.
func (s *Service) claimInvite(ctx context.Context, st Store, tok string, now time.Time) (*gatehouse.Invite, error) {
	if !secret.WellFormed(tok) {
		return nil, errInviteInvalid
	}
	inv, err := st.ClaimInvite(ctx, secret.Hash(tok), now)
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		_, err = s.inviteByToken(ctx, st, tok)
		if err == nil {
			// Pending and unexpired a moment ago, gone now: a racing claim won.
			err = errInviteInvalid
		}
		return nil, err
	}
	return inv, err
}

// inviteByToken returns the pending, unexpired invite of a token, or
// TOKEN_INVALID / TOKEN_EXPIRED.
func (s *Service) inviteByToken(ctx context.Context, st Store, tok string) (*gatehouse.Invite, error) {
	if !secret.WellFormed(tok) {
		return nil, errInviteInvalid
	}
	inv, err := st.InviteByTokenHash(ctx, secret.Hash(tok))
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil, errInviteInvalid
	case err != nil:
		return nil, fmt.Errorf("load invite: %w", err)
	case inv.Accepted || inv.DeletedAt != nil:
		return nil, errInviteInvalid
	case !s.clock().Before(inv.ExpiresAt):
		return nil, gatehouse.FieldError(gatehouse.CodeTokenExpired, []string{"input", "inviteToken"}, "The invite has expired; ask for a new one.")
	}
	return inv, nil
}

// grantInviteRoles gives the new user the invite's roles. An invite made
// before roles existed names none: it grants admin, as close as roles
// come to what an invite meant then without letting it manage roles.
func (s *Service) grantInviteRoles(ctx context.Context, st Store, inv *gatehouse.Invite, userID string, now time.Time) error {
	rs, err := st.InviteRoles(ctx, inv.ID)
	if err != nil {
		return err
	}
	ids := []string{gatehouse.RoleAdmin}
	if len(rs) > 0 {
		ids = ids[:0]
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
	}
	return st.SetUserRoles(ctx, userID, ids, now)
}
