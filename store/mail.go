package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"shop/models"
)

// The emails' outbox (issue 21): email_messages, filled by the mail
// consumer inside the outbox's delivery transaction and by password
// resets, and drained by the senders of every instance; password_resets
// holds the hashes of reset and verification tokens.
func mailTables() []any { return []any{&models.EmailMessage{}, &models.PasswordReset{}} }

// EnqueueEmails adds msgs to the outbox, in the delivery's transaction
// when called from a consumer's Handle. One whose DedupeKey is there
// already is left out: the events are handed over at least once.
func (s *Store) EnqueueEmails(ctx context.Context, msgs []models.EmailMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	err := s.inDelivery(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).Create(&msgs).Error
	})
	return mapError(err, "enqueue emails")
}

// OrdersForEmail are the orders with ids, with their lines, read in the
// delivery's transaction when there is one: two statements for a batch
// of events, however many orders (one is missing when it was deleted).
func (s *Store) OrdersForEmail(ctx context.Context, ids []string) ([]models.Order, error) {
	var out []models.Order
	if len(ids) == 0 {
		return nil, nil
	}
	if err := s.conn(ctx).Where("order_id IN ?", ids).Preload("Items", itemsInOrder).Find(&out).Error; err != nil {
		return nil, mapError(err, "get orders for email")
	}
	// The lines' products' names, as they are now (a deleted product's
	// line keeps its variant's title alone).
	var pids []string
	for _, o := range out {
		for _, it := range o.Items {
			pids = append(pids, it.ProductID)
		}
	}
	if len(pids) == 0 {
		return out, nil
	}
	var names []struct{ ProductID, Name string }
	if err := s.conn(ctx).Table("products").Select("product_id, name").Where("product_id IN ?", pids).Scan(&names).Error; err != nil {
		return nil, mapError(err, "get the names of an email's products")
	}
	byID := make(map[string]string, len(names))
	for _, n := range names {
		byID[n.ProductID] = n.Name
	}
	for i := range out {
		for j := range out[i].Items {
			out[i].Items[j].ProductName = byID[out[i].Items[j].ProductID]
		}
	}
	return out, nil
}

// AccountsForEmail are the accounts with ids (those that exist), read in
// the delivery's transaction when there is one.
func (s *Store) AccountsForEmail(ctx context.Context, ids []string) ([]models.User, error) {
	var out []models.User
	if len(ids) == 0 {
		return nil, nil
	}
	err := s.conn(ctx).Where("user_id IN ?", ids).Find(&out).Error
	return out, mapError(err, "get accounts for email")
}

