package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"shop/errcode"
	"shop/models"
)

// CreateUser inserts u. The unique index on the (lowercased) email decides
// between two registrations of one address, however close together.
func (s *Store) CreateUser(ctx context.Context, u *models.User) error {
	err := mapError(s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		record(tx, registered(*u, tx))
		return nil
	}), "create user")
	if models.ErrorCode(err) == errcode.Conflict {
		return models.Errorf(errcode.Conflict, "An account with this email already exists: sign in instead.")
	}
	return err
}

func (s *Store) UserByEmail(ctx context.Context, email string) (*models.User, error) {
	return s.user(ctx, "email = ?", email)
}

func (s *Store) UserByID(ctx context.Context, id string) (*models.User, error) {
	return s.user(ctx, "user_id = ?", id)
}

func (s *Store) user(ctx context.Context, where string, arg string) (*models.User, error) {
	var u models.User
	err := s.db.WithContext(ctx).Where(where, arg).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.Errorf(errcode.NotFound, "No such account.")
	}
	if err != nil {
		return nil, mapError(err, "get user")
	}
	return &u, nil
}

// SaveAdmin is one upsert, so instances starting together with the same
// ADMIN_EMAIL can't trip over each other. The account keeps its id and
// name when it exists.
func (s *Store) SaveAdmin(ctx context.Context, u *models.User) (bool, error) {
	var ids []string
	err := s.write(ctx, func(tx *gorm.DB) error {
		err := tx.Raw(`INSERT INTO users (user_id, email, name, role, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (email) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash
			RETURNING user_id`, u.ID, u.Email, u.Name, u.Role, u.PasswordHash, u.CreatedAt).Scan(&ids).Error
		if err == nil && len(ids) == 1 && ids[0] == u.ID {
			record(tx, registered(*u, tx))
		}
		return err
	})
	if err != nil {
		return false, mapError(err, "save admin")
	}
	if len(ids) != 1 {
		return false, fmt.Errorf("save admin: %d rows returned", len(ids))
	}
	created := ids[0] == u.ID
	u.ID = ids[0]
	return created, nil
}

func (s *Store) HasAdmin(ctx context.Context) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.User{}).Where("role = ?", models.RoleAdmin).Limit(1).Count(&n).Error
	return n > 0, mapError(err, "find an admin")
}

func (s *Store) CreateRefreshToken(ctx context.Context, t *models.RefreshToken) error {
	return mapError(s.db.WithContext(ctx).Create(t).Error, "create refresh token")
}

// RotateRefreshToken marks the token used with a conditional UPDATE, never
// a read followed by a write, so of two requests presenting it at once
// exactly one matches the row; the other then finds it used, which is the
// reuse a stolen token shows, and revokes the family.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, next *models.RefreshToken) error {
	var outcome error
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := tx.NowFunc()
		var live []struct{ UserID, FamilyID string }
		err := tx.Raw(`UPDATE refresh_tokens SET used_at = ?
			WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?
			RETURNING user_id, family_id`, now, hash, now).Scan(&live).Error
		if err != nil {
			return fmt.Errorf("use refresh token: %w", err)
		}
		if len(live) == 1 {
			next.UserID, next.FamilyID = live[0].UserID, live[0].FamilyID
			if err := tx.Create(next).Error; err != nil {
				return fmt.Errorf("insert refresh token: %w", err)
			}
			return nil
		}
		var old []models.RefreshToken
		if err := tx.Where("token_hash = ?", hash).Limit(1).Find(&old).Error; err != nil {
			return fmt.Errorf("read refresh token: %w", err)
		}
		if len(old) == 0 || old[0].UsedAt == nil {
			outcome = models.ErrRefreshTokenInvalid
			return nil
		}
		// Committed, not rolled back: the revocation must outlive the
		// request that detected the reuse.
		outcome = models.ErrRefreshTokenReused
		return tx.Model(&models.RefreshToken{}).Where("family_id = ? AND revoked_at IS NULL", old[0].FamilyID).
			Update("revoked_at", now).Error
	})
	if err != nil {
		return mapError(err, "rotate refresh token")
	}
	return outcome
}

// RevokeUserRefreshTokens revokes every refresh token of the user: its
// sessions end when its password or role changes.
func (s *Store) RevokeUserRefreshTokens(ctx context.Context, userID string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND user_id = ?`,
		s.db.NowFunc(), userID).Error
	return mapError(err, "revoke the user's refresh tokens")
}

func (s *Store) RevokeRefreshFamily(ctx context.Context, hash string) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE refresh_tokens SET revoked_at = ?
		WHERE revoked_at IS NULL AND family_id IN (SELECT family_id FROM refresh_tokens WHERE token_hash = ?)`,
		s.db.NowFunc(), hash)
	if res.Error != nil {
		return false, mapError(res.Error, "revoke refresh tokens")
	}
	return res.RowsAffected > 0, nil
}

func registered(u models.User, tx *gorm.DB) models.Event {
	return models.NewEvent(models.EventAccountRegistered, u.ID, models.AccountRegistered{UserID: u.ID, Role: string(u.Role)}, tx.NowFunc())
}
