package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// emit records an event in st's transaction: it commits or rolls back with
// the change that caused it. Secrets are sealed, bound to the event id,
// and stored only while a subscriber is owed them. They are sealed even
// when this instance delivers to no subscriber: the fleet's subscribers
// (the store's subscriber table) decide who is owed the event, and the
// store drops the secrets when nobody is.
func (s *Service) emit(ctx context.Context, st Store, e gatehouse.Event) error {
	e.ID = gatehouse.NewID(gatehouse.PrefixEvent)
	e.CreatedAt = s.clock()
	if e.Origin == (gatehouse.Origin{}) {
		e.Origin = gatehouse.OriginFrom(ctx)
	}
	// An event without an admin acting is the identity's own doing, on
	// itself.
	if e.ActorID == "" && e.AuthIdentityID != "" {
		e.ActorID, e.ActorKind = e.AuthIdentityID, e.ActorType
	}
	if e.SubjectID == "" {
		e.SubjectID = e.AuthIdentityID
	}
	sealed := ""
	if len(e.Secrets) > 0 {
		plain, err := json.Marshal(e.Secrets)
		if err != nil {
			return gatehouse.Internal(err)
		}
		if sealed, err = secret.Seal(s.eventKey, e.ID, plain); err != nil {
			return gatehouse.Internal(fmt.Errorf("seal event secrets: %w", err))
		}
	}
	if err := st.AppendEvent(ctx, &e, sealed, s.subscribers); err != nil {
		return err
	}
	if s.onEvent != nil {
		s.onEvent(e.Name)
	}
	return nil
}

// OpenEventSecrets opens the sealed secrets of an event, for the
// dispatcher that delivers it.
func (s *Service) OpenEventSecrets(eventID, sealed string) (map[string]string, error) {
	if sealed == "" {
		return nil, nil
	}
	plain, err := secret.Open(s.eventKey, eventID, sealed)
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(plain, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// deriveKey derives a 32-byte key for one use from a root key.
func deriveKey(root []byte, label string) []byte {
	m := hmac.New(sha256.New, root)
	m.Write([]byte(label))
	return m.Sum(nil)
}
