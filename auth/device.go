package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Device tokens are OWASP's "device cookies": proof that a browser or an
// app signed in to an account successfully before. Login attempts that
// carry one for the account being tried count against an allowance of
// that device's own, not against the email's, which strangers guessing
// the password can spend (see Service.Login). A browser keeps it in an
// HttpOnly cookie (DeviceCookie), an app in its keychain.
//
// A token is "d1.<user id>.<device id>.<expiry, Unix seconds>.<HMAC>", the
// HMAC-SHA256 of everything before it under a key derived from SECRET_KEY,
// so every instance can check it and no one else can make one. Each has
// one spelling: the parser re-encodes what it read and compares.
const (
	DeviceCookie = "shop_device"
	// DeviceTTL is how long a device token is good for; each sign-in with
	// it issues a fresh one for the same device.
	DeviceTTL = 365 * 24 * time.Hour

	devicePrefix   = "d1"
	maxDeviceBytes = 256
)

// device is what a valid device token says.
type device struct {
	UserID, ID string
}

// devices issues and checks device tokens.
type devices struct {
	key []byte
}

// newDevices derives the device tokens' key from the secret key, so a
// device token's MAC can never stand for an access token's signature.
func newDevices(secret []byte) *devices {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("shop device token v1"))
	return &devices{key: m.Sum(nil)}
}

// newDeviceID is a random device id: 128 bits, base64url.
func newDeviceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// issue makes the token of device id for userID, good from now for
// DeviceTTL.
func (d *devices) issue(userID, id string, now time.Time) string {
	body := strings.Join([]string{devicePrefix, userID, id, strconv.FormatInt(now.Add(DeviceTTL).Unix(), 10)}, ".")
	return body + "." + base64.RawURLEncoding.EncodeToString(d.mac(body))
}

func (d *devices) mac(body string) []byte {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// parse returns the device a token names, when the token is one this
// service issued and has not expired.
func (d *devices) parse(token string, now time.Time) (device, bool) {
	if token == "" || len(token) > maxDeviceBytes || !jwtChars(token) {
		return device{}, false
	}
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[0] != devicePrefix {
		return device{}, false
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[4])
	body := token[:len(token)-len(parts[4])-1]
	if err != nil || base64.RawURLEncoding.EncodeToString(sig) != parts[4] || !hmac.Equal(sig, d.mac(body)) {
		return device{}, false
	}
	// Signed by this service, so well formed; checked all the same.
	if u, err := uuid.Parse(parts[1]); err != nil || u.String() != parts[1] {
		return device{}, false
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || strconv.FormatInt(exp, 10) != parts[3] || now.Unix() >= exp || len(parts[2]) == 0 {
		return device{}, false
	}
	return device{UserID: parts[1], ID: parts[2]}, true
}