// ClaimEmails takes up to limit due emails for this sender: pending, their
// time come, and none of the same order before them still pending (a
// receipt goes before its "shipped"). Each is leased until now+lease (its
// NextAttemptAt) and its attempt counted, in one short transaction; on
// PostgreSQL other senders pass over the rows it holds (SKIP LOCKED), so
// two instances never claim one email. A sender that dies leaves its rows
// due again when the lease ends.
func (s *Store) ClaimEmails(ctx context.Context, limit int, lease time.Duration) ([]models.EmailMessage, error) {
	var out []models.EmailMessage
	err := s.db.WithContext(context.WithValue(ctx, backgroundKey{}, true)).Transaction(func(tx *gorm.DB) error {
		now := tx.NowFunc()
		var ids []string
		if err := tx.Raw(`SELECT email_id FROM email_messages m WHERE status = ? AND next_attempt_at <= ?
			AND NOT EXISTS (SELECT 1 FROM email_messages e WHERE e.order_id = m.order_id AND e.status = ? AND e.seq < m.seq)
			ORDER BY next_attempt_at, seq LIMIT ?`+s.dialect.lockRows(true), models.EmailPending, now, models.EmailPending, limit).
			Scan(&ids).Error; err != nil {
			return fmt.Errorf("find due emails: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Exec("UPDATE email_messages SET next_attempt_at = ?, attempts = attempts + 1 WHERE email_id IN ?",
			now.Add(lease), ids).Error; err != nil {
			return fmt.Errorf("lease emails: %w", err)
		}
		return tx.Where("email_id IN ?", ids).Order("next_attempt_at, seq").Find(&out).Error
	})
	if err != nil {
		return nil, mapError(err, "claim emails")
	}
	return out, nil
}

// EmailSent records a delivery: file is the .eml written when there is no
// SMTP server. blank drops the bodies (a reset link's token must not
// outlive its sending in the database).
func (s *Store) EmailSent(ctx context.Context, id, file string, blank bool) error {
	set := map[string]any{"status": models.EmailSent, "sent_at": s.db.NowFunc(), "file": file, "last_error": ""}
	if blank {
		set["text_body"], set["html_body"] = "", ""
	}
	err := s.db.WithContext(context.WithValue(ctx, backgroundKey{}, true)).Model(&models.EmailMessage{}).
		Where("email_id = ? AND status = ?", id, models.EmailPending).Updates(set).Error
	return mapError(err, "record email sent")
}

// EmailFailed records a failed attempt: the email is due again at next,
// or failed for good when giveUp (its body blanked if blank).
func (s *Store) EmailFailed(ctx context.Context, id, reason string, next time.Time, giveUp, blank bool) error {
	set := map[string]any{"last_error": reason, "next_attempt_at": asStored(next)}
	if giveUp {
		set["status"] = models.EmailFailed
		if blank {
			set["text_body"], set["html_body"] = "", ""
		}
	}
	err := s.db.WithContext(context.WithValue(ctx, backgroundKey{}, true)).Model(&models.EmailMessage{}).
		Where("email_id = ? AND status = ?", id, models.EmailPending).Updates(set).Error
	return mapError(err, "record email failure")
}

// ReleaseEmails hands back emails a sender claimed and did not try (it is
// stopping): due now, their claim's attempt uncounted.
func (s *Store) ReleaseEmails(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.db.WithContext(context.WithValue(ctx, backgroundKey{}, true)).Exec(
		"UPDATE email_messages SET next_attempt_at = ?, attempts = attempts - 1 WHERE email_id IN ? AND status = ? AND attempts > 0",
		s.db.NowFunc(), ids, models.EmailPending).Error
	return mapError(err, "release emails")
}

// EmailOutboxPage is a page of the outbox, newest first, keyset-paged by
// (created_at, email_id).
func (s *Store) EmailOutboxPage(ctx context.Context, f models.EmailFilter) (models.EmailPage, error) {
	q := s.db.WithContext(ctx).Model(&models.EmailMessage{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if c := f.After; c != nil {
		at := asStored(c.CreatedAt)
		q = q.Where("(created_at < ? OR (created_at = ? AND email_id < ?))", at, at, c.ID)
	}
	var rows []models.EmailMessage
	if err := q.Order("created_at DESC, email_id DESC").Limit(f.First + 1).Find(&rows).Error; err != nil {
		return models.EmailPage{}, mapError(err, "list emails")
	}
	page := models.EmailPage{Emails: rows}
	if len(rows) > f.First {
		page.Emails, page.HasNext = rows[:f.First], true
	}
	return page, nil
}

// PurgeEmails deletes the emails sent or failed before cutoff
// (EVENTS_RETENTION), and the account tokens expired before it.
func (s *Store) PurgeEmails(ctx context.Context, cutoff time.Time) (int64, error) {
	cutoff = asStored(cutoff)
	ctx = context.WithValue(ctx, backgroundKey{}, true)
	res := s.db.WithContext(ctx).Exec("DELETE FROM email_messages WHERE (status = ? AND sent_at < ?) OR (status = ? AND created_at < ?)",
		models.EmailSent, cutoff, models.EmailFailed, cutoff)
	if res.Error != nil {
		return 0, mapError(res.Error, "purge emails")
	}
	if err := s.db.WithContext(ctx).Exec("DELETE FROM password_resets WHERE expires_at < ?", cutoff).Error; err != nil {
		return res.RowsAffected, mapError(err, "purge account tokens")
	}
	return res.RowsAffected, nil
}

// IssueAccountToken stores t for the account whose email is email, with
// its email msg, in one transaction. Both are INSERT … SELECT FROM users
// WHERE email = ?: the same two statements run whether or not the account
// exists, and write nothing when it does not, so neither the work done
// nor the time it takes tells a caller which (requestPasswordReset).
// t.UserID is ignored.
func (s *Store) IssueAccountToken(ctx context.Context, email string, t models.PasswordReset, msg models.EmailMessage) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A commit that wrote rows waits for its WAL to reach the disk; one
		// that wrote none (no account) does not: milliseconds apart with
		// fsync on (p50 4.1 ms against 1.4 ms, measured), which would tell
		// a stranger that the address has an account. Neither waits: a
		// crash in the next moment can lose the link, which is asked again.
		if err := s.dialect.noFlushWait(tx); err != nil {
			return fmt.Errorf("commit mode: %w", err)
		}
		if err := tx.Exec(`INSERT INTO password_resets (token_hash, user_id, purpose, expires_at, created_at)
			SELECT ?, user_id, ?, ?, ? FROM users WHERE email = ?`,
			t.TokenHash, t.Purpose, asStored(t.ExpiresAt), asStored(t.CreatedAt), email).Error; err != nil {
			return fmt.Errorf("store token: %w", err)
		}
		if err := tx.Exec(`INSERT INTO email_messages (email_id, kind, to_addr, subject, text_body, html_body, seq, dedupe_key,
			status, attempts, next_attempt_at, created_at, last_error, file)
			SELECT ?, ?, email, ?, ?, ?, 0, ?, ?, 0, ?, ?, '', '' FROM users WHERE email = ?`,
			msg.ID, msg.Kind, msg.Subject, msg.TextBody, msg.HTMLBody, msg.DedupeKey, models.EmailPending,
			asStored(msg.NextAttemptAt), asStored(msg.CreatedAt), email).Error; err != nil {
			return fmt.Errorf("enqueue email: %w", err)
		}
		return nil
	})
	return mapError(err, "issue account token")
}

