package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"shop/clientip"
	"shop/errcode"
	"shop/models"
	"shop/requestid"
)

// Defaults of Options.
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 30 * 24 * time.Hour
)

// Store is what the accounts service needs of the database.
type Store interface {
	// CreateUser returns an error with errcode.Conflict when the email is taken.
	CreateUser(ctx context.Context, u *models.User) error
	// UserByEmail and UserByID return an error with errcode.NotFound when
	// there is none.
	UserByEmail(ctx context.Context, email string) (*models.User, error)
	UserByID(ctx context.Context, id string) (*models.User, error)
	// SaveAdmin creates u as an admin, or makes the account with u's email
	// an admin with u's password hash; created says which.
	SaveAdmin(ctx context.Context, u *models.User) (created bool, err error)
	// HasAdmin reports whether any admin account exists.
	HasAdmin(ctx context.Context) (bool, error)
	CreateRefreshToken(ctx context.Context, t *models.RefreshToken) error
	// RotateRefreshToken uses the token whose hash is hash, once: in one
	// transaction it marks it used and stores next (given its id, hash and
	// times) in the same family and for the same user, which it fills in.
	// A used token yields ErrRefreshTokenReused and revokes its family; an
	// unknown, expired or revoked one ErrRefreshTokenInvalid.
	RotateRefreshToken(ctx context.Context, hash string, next *models.RefreshToken) error
	// RevokeRefreshFamily revokes the family of the token whose hash is
	// hash, reporting whether it had any live token.
	RevokeRefreshFamily(ctx context.Context, hash string) (bool, error)
	// RevokeUserRefreshTokens revokes every refresh token of the user.
	RevokeUserRefreshTokens(ctx context.Context, userID string) error
}

// Options configure a Service.
type Options struct {
	Store Store
	// SecretKey signs access tokens: at least 32 bytes, the same on every
	// instance.
	SecretKey  []byte
	AccessTTL  time.Duration // default DefaultAccessTTL
	RefreshTTL time.Duration // default DefaultRefreshTTL
	BcryptCost int           // default DefaultBcryptCost
	// IPLimiter counts login, register and refreshToken attempts per client
	// address; EmailAtIPLimiter login attempts per email from one address
	// (keyed "email\x00ip"), and EmailLimiter per email from all addresses
	// together (password guessing spread over many), with a larger
	// allowance: a guesser at one address then locks out only itself, not
	// the account's owner. Nil means no limit.
	IPLimiter, EmailAtIPLimiter, EmailLimiter Limiter
	// DeviceLimiter counts the login attempts that carry a valid device
	// token for the account tried, per device, instead of EmailAtIPLimiter
	// and EmailLimiter: strangers spending the email's allowance don't
	// lock out a device that signed in before, and a device that keeps
	// failing locks out only itself.
	DeviceLimiter Limiter
	Logger        *slog.Logger
}

// Service runs accounts: registration, sign-in, token refresh and
// sign-out over the account store, and verifies access tokens.
type Service struct {
	store                                     Store
	pw                                        *passwords
	tokens                                    *tokens
	refreshTTL                                time.Duration
	devices                                   *devices
	ipLimiter, emailAtIPLimiter, emailLimiter Limiter
	deviceLimiter                             Limiter
	logger                                    *slog.Logger
}

// New makes a Service; it fails on a short key or a bad cost.
func New(o Options) (*Service, error) {
	if o.AccessTTL == 0 {
		o.AccessTTL = DefaultAccessTTL
	}
	if o.RefreshTTL == 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = DefaultBcryptCost
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	tok, err := newTokens(o.SecretKey, o.AccessTTL)
	if err != nil {
		return nil, err
	}
	pw, err := newPasswords(o.BcryptCost)
	if err != nil {
		return nil, err
	}
	return &Service{store: o.Store, pw: pw, tokens: tok, refreshTTL: o.RefreshTTL, devices: newDevices(o.SecretKey),
		ipLimiter: o.IPLimiter, emailAtIPLimiter: o.EmailAtIPLimiter, emailLimiter: o.EmailLimiter,
		deviceLimiter: o.DeviceLimiter, logger: o.Logger}, nil
}

// errWrongCredentials is the one answer to a failed login, whether the
// email is unknown or the password wrong.
var errWrongCredentials = &models.Error{Code: errcode.Unauthenticated, Message: "Wrong email or password."}

// Register creates a customer account and signs it in.
func (s *Service) Register(ctx context.Context, email, password, name string) (models.Session, error) {
	if err := s.allow(ctx, s.ipLimiter, clientip.From(ctx)); err != nil {
		return models.Session{}, err
	}
	reg, err := models.ParseRegistration(email, password, name)
	if err != nil {
		return models.Session{}, err
	}
	hash, err := s.pw.hash(reg.Password)
	if err != nil {
		return models.Session{}, err
	}
	u := models.User{ID: uuid.NewString(), Email: reg.Email, Name: reg.Name, Role: models.RoleCustomer, PasswordHash: hash, CreatedAt: now()}
	if err := s.store.CreateUser(ctx, &u); err != nil {
		return models.Session{}, err
	}
	s.logger.InfoContext(ctx, "account registered", "user_id", u.ID, "request_id", requestid.From(ctx))
	return s.startSession(ctx, u, newDeviceID())
}

