package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator is a software WebAuthn authenticator for tests: an ES256
// key, "none" attestation, a signature counter, and the flags a test sets
// (user verification, backup). It answers the options gatehouse hands
// out (beginPasskeyRegistration, beginPasskeySignIn, mfa.passkeyOptions)
// with the JSON a browser's PublicKeyCredential.toJSON() would send.
type Authenticator struct {
	// RPID and Origin are what the authenticator and the "browser" put
	// into their answers: the test service's by default; a test changes
	// them to play a phishing site.
	RPID, Origin string
	// UV says the authenticator verified the user (a PIN, a biometric).
	UV bool
	// BackupEligible and BackedUp are the BE and BS flags (a synced
	// passkey).
	BackupEligible, BackedUp bool
	// SignCount is the counter, incremented by each assertion.
	SignCount uint32

	key        *ecdsa.PrivateKey
	credID     []byte
	userHandle []byte
}

// NewAuthenticator returns an authenticator for the test services'
// relying party, verifying the user.
func NewAuthenticator() *Authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		panic(err)
	}
	return &Authenticator{RPID: RPID, Origin: Origin, UV: true, key: key, credID: id}
}

// Clone is a copy of the authenticator holding the same key and counter:
// what a cloned security key is.
func (a *Authenticator) Clone() *Authenticator {
	c := *a
	return &c
}

// CredentialID is the credential's id, base64url.
func (a *Authenticator) CredentialID() string { return b64(a.credID) }

// Register answers creation options.
func (a *Authenticator) Register(options map[string]any) (map[string]any, error) {
	challenge, _ := options["challenge"].(string)
	user, _ := options["user"].(map[string]any)
	uid, _ := user["id"].(string)
	if challenge == "" || uid == "" {
		return nil, errors.New("authtest: creation options without challenge or user id")
	}
	handle, err := base64.RawURLEncoding.DecodeString(uid)
	if err != nil {
		return nil, err
	}
	a.userHandle = handle
	clientData, err := a.clientData("webauthn.create", challenge)
	if err != nil {
		return nil, err
	}
	x, y := a.key.X.FillBytes(make([]byte, 32)), a.key.Y.FillBytes(make([]byte, 32))
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		return nil, err
	}
	auth := a.authData(0x40) // AT: attested credential data follows
	auth = append(auth, make([]byte, 16)...)
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(a.credID)))
	auth = append(append(auth, a.credID...), cose...)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"id": b64(a.credID), "rawId": b64(a.credID), "type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{},
		"response":               map[string]any{"clientDataJSON": b64(clientData), "attestationObject": b64(att), "transports": []string{"internal"}},
	}, nil
}

// Assert answers request options, counting up.
func (a *Authenticator) Assert(options map[string]any) (map[string]any, error) {
	challenge, _ := options["challenge"].(string)
	if challenge == "" {
		return nil, errors.New("authtest: request options without a challenge")
	}
	a.SignCount++
	clientData, err := a.clientData("webauthn.get", challenge)
	if err != nil {
		return nil, err
	}
	auth := a.authData(0)
	sum := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte{}, auth...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"id": b64(a.credID), "rawId": b64(a.credID), "type": "public-key", "authenticatorAttachment": "platform",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64(clientData), "authenticatorData": b64(auth),
			"signature": b64(sig), "userHandle": b64(a.userHandle)},
	}, nil
}

func (a *Authenticator) clientData(typ, challenge string) ([]byte, error) {
	return json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
}

// authData is the authenticator data's head: the RP id's hash, the flags
// (user present, and extra), the counter.
func (a *Authenticator) authData(extra byte) []byte {
	rp := sha256.Sum256([]byte(a.RPID))
	flags := byte(0x01) | extra
	if a.UV {
		flags |= 0x04
	}
	if a.BackupEligible {
		flags |= 0x08
	}
	if a.BackedUp {
		flags |= 0x10
	}
	out := append(rp[:], flags)
	return binary.BigEndian.AppendUint32(out, a.SignCount)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