// UseAccountToken spends the token whose hash is hash, for purpose, at
// most once: its row is locked with the account's others (on SQLite the
// write lock is the file's),
// judged by models.CheckAccountToken, and marked used with every other
// unused token of the account for that purpose; then apply runs in the
// same transaction with the account's id. Two requests with one token:
// the second finds it used.
func (s *Store) UseAccountToken(ctx context.Context, hash, purpose string, apply func(tx *gorm.DB, userID string, now time.Time) error) (string, error) {
	var userID string
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := tx.NowFunc()
		// Every token of the account, locked in one order: two requests
		// with two of its links lock the same rows in the same order, so
		// they queue instead of deadlocking over each other's UPDATE.
		var rows []models.PasswordReset
		if err := tx.Raw(`SELECT token_hash, user_id, purpose, expires_at, used_at, created_at FROM password_resets
			WHERE user_id IN (SELECT user_id FROM password_resets WHERE token_hash = ?) ORDER BY token_hash`+s.dialect.lockRows(false), hash).
			Scan(&rows).Error; err != nil {
			return fmt.Errorf("read token: %w", err)
		}
		var t *models.PasswordReset
		for i := range rows {
			if rows[i].TokenHash == hash {
				t = &rows[i]
			}
		}
		if err := models.CheckAccountToken(t, purpose, now); err != nil {
			return err
		}
		if err := tx.Exec("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
			now, t.UserID, purpose).Error; err != nil {
			return fmt.Errorf("use token: %w", err)
		}
		userID = t.UserID
		return apply(tx, t.UserID, now)
	})
	if err != nil {
		return "", mapError(err, "use account token")
	}
	return userID, nil
}

// ResetPassword spends a reset token: the account gets passwordHash, every
// refresh token of it is revoked (each of its sessions ends at its next
// refresh), and its email counts as verified (the link was sent there).
func (s *Store) ResetPassword(ctx context.Context, hash, passwordHash string) (string, error) {
	return s.UseAccountToken(ctx, hash, models.TokenReset, func(tx *gorm.DB, userID string, now time.Time) error {
		if err := tx.Exec("UPDATE users SET password_hash = ?, email_verified_at = coalesce(email_verified_at, ?) WHERE user_id = ?",
			passwordHash, now, userID).Error; err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := tx.Exec("UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND user_id = ?", now, userID).Error; err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		return nil
	})
}

// VerifyEmail spends a verification token: the account's email is verified.
func (s *Store) VerifyEmail(ctx context.Context, hash string) (string, error) {
	return s.UseAccountToken(ctx, hash, models.TokenVerify, func(tx *gorm.DB, userID string, now time.Time) error {
		return tx.Exec("UPDATE users SET email_verified_at = coalesce(email_verified_at, ?) WHERE user_id = ?", now, userID).Error
	})
}