// Login checks an email and password. An unknown email costs one bcrypt
// comparison too (against a dummy hash), so neither the answer nor the
// time taken tells it from a wrong password.
//
// Attempts count before the password is checked, so the limits never tell
// a guesser that a guess was right: per client address, then either per
// device, when deviceToken is a valid one for the account tried (a browser
// or app that signed in to it before), or per email from this address and
// per email from everywhere. Strangers can spend the email's allowance
// and lock out everyone without a device token for it, never a device
// that has one; a device that keeps failing spends only its own.
func (s *Service) Login(ctx context.Context, email, password, deviceToken string) (models.Session, error) {
	if err := s.allow(ctx, s.ipLimiter, clientip.From(ctx)); err != nil {
		return models.Session{}, err
	}
	addr := models.NormalizeEmail(email)
	if len(addr) > models.MaxEmailBytes {
		addr = addr[:models.MaxEmailBytes]
	}
	var u *models.User
	lookup := func() error {
		var err error
		if u, err = s.store.UserByEmail(ctx, addr); err != nil && !models.IsNotFound(err) {
			return err
		}
		if err != nil {
			u = nil
		}
		return nil
	}
	dev, hasDevice := s.devices.parse(deviceToken, now())
	if hasDevice {
		// Only a token this service signed gets this far, so only its
		// holders (who signed in once) cost a lookup before the limits.
		if err := lookup(); err != nil {
			return models.Session{}, err
		}
		hasDevice = u != nil && u.ID == dev.UserID
	}
	if hasDevice {
		if err := s.allow(ctx, s.deviceLimiter, dev.ID); err != nil {
			return models.Session{}, err
		}
	} else {
		// From one address first, so that a single guesser spends its own
		// allowance, not the one the owner shares with the world.
		if err := s.allow(ctx, s.emailAtIPLimiter, addr+"\x00"+clientip.From(ctx)); err != nil {
			return models.Session{}, err
		}
		if err := s.allow(ctx, s.emailLimiter, addr); err != nil {
			return models.Session{}, err
		}
		if err := lookup(); err != nil {
			return models.Session{}, err
		}
	}
	hash := ""
	// Past 72 bytes bcrypt would compare only a prefix, and no account has
	// a longer password, so such a login fails (after the same work).
	if u != nil && len(password) <= models.MaxPasswordBytes {
		hash = u.PasswordHash
	}
	if !s.pw.check(hash, password) {
		attrs := []any{"request_id", requestid.From(ctx), "device", hasDevice}
		if u != nil {
			attrs = append(attrs, "user_id", u.ID)
		}
		s.logger.InfoContext(ctx, "login failed", attrs...)
		return models.Session{}, errWrongCredentials
	}
	// The device keeps its id (and its allowance) across sign-ins; a new
	// one, or one of another account's, gets a new id.
	id := dev.ID
	if !hasDevice {
		id = newDeviceID()
	}
	return s.startSession(ctx, *u, id)
}

// Refresh trades a refresh token for a new session in its family. The
// token is used up; presented again, it revokes the family.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (models.Session, error) {
	if err := s.allow(ctx, s.ipLimiter, clientip.From(ctx)); err != nil {
		return models.Session{}, err
	}
	if refreshToken == "" || len(refreshToken) > maxTokenBytes {
		return models.Session{}, models.ErrRefreshTokenInvalid
	}
	next, secret := s.newRefreshToken(now())
	err := s.store.RotateRefreshToken(ctx, hashToken(refreshToken), &next)
	if errors.Is(err, models.ErrRefreshTokenReused) {
		s.logger.WarnContext(ctx, "a used refresh token was presented again: its whole family is revoked (one of the two holders may have stolen it)",
			"request_id", requestid.From(ctx))
	}
	if err != nil {
		return models.Session{}, err
	}
	u, err := s.store.UserByID(ctx, next.UserID)
	if models.IsNotFound(err) {
		return models.Session{}, models.ErrRefreshTokenInvalid
	}
	if err != nil {
		return models.Session{}, err
	}
	access, exp, err := s.tokens.issue(*u, now())
	if err != nil {
		return models.Session{}, err
	}
	return models.Session{AccessToken: access, RefreshToken: secret, ExpiresAt: exp, RefreshExpiresAt: next.ExpiresAt, User: *u}, nil
}

// Logout revokes the refresh token's family. It reports whether there was
// a session to end; access tokens already issued live out their minutes.
func (s *Service) Logout(ctx context.Context, refreshToken string) (bool, error) {
	if refreshToken == "" || len(refreshToken) > maxTokenBytes {
		return false, nil
	}
	return s.store.RevokeRefreshFamily(ctx, hashToken(refreshToken))
}

// User returns the account with id.
func (s *Service) User(ctx context.Context, id string) (*models.User, error) {
	return s.store.UserByID(ctx, id)
}

