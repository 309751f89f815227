package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/google/uuid"

	"shop/clientip"
	"shop/models"
	"shop/requestid"
)

// ResetStore is what password resets and email verification need of the
// database.
type ResetStore interface {
	// IssueAccountToken stores t and enqueues msg for the account whose
	// email is email, doing the same statements whether or not there is
	// one (and writing nothing when there is none).
	IssueAccountToken(ctx context.Context, email string, t models.PasswordReset, msg models.EmailMessage) error
	// ResetPassword spends a reset token (models.CheckAccountToken's
	// errors): the password changes and every refresh token is revoked.
	ResetPassword(ctx context.Context, tokenHash, passwordHash string) (userID string, err error)
	// VerifyEmail spends a verification token.
	VerifyEmail(ctx context.Context, tokenHash string) (userID string, err error)
}

// AccountMail renders the email of an account token (a reset, a
// verification) whose link carries token.
type AccountMail interface {
	AccountEmail(kind, token string, valid time.Duration) (subject, text, html string, err error)
}

// newAccountToken is a random 256-bit token, as sent (base64url, 43
// characters), and the SHA-256 that is stored.
func newAccountToken() (token, hash string) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails (Go 1.24+)
	token = base64.RawURLEncoding.EncodeToString(raw)
	return token, hashToken(token)
}

// RequestPasswordReset emails a reset link to the account with email, if
// there is one, and answers true either way. Nothing it does depends on
// whether the account exists up to the database, whose two statements
// (INSERT … SELECT FROM users WHERE email = ?) are the same both ways:
// the token is made and hashed and the email rendered for every request,
// so neither the answer nor the time tells a caller whether an address
// has an account. Limited per client address (RATE_LIMIT_AUTH) and per
// email (RATE_LIMIT_PASSWORD_RESET an hour), whether or not it has an
// account; a malformed address is true at once (it can have no account).
func (s *Service) RequestPasswordReset(ctx context.Context, email string) (bool, error) {
	return s.issue(ctx, email, models.TokenReset)
}

func (s *Service) issue(ctx context.Context, email, purpose string) (bool, error) {
	if s.resets == nil || s.mail == nil {
		return false, errNoMail
	}
	if err := s.allow(ctx, s.ipLimiter, clientip.From(ctx)); err != nil {
		return false, err
	}
	addr := models.NormalizeEmail(email)
	if _, err := models.ParseCartEmail(addr); err != nil || addr == "" {
		return true, nil
	}
	if err := s.allow(ctx, s.resetLimiter, addr); err != nil {
		return false, err
	}
	kind, ttl := models.EmailPasswordReset, models.ResetTokenTTL
	if purpose == models.TokenVerify {
		kind, ttl = models.EmailVerifyEmail, models.VerifyTokenTTL
	}
	token, hash := newAccountToken()
	subject, text, html, err := s.mail.AccountEmail(kind, token, ttl)
	if err != nil {
		return false, err
	}
	t := now()
	msg := models.EmailMessage{ID: uuid.NewString(), Kind: kind, To: addr, Subject: subject, TextBody: text, HTMLBody: html,
		DedupeKey: purpose + ":" + hash, Status: models.EmailPending, NextAttemptAt: t, CreatedAt: t}
	row := models.PasswordReset{TokenHash: hash, Purpose: purpose, ExpiresAt: t.Add(ttl), CreatedAt: t}
	if err := s.resets.IssueAccountToken(ctx, addr, row, msg); err != nil {
		return false, err
	}
	return true, nil
}

// ResetPassword sets the password of the account a reset token was sent
// to, by the rules of registration, and ends every session of it: each
// refresh token is revoked, so no session outlives its access token
// (ACCESS_TOKEN_TTL, 15 minutes at most; access tokens are checked by
// signature alone). The token is used up, with every other reset link of
// the account.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) (bool, error) {
	if s.resets == nil {
		return false, errNoMail
	}
	if err := s.allow(ctx, s.ipLimiter, clientip.From(ctx)); err != nil {
		return false, err
	}
	if err := models.ParseNewPassword("newPassword", newPassword); err != nil {
		return false, err
	}
	if token == "" || len(token) > models.MaxAccountTokenBytes {
		return false, models.ErrResetTokenInvalid
	}
	hash, err := s.pw.hash(newPassword)
	if err != nil {
		return false, err
	}
	userID, err := s.resets.ResetPassword(ctx, hashToken(token), hash)
	if err != nil {
		return false, err
	}
	s.logger.InfoContext(ctx, "password reset; every session of the account revoked", "user_id", userID, "request_id", requestid.From(ctx))
	return true, nil
}

// RequestEmailVerification emails the signed-in caller a link that
// verifies its address (24 hours); true at once when it is verified.
func (s *Service) RequestEmailVerification(ctx context.Context, c models.Caller) (bool, error) {
	if err := models.RequireSignedIn(c); err != nil {
		return false, err
	}
	u, err := s.store.UserByID(ctx, c.UserID)
	if err != nil {
		return false, err
	}
	if u.EmailVerifiedAt != nil {
		return true, nil
	}
	return s.issue(ctx, u.Email, models.TokenVerify)
}

// VerifyEmail spends a verification token: the account's email is
// verified.
func (s *Service) VerifyEmail(ctx context.Context, token string) (bool, error) {
	if s.resets == nil {
		return false, errNoMail
	}
	if err := s.allow(ctx, s.ipLimiter, clientip.From(ctx)); err != nil {
		return false, err
	}
	if token == "" || len(token) > models.MaxAccountTokenBytes {
		return false, models.ErrResetTokenInvalid
	}
	if _, err := s.resets.VerifyEmail(ctx, hashToken(token)); err != nil {
		return false, err
	}
	return true, nil
}
