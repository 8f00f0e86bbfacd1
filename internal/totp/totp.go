// Package totp is the time-based one-time password (RFC 6238) of second
// factors: 6 digits, 30-second steps, HMAC-SHA1, as every authenticator
// app reads from an otpauth:// URI. The codes come from
// github.com/pquerna/otp (checked against the RFC's vectors in a test);
// this package adds what a server needs beyond them: the step a code
// belongs to, so that a code once accepted is refused when it comes again
// within its window, and the enrollment QR code as a data URI.
package totp

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"io"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// Period is a step's length; Skew the steps accepted either side of the
// current one (a phone's clock a little off, a code typed as it turned).
const (
	Period = 30 * time.Second
	Skew   = 1
	Digits = 6
)

// Key is a new TOTP secret: Secret in base32 (to store, sealed), and URI
// the otpauth:// URI an authenticator app imports.
type Key struct {
	Secret string
	URI    string
}

// Generate makes a 20-byte secret (RFC 4226's recommended length) for
// account at issuer, from rand.
func Generate(issuer, account string, rand io.Reader) (Key, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: uint(Period / time.Second),
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: rand})
	if err != nil {
		return Key{}, fmt.Errorf("totp: generate: %w", err)
	}
	return Key{Secret: k.Secret(), URI: k.URL()}, nil
}

// QRCode is the URI as a QR code, a data:image/png;base64 URI for an
// <img>, 256 pixels square.
func QRCode(uri string) (string, error) {
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", fmt.Errorf("totp: qr code: %w", err)
	}
	img, err := k.Image(256, 256)
	if err != nil {
		return "", fmt.Errorf("totp: qr code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", fmt.Errorf("totp: qr code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// Step is the step t falls in.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Code is the code of secret for the step t falls in.
func Code(secret string, t time.Time) (string, error) {
	return hotp.GenerateCodeCustom(secret, uint64(Step(t)), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// Verify checks code against secret at now, within Skew steps either
// side, never at a step at or before lastStep (the step of the code last
// accepted for this secret; 0 for none): a code is good once. It answers
// the step the code matched, to store as the next lastStep. Every
// candidate step is computed and compared in constant time, matched or
// not, so the work does not tell which one matched.
func Verify(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != Digits {
		return 0, false
	}
	current := Step(now)
	for s := current - Skew; s <= current+Skew; s++ {
		match, err := hotp.ValidateCustom(code, uint64(s), secret, hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && match && s > lastStep && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}
