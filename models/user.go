package models

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"shop/errcode"
)

// Limits of an account's fields. Passwords stop at 72 bytes because bcrypt
// ignores everything after them: a longer password would be accepted and
// then only partly checked.
const (
	MaxEmailBytes    = 254
	MinPasswordBytes = 8
	MaxPasswordBytes = 72
	MaxNameRunes     = 100
)

// User is an account. Email is stored trimmed and lowercased, so the unique
// index matches addresses case-insensitively; (role, created_at, id) serves
// the customers connection, newest first. A customer's orders carry its
// ID as their customerId.
type User struct {
	ID           string    `gorm:"column:user_id;primaryKey;type:varchar(36);index:idx_users_role_created_id,priority:3"`
	Email        string    `gorm:"column:email;type:varchar(254);not null;uniqueIndex:idx_users_email"`
	Name         string    `gorm:"column:name;type:varchar(400);not null"`
	Role         Role      `gorm:"column:role;type:varchar(16);not null;index:idx_users_role_created_id,priority:1"`
	PasswordHash string    `gorm:"column:password_hash;type:varchar(100);not null"`
	CreatedAt    time.Time `gorm:"column:created_at;not null;index:idx_users_role_created_id,priority:2"`
	// EmailVerifiedAt is when the account proved it reads its email (a
	// verification link, or a password reset, which is sent there); nil
	// until then.
	EmailVerifiedAt *time.Time `gorm:"column:email_verified_at"`
}

// Caller is the caller that user's tokens prove.
func (u User) Caller() Caller { return Caller{UserID: u.ID, Role: u.Role} }

// RefreshToken is one link of a chain of refresh tokens (a family) that
// began at one sign-in. Only the SHA-256 of the token is stored, so a copy
// of the database gives no usable token. Each token is used once: using it
// marks it used and adds its successor to the family; a used token shown
// again revokes the whole family, because one of the two parties showing it
// is a thief.
type RefreshToken struct {
	ID        string     `gorm:"column:id;primaryKey;type:varchar(36)"`
	UserID    string     `gorm:"column:user_id;type:varchar(36);not null;index:idx_refresh_tokens_user"`
	FamilyID  string     `gorm:"column:family_id;type:varchar(36);not null;index:idx_refresh_tokens_family"`
	TokenHash string     `gorm:"column:token_hash;type:varchar(64);not null;uniqueIndex:idx_refresh_tokens_hash"`
	ExpiresAt time.Time  `gorm:"column:expires_at;not null"`
	UsedAt    *time.Time `gorm:"column:used_at"`
	RevokedAt *time.Time `gorm:"column:revoked_at"`
	CreatedAt time.Time  `gorm:"column:created_at;not null"`
}

// Session is what signing in, registering or refreshing gives a client: a
// short-lived access token, the refresh token that replaces it, when the
// access token expires, and the account.
type Session struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
	// RefreshExpiresAt is when the refresh token expires (a browser's
	// session cookie lives as long).
	RefreshExpiresAt time.Time
	// DeviceToken proves that this browser or app signed in to User (see
	// auth's device tokens): sent with later sign-ins, it keeps them apart
	// from strangers' guesses at the email. Empty for a refresh.
	DeviceToken string
	User        User
}

// Registration is a validated register input.
type Registration struct {
	Email    string
	Password string
	Name     string
}

// ParseRegistration validates register's input, reporting every bad field
// at once. The password is never quoted in an error.
func ParseRegistration(email, password, name string) (Registration, error) {
	var fe fieldErrors
	r := Registration{Email: NormalizeEmail(email), Password: password, Name: strings.TrimSpace(name)}
	checkEmail(&fe, "email", r.Email)
	checkPassword(&fe, "password", password)
	switch {
	case !utf8.ValidString(r.Name):
		fe.add("name", "must be valid UTF-8")
	case r.Name == "":
		fe.add("name", "must not be empty")
	case utf8.RuneCountInString(r.Name) > MaxNameRunes:
		fe.add("name", "must be at most %d characters", MaxNameRunes)
	default:
		if c, pos, bad := invisibleIn(r.Name, false); bad {
			invisibleError(&fe, "name", c, pos, false)
		}
	}
	if err := fe.err(); err != nil {
		return Registration{}, err
	}
	return r, nil
}

// checkPassword holds a password to the rules every password follows
// (registration, a reset).
func checkPassword(fe *fieldErrors, field, password string) {
	switch {
	case !utf8.ValidString(password):
		fe.add(field, "must be valid UTF-8")
	case len(password) < MinPasswordBytes:
		fe.add(field, "must be at least %d bytes long", MinPasswordBytes)
	case len(password) > MaxPasswordBytes:
		fe.add(field, "must be at most %d bytes long", MaxPasswordBytes)
	case strings.IndexFunc(password, unicode.IsControl) >= 0:
		// bcrypt stops at NUL: "\x00"×8 and "\x00"×9 would be one password.
		fe.add(field, "must not contain control characters")
	}
}

// NormalizeEmail is the form an address is stored and looked up in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func checkEmail(fe *fieldErrors, field, email string) {
	if email == "" {
		fe.add(field, "must not be empty")
		return
	}
	if len(email) > MaxEmailBytes {
		fe.add(field, "must be at most %d bytes long", MaxEmailBytes)
		return
	}
	// A bare address only: no display name ("Ann <ann@example.com>"), no
	// comments, nothing net/mail would have to rewrite.
	addr, err := mail.ParseAddress(email)
	_, _, hidden := invisibleIn(email, false)
	if err != nil || addr.Name != "" || addr.Address != email || !utf8.ValidString(email) || hidden {
		fe.add(field, "must be an email address such as ann@example.com")
	}
}

// Errors of refresh tokens. Both say the same to the client, which must
// sign in again either way; the service tells them apart to log the reuse.
var (
	ErrRefreshTokenInvalid = &Error{Code: errcode.Unauthenticated, Message: "The refresh token is invalid, expired or revoked: sign in again."}
	ErrRefreshTokenReused  = &Error{Code: errcode.Unauthenticated, Message: "The refresh token is invalid, expired or revoked: sign in again."}
)