// Me is c's account; nil when c is anonymous, or its account was deleted
// since its token was issued.
func (s *Service) Me(ctx context.Context, c models.Caller) (*models.User, error) {
	if c.Anonymous() {
		return nil, nil
	}
	u, err := s.User(ctx, c.UserID)
	if models.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}

// Verify returns the caller an access token proves. Its errors are
// UNAUTHENTICATED *models.Error values with a message for the client.
func (s *Service) Verify(token string) (models.Caller, error) { return s.tokens.verify(token) }

// VerifyUntil is Verify with the time the token expires: a subscription's
// connection, which outlives requests, ends then (issue 21).
func (s *Service) VerifyUntil(token string) (models.Caller, time.Time, error) {
	return s.tokens.verifyUntil(token)
}

// SaveAdmin makes the account with email an admin with password, creating
// it if needed (ADMIN_EMAIL and ADMIN_PASSWORD at start-up). The email and
// password follow the rules of registration.
func (s *Service) SaveAdmin(ctx context.Context, email, password string) (created bool, err error) {
	reg, err := models.ParseRegistration(email, password, "Admin")
	if err != nil {
		return false, err
	}
	// An admin whose password is already this one is left as it is, with
	// its sessions: this runs at every start.
	old, err := s.store.UserByEmail(ctx, reg.Email)
	switch {
	case err == nil && old.Role == models.RoleAdmin && s.pw.check(old.PasswordHash, reg.Password):
		return false, nil
	case err != nil && !models.IsNotFound(err):
		return false, err
	}
	hash, err := s.pw.hash(reg.Password)
	if err != nil {
		return false, err
	}
	u := models.User{ID: uuid.NewString(), Email: reg.Email, Name: reg.Name, Role: models.RoleAdmin, PasswordHash: hash, CreatedAt: now()}
	created, err = s.store.SaveAdmin(ctx, &u)
	if err != nil || created {
		return created, err
	}
	// The account existed with another password or role: whoever held
	// its sessions (the customer who registered that email first, or the
	// thief of a rotated password) must not keep them, nor refresh them
	// into admin tokens.
	if err := s.store.RevokeUserRefreshTokens(ctx, u.ID); err != nil {
		return false, err
	}
	if old != nil && old.Role != models.RoleAdmin {
		s.logger.Warn("ADMIN_EMAIL named an existing customer account: it is now the admin, with ADMIN_PASSWORD, and its sessions are revoked", "user_id", u.ID)
	}
	return false, nil
}

// HasAdmin reports whether any admin account exists.
func (s *Service) HasAdmin(ctx context.Context) (bool, error) { return s.store.HasAdmin(ctx) }

// CreateFirstAdmin creates an admin with email and a random password when
// there is no admin at all, and returns the password ("" when an admin
// exists). An existing account with that email is left alone: a CONFLICT.
func (s *Service) CreateFirstAdmin(ctx context.Context, email string) (password string, err error) {
	has, err := s.store.HasAdmin(ctx)
	if err != nil || has {
		return "", err
	}
	password = rand.Text()
	hash, err := s.pw.hash(password)
	if err != nil {
		return "", err
	}
	u := models.User{ID: uuid.NewString(), Email: models.NormalizeEmail(email), Name: "Admin", Role: models.RoleAdmin, PasswordHash: hash, CreatedAt: now()}
	if err := s.store.CreateUser(ctx, &u); err != nil {
		return "", err
	}
	return password, nil
}

// startSession opens a new refresh token family for u, signed in from the
// device deviceID.
func (s *Service) startSession(ctx context.Context, u models.User, deviceID string) (models.Session, error) {
	t := now()
	rt, secret := s.newRefreshToken(t)
	rt.UserID, rt.FamilyID = u.ID, uuid.NewString()
	if err := s.store.CreateRefreshToken(ctx, &rt); err != nil {
		return models.Session{}, err
	}
	access, exp, err := s.tokens.issue(u, t)
	if err != nil {
		return models.Session{}, err
	}
	return models.Session{AccessToken: access, RefreshToken: secret, ExpiresAt: exp, RefreshExpiresAt: rt.ExpiresAt,
		DeviceToken: s.devices.issue(u.ID, deviceID, t), User: u}, nil
}

// newRefreshToken makes a random token (returned to the client once) and
// its row, which holds only the token's hash.
func (s *Service) newRefreshToken(t time.Time) (models.RefreshToken, string) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails (Go 1.24+)
	secret := base64.RawURLEncoding.EncodeToString(raw)
	return models.RefreshToken{ID: uuid.NewString(), TokenHash: hashToken(secret), ExpiresAt: t.Add(s.refreshTTL), CreatedAt: t}, secret
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// allow asks limiter (if any) for one more attempt under key.
func (s *Service) allow(ctx context.Context, limiter Limiter, key string) error {
	if limiter == nil {
		return nil
	}
	if ok, retry := limiter.Allow(ctx, key); !ok {
		return models.TooManyAttempts(retry)
	}
	return nil
}

// now is the time stamps are made with: UTC, to the microsecond that
// PostgreSQL keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
