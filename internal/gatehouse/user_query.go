package gatehouse

// UserFilter narrows the admin user list; every condition set must hold.
// Deleted users are never listed.
type UserFilter struct {
	// Search is a case-insensitive substring of the email, first or last
	// name; % and _ are themselves.
	Search string
	// RoleID: users holding this role.
	RoleID string
	// Status: ACTIVE or DEACTIVATED users; "" for both.
	Status UserStatus
}

// UserPage is one page of the user list, oldest first.
type UserPage struct {
	Users []*User
	// Cursors[i] is the cursor of Users[i].
	Cursors              []string
	HasNext, HasPrevious bool
	Total                int
}

// InvitePage is one page of the invite list, newest first.
type InvitePage struct {
	Invites []*Invite
	// Cursors[i] is the cursor of Invites[i].
	Cursors []string
	HasNext bool
	Total   int
}
