package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"shop/auth"
	"shop/config"
	"shop/errcode"
	"shop/models"
)

// defaultAdminEmail is the account made on the embedded default when no
// admin exists, so a newcomer can sign in to GraphiQL after `make run`.
const defaultAdminEmail = "admin@localhost"

// secretKey is SECRET_KEY or, on the embedded default without one, the key
// kept in secret.key beside the SQLite file, made on first start, so tokens
// outlive a restart.
func secretKey(cfg config.Config, logger *slog.Logger) ([]byte, error) {
	if cfg.SecretKey != "" {
		return []byte(cfg.SecretKey), nil
	}
	path := filepath.Join(filepath.Dir(cfg.SQLitePath), "secret.key")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	// O_EXCL: of two instances starting on one file, one writes the key and
	// the other reads it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		_, werr := f.WriteString(hex.EncodeToString(raw) + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, fmt.Errorf("write secret key %s: %w", path, werr)
		}
		logger.Info("generated a secret key for access tokens", "path", path)
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("secret key: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) < auth.MinSecretKeyBytes {
		return nil, fmt.Errorf("secret key %s holds %d bytes; at least %d are needed (delete it to make a new one)", path, len(key), auth.MinSecretKeyBytes)
	}
	return []byte(key), nil
}

// bootstrapAdmin makes sure someone can run the shop: ADMIN_EMAIL and
// ADMIN_PASSWORD create or update that admin; on the embedded default
// without them, the first start creates admin@localhost with a random
// password and logs it, once. ADMIN_PASSWORD itself is never logged.
func bootstrapAdmin(ctx context.Context, cfg config.Config, accounts *auth.Service, logger *slog.Logger) error {
	if cfg.AdminEmail != "" {
		created, err := accounts.SaveAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			return fmt.Errorf("ADMIN_EMAIL, ADMIN_PASSWORD: %w", err)
		}
		logger.Info("admin account ready", "email", models.NormalizeEmail(cfg.AdminEmail), "created", created)
		return nil
	}
	if cfg.DatabaseURL != "" {
		has, err := accounts.HasAdmin(ctx)
		if err != nil {
			return err
		}
		if !has {
			logger.Warn("there is no admin account: set ADMIN_EMAIL and ADMIN_PASSWORD to create one")
		}
		return nil
	}
	password, err := accounts.CreateFirstAdmin(ctx, defaultAdminEmail)
	if models.ErrorCode(err) == errcode.Conflict {
		logger.Warn("there is no admin account, and " + defaultAdminEmail + " is a customer: set ADMIN_EMAIL and ADMIN_PASSWORD to name an admin")
		return nil
	}
	if err != nil {
		return err
	}
	if password != "" {
		logger.Warn(fmt.Sprintf("created the admin account %s with password %s: this is the only time it is shown. "+
			"Sign in at /admin, or with the login mutation in GraphiQL; or set ADMIN_EMAIL and ADMIN_PASSWORD to choose your own.", defaultAdminEmail, password),
			"email", defaultAdminEmail)
	}
	return nil
}
