package store_test

import (
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestUsers also shows that the "user" table, a reserved word in
// PostgreSQL, is quoted in every query.
func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)

		t.Run("create and look up", func(t *testing.T) {
			ctx := t.Context()
			u := newUser("admin@example.com")
			u.FirstName, u.LastName, u.AvatarURL = ptr("Ada"), ptr("Min"), ptr("https://example.com/a.png")
			u.Metadata = map[string]any{"theme": "dark"}
			mustNoError(t, s.CreateUser(ctx, u))

			for _, tc := range []struct {
				name string
				load func() (*gatehouse.User, error)
			}{
				{"User", func() (*gatehouse.User, error) { return s.User(ctx, u.ID) }},
				{"UserByEmail", func() (*gatehouse.User, error) { return s.UserByEmail(ctx, "admin@example.com") }},
				{"UserByEmail unnormalized", func() (*gatehouse.User, error) { return s.UserByEmail(ctx, " Admin@Example.COM ") }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := tc.load()
					mustNoError(t, err)
					if !reflect.DeepEqual(got, u) {
						t.Errorf("got\n%+v\nwant\n%+v", got, u)
					}
				})
			}
		})

		t.Run("taken email", func(t *testing.T) {
			ctx := t.Context()
			mustNoError(t, s.CreateUser(ctx, newUser("taken@example.com")))
			wantDuplicate(t, s.CreateUser(ctx, newUser("taken@example.com")), "A user with this email already exists.")
		})

		t.Run("deleted user", func(t *testing.T) {
			ctx := t.Context()
			u := newUser("deleted@example.com")
			u.DeletedAt = ptr(t0)
			mustNoError(t, s.CreateUser(ctx, u))
			_, err := s.User(ctx, u.ID)
			wantCode(t, err, gatehouse.CodeNotFound)
			_, err = s.UserByEmail(ctx, "deleted@example.com")
			wantCode(t, err, gatehouse.CodeNotFound)
			// The email is free again.
			mustNoError(t, s.CreateUser(ctx, newUser("deleted@example.com")))
		})

		t.Run("not found", func(t *testing.T) {
			_, err := s.User(t.Context(), "nope")
			wantCode(t, err, gatehouse.CodeNotFound)
			_, err = s.UserByEmail(t.Context(), "nobody@example.com")
			wantCode(t, err, gatehouse.CodeNotFound)
		})
	})
}
