package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"shop/errcode"
	"shop/models"
)

// Access tokens are JWTs signed with HMAC-SHA256 under SECRET_KEY. The
// parser accepts HS256 only, so a token claiming "alg": "none", an RSA
// algorithm (the key-confusion attack) or another HMAC is refused before
// its signature is even looked at. It decodes strictly, so a signature has
// one spelling (no padding, no stray bits in its last character, nothing
// but base64url), and it believes only the times the server itself
// writes: an iat at most maxClockSkew ahead of this clock, and an exp at
// most one lifetime after it.
const (
	issuer = "shop"
	// MinSecretKeyBytes is the shortest SECRET_KEY accepted: HS256 keys
	// shorter than the hash's 32 bytes weaken it.
	MinSecretKeyBytes = 32
	// maxTokenBytes bounds what is parsed; real tokens are ~250 bytes.
	maxTokenBytes = 4096
	// maxClockSkew is how far apart the clocks of the instances that issue
	// and verify a token may be.
	maxClockSkew = time.Minute
)

var (
	errTokenInvalid = &models.Error{Code: errcode.Unauthenticated, Message: "The access token is invalid: sign in again."}
	errTokenExpired = &models.Error{Code: errcode.Unauthenticated, Message: "The access token has expired: get a new one with the refreshToken mutation."}
)

type claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// tokens issues and verifies access tokens.
type tokens struct {
	key    []byte
	ttl    time.Duration
	parser *jwt.Parser
}

func newTokens(key []byte, ttl time.Duration) (*tokens, error) {
	if len(key) < MinSecretKeyBytes {
		return nil, fmt.Errorf("the secret key has %d bytes; at least %d are needed", len(key), MinSecretKeyBytes)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("access token lifetime %s is not positive", ttl)
	}
	return &tokens{
		key: key,
		ttl: ttl,
		parser: jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(), jwt.WithIssuer(issuer), jwt.WithStrictDecoding()),
	}, nil
}

// issue signs an access token for u, valid from now for the lifetime.
func (t *tokens) issue(u models.User, now time.Time) (string, time.Time, error) {
	c := claims{Role: string(u.Role), RegisteredClaims: jwt.RegisteredClaims{
		Subject:   u.ID,
		Issuer:    issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
	}}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	// What the token says, to the second, is what the client is told.
	return signed, c.ExpiresAt.UTC(), nil
}

// verify returns the caller an access token proves, or an UNAUTHENTICATED
// error that says whether it merely expired.
func (t *tokens) verify(token string) (models.Caller, error) {
	c, _, err := t.verifyUntil(token)
	return c, err
}

// verifyUntil is verify with the token's expiry.
func (t *tokens) verifyUntil(token string) (models.Caller, time.Time, error) {
	if len(token) > maxTokenBytes || !jwtChars(token) {
		return models.Caller{}, time.Time{}, errTokenInvalid
	}
	var c claims
	_, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return models.Caller{}, time.Time{}, errTokenExpired
	case err != nil:
		return models.Caller{}, time.Time{}, errTokenInvalid
	}
	if !t.timesPlausible(c, time.Now()) {
		return models.Caller{}, time.Time{}, errTokenInvalid
	}
	role := models.Role(c.Role)
	if role != models.RoleAdmin && role != models.RoleCustomer {
		return models.Caller{}, time.Time{}, errTokenInvalid
	}
	if u, err := uuid.Parse(c.Subject); err != nil || u.String() != c.Subject {
		return models.Caller{}, time.Time{}, errTokenInvalid
	}
	return models.Caller{UserID: c.Subject, Role: role}, c.ExpiresAt.Time, nil
}

// timesPlausible reports whether c's times are ones the server could have
// written: issued (iat) no later than now, give or take the skew between
// instances, and expiring (exp) no more than one lifetime after that. A
// token claiming more was not issued here, whoever holds the key.
func (t *tokens) timesPlausible(c claims, now time.Time) bool {
	if c.IssuedAt == nil || c.ExpiresAt == nil {
		return false
	}
	iat, exp := c.IssuedAt.Time, c.ExpiresAt.Time
	return !iat.After(now.Add(maxClockSkew)) &&
		!exp.After(iat.Add(t.ttl+maxClockSkew)) &&
		!exp.After(now.Add(t.ttl+maxClockSkew))
}

// jwtChars reports whether s holds only what a JWT is written with:
// base64url and the dots between its parts. Go's base64 decoder skips
// line breaks even when strict, which would give a signature a second
// spelling.
func jwtChars(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}
