package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"shop/models"
)

// Outbound webhooks (issue 21): endpoints, and the deliveries the outbox's
// "webhooks" consumer queues for them, which senders on every instance
// claim, send and record (package webhooks).

type webhookEndpointRow struct {
	ID             string     `gorm:"column:id;type:varchar(36);primaryKey"`
	URL            string     `gorm:"column:url;type:text;not null"`
	Events         string     `gorm:"column:events;type:text;not null"` // a JSON array
	Description    *string    `gorm:"column:description;type:text"`
	Enabled        bool       `gorm:"column:enabled;not null"`
	Secret         string     `gorm:"column:secret;type:varchar(100);not null"`
	CreatedAt      time.Time  `gorm:"column:created_at;not null"`
	UpdatedAt      time.Time  `gorm:"column:updated_at;not null"`
	FailingSince   *time.Time `gorm:"column:failing_since"`
	DisabledReason *string    `gorm:"column:disabled_reason;type:text"`
}

func (webhookEndpointRow) TableName() string { return "webhook_endpoints" }

func (r webhookEndpointRow) model() models.WebhookEndpoint {
	var events []string
	_ = json.Unmarshal([]byte(r.Events), &events) // written by endpointRow only
	return models.WebhookEndpoint{ID: r.ID, URL: r.URL, Events: events, Description: r.Description, Enabled: r.Enabled, Secret: r.Secret,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FailingSince: r.FailingSince, DisabledReason: r.DisabledReason}
}

func endpointRow(ep models.WebhookEndpoint) webhookEndpointRow {
	events, _ := json.Marshal(ep.Events)
	return webhookEndpointRow{ID: ep.ID, URL: ep.URL, Events: string(events), Description: ep.Description, Enabled: ep.Enabled, Secret: ep.Secret,
		CreatedAt: ep.CreatedAt, UpdatedAt: ep.UpdatedAt, FailingSince: ep.FailingSince, DisabledReason: ep.DisabledReason}
}

// webhookDeliveryRow: id orders deliveries as their events (the consumer
// inserts them in the outbox's order). The key index finds an earlier
// pending delivery of the same endpoint and ordering key (a delivery is
// due only without one). next_attempt_at is set on pending rows alone,
// so its index holds just the rows to claim. No index leads with status:
// on a young table (no statistics yet) PostgreSQL took one for the
// "earlier pending" test and scanned every pending row for each
// candidate, 1.1 s a claim with 1,000 pending; with the key index alone
// to choose it is an index probe.
type webhookDeliveryRow struct {
	ID             int64      `gorm:"column:id;primaryKey;autoIncrement;index:idx_webhook_deliveries_key,priority:4"`
	EndpointID     string     `gorm:"column:endpoint_id;type:varchar(36);not null;index:idx_webhook_deliveries_key,priority:1"`
	OrderingKey    string     `gorm:"column:ordering_key;type:varchar(128);not null;index:idx_webhook_deliveries_key,priority:2"`
	Status         string     `gorm:"column:status;type:varchar(16);not null;index:idx_webhook_deliveries_key,priority:3"`
	NextAttemptAt  *time.Time `gorm:"column:next_attempt_at;index:idx_webhook_deliveries_next"`
	EventID        string     `gorm:"column:event_id;type:varchar(64);not null"`
	EventType      string     `gorm:"column:event_type;type:varchar(40);not null"`
	Payload        string     `gorm:"column:payload;type:text;not null"`
	Attempts       int        `gorm:"column:attempts;not null;default:0"`
	CreatedAt      time.Time  `gorm:"column:created_at;not null"`
	LastAttemptAt  *time.Time `gorm:"column:last_attempt_at"`
	DeliveredAt    *time.Time `gorm:"column:delivered_at"`
	ResponseStatus *int       `gorm:"column:response_status"`
	LastError      *string    `gorm:"column:last_error;type:text"`
	// A sender's claim: until when, and its token, which its result must
	// carry (a sender whose lease ran out and was taken over records
	// nothing).
	LeaseUntil *time.Time `gorm:"column:lease_until"`
	LeaseToken *string    `gorm:"column:lease_token;type:varchar(32)"`
}

func (webhookDeliveryRow) TableName() string { return "webhook_deliveries" }

func (r webhookDeliveryRow) model() models.WebhookDelivery {
	return models.WebhookDelivery{ID: r.ID, EndpointID: r.EndpointID, EventID: r.EventID, EventType: r.EventType, OrderingKey: r.OrderingKey,
		Payload: r.Payload, Status: r.Status, Attempts: r.Attempts, CreatedAt: r.CreatedAt, NextAttemptAt: r.NextAttemptAt,
		LastAttemptAt: r.LastAttemptAt, DeliveredAt: r.DeliveredAt, ResponseStatus: r.ResponseStatus, LastError: r.LastError}
}

func webhookTables() []any { return []any{&webhookEndpointRow{}, &webhookDeliveryRow{}} }

// webhookLock serialises endpoint creations, for their count.
const webhookLock = 7_130_411_021

// CreateWebhookEndpoint stores a new endpoint (ep has its URL, events,
// description and secret), at most models.MaxWebhookEndpoints.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, ep models.WebhookEndpoint) (*models.WebhookEndpoint, error) {
	now := s.db.NowFunc()
	ep.ID, ep.Enabled, ep.CreatedAt, ep.UpdatedAt = uuid.NewString(), true, now, now
	row := endpointRow(ep)
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := s.dialect.lockKey(tx, webhookLock); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&webhookEndpointRow{}).Count(&n).Error; err != nil {
			return err
		}
		if err := models.CheckRoom("webhook endpoints", int(n), models.MaxWebhookEndpoints); err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		return nil, mapError(err, "create webhook endpoint")
	}
	out := row.model()
	return &out, nil
}

// UpdateWebhookEndpoint runs change on the endpoint under its lock;
// models.ErrWebhookEndpointNotFound when there is none.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, id string, change func(*models.WebhookEndpoint) error) (*models.WebhookEndpoint, error) {
	var out models.WebhookEndpoint
	err := s.write(ctx, func(tx *gorm.DB) error {
		ep, err := s.lockEndpoint(tx, id)
		if err != nil {
			return err
		}
		if err := change(&ep); err != nil {
			return err
		}
		ep.UpdatedAt = s.db.NowFunc()
		row := endpointRow(ep)
		if err := tx.Model(&row).Select("url", "events", "description", "enabled", "updated_at", "failing_since", "disabled_reason").Updates(&row).Error; err != nil {
			return err
		}
		out = ep
		return nil
	})
	if err != nil {
		return nil, mapError(err, "update webhook endpoint")
	}
	return &out, nil
}

func (s *Store) lockEndpoint(tx *gorm.DB, id string) (models.WebhookEndpoint, error) {
	var rows []webhookEndpointRow
	if err := tx.Raw("SELECT * FROM webhook_endpoints WHERE id = ?"+s.dialect.lockRows(false), id).Scan(&rows).Error; err != nil {
		return models.WebhookEndpoint{}, err
	}
	if len(rows) == 0 {
		return models.WebhookEndpoint{}, models.ErrWebhookEndpointNotFound
	}
	return rows[0].model(), nil
}

// DeleteWebhookEndpoint deletes an endpoint and its deliveries, reporting
// whether there was one.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id string) (bool, error) {
	var found bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&webhookEndpointRow{})
		if res.Error != nil {
			return res.Error
		}
		found = res.RowsAffected > 0
		return tx.Where("endpoint_id = ?", id).Delete(&webhookDeliveryRow{}).Error
	})
	if err != nil {
		return false, mapError(err, "delete webhook endpoint")
	}
	return found, nil
}

// WebhookEndpoints is every endpoint, oldest first.
func (s *Store) WebhookEndpoints(ctx context.Context) ([]models.WebhookEndpoint, error) {
	var rows []webhookEndpointRow
	if err := s.db.WithContext(ctx).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, mapError(err, "read webhook endpoints")
	}
	out := make([]models.WebhookEndpoint, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, nil
}

// WebhookDeliveries is a page of deliveries, newest first: of one endpoint
// ("" for all) and status ("" for any), with ids below before (0: from
// the newest); more reports a next page.
func (s *Store) WebhookDeliveries(ctx context.Context, endpointID, status string, first int, before int64) (out []models.WebhookDelivery, more bool, err error) {
	q := s.db.WithContext(ctx).Model(&webhookDeliveryRow{})
	if endpointID != "" {
		q = q.Where("endpoint_id = ?", endpointID)
	}
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var rows []webhookDeliveryRow
	if err := q.Order("id DESC").Limit(first + 1).Find(&rows).Error; err != nil {
		return nil, false, mapError(err, "read webhook deliveries")
	}
	if len(rows) > first {
		rows, more = rows[:first], true
	}
	out = make([]models.WebhookDelivery, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, more, nil
}

// WebhookDelivery is one delivery; models.ErrWebhookDeliveryNotFound when
// there is none.
func (s *Store) WebhookDelivery(ctx context.Context, id int64) (*models.WebhookDelivery, error) {
	var rows []webhookDeliveryRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return nil, mapError(err, "read webhook delivery")
	}
	if len(rows) == 0 {
		return nil, models.ErrWebhookDeliveryNotFound
	}
	out := rows[0].model()
	return &out, nil
}

// ReplayWebhookDelivery queues a new delivery of the same payload to the
// same endpoint, due now, after any pending one of its ordering key.
func (s *Store) ReplayWebhookDelivery(ctx context.Context, id int64) (*models.WebhookDelivery, error) {
	var out models.WebhookDelivery
	err := s.write(ctx, func(tx *gorm.DB) error {
		var rows []webhookDeliveryRow
		if err := tx.Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return models.ErrWebhookDeliveryNotFound
		}
		now := s.db.NowFunc()
		old := rows[0]
		row := webhookDeliveryRow{EndpointID: old.EndpointID, OrderingKey: old.OrderingKey, Status: models.DeliveryPending, NextAttemptAt: &now,
			EventID: old.EventID, EventType: old.EventType, Payload: old.Payload, CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		out = row.model()
		return nil
	})
	if err != nil {
		return nil, mapError(err, "replay webhook delivery")
	}
	return &out, nil
}

// EnqueueWebhooks queues msgs (the webhooks of a run of outbox events, in
// their order) for every enabled endpoint that wants each. Inside the
// outbox's delivery (the consumer's Handle) it writes in that
// transaction, so the deliveries exist exactly when the consumer's
// position has moved past their events.
func (s *Store) EnqueueWebhooks(ctx context.Context, msgs []models.WebhookMessage) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	n := 0
	enqueue := func(tx *gorm.DB) error {
		var eps []webhookEndpointRow
		if err := tx.Where("enabled = ?", true).Order("created_at, id").Find(&eps).Error; err != nil {
			return fmt.Errorf("read webhook endpoints: %w", err)
		}
		if len(eps) == 0 {
			return nil
		}
		now := s.db.NowFunc()
		var rows []webhookDeliveryRow
		for _, m := range msgs {
			for _, r := range eps {
				if ep := r.model(); ep.Wants(m.Type) {
					rows = append(rows, webhookDeliveryRow{EndpointID: ep.ID, OrderingKey: m.OrderingKey, Status: models.DeliveryPending,
						NextAttemptAt: &now, EventID: m.ID, EventType: m.Type, Payload: m.Body, CreatedAt: now})
				}
			}
		}
		if len(rows) == 0 {
			return nil
		}
		n = len(rows)
		// In order, so that ids follow the events' order.
		if err := tx.CreateInBatches(rows, 200).Error; err != nil {
			return fmt.Errorf("queue webhook deliveries: %w", err)
		}
		return nil
	}
	err := s.inDelivery(ctx, enqueue)
	return n, err
}

// ClaimWebhookDeliveries takes up to limit due deliveries for lease:
// pending, their time come, not held by a live lease, of an enabled
// endpoint, and with no earlier pending delivery of the same endpoint and
// ordering key (so an order's webhooks arrive in their order, however
// long the first is retried). On PostgreSQL, rows another sender is
// claiming are skipped (FOR UPDATE SKIP LOCKED); SQLite has one sender.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, lease time.Duration, limit int) ([]models.WebhookClaim, error) {
	ctx = context.WithValue(ctx, backgroundKey{}, true)
	due := func(tx *gorm.DB, now time.Time, limit int, lock string) ([]int64, error) {
		var ids []int64
		err := tx.Raw(`SELECT d.id FROM webhook_deliveries d WHERE d.status = ? AND d.next_attempt_at <= ?
			AND (d.lease_until IS NULL OR d.lease_until <= ?)
			AND d.endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled)
			AND d.id = (SELECT e.id FROM webhook_deliveries e WHERE e.endpoint_id = d.endpoint_id AND e.ordering_key = d.ordering_key
				AND e.status = ? ORDER BY e.id LIMIT 1)
			ORDER BY d.next_attempt_at, d.id LIMIT ?`+lock,
			models.DeliveryPending, now, now, models.DeliveryPending, limit).Scan(&ids).Error
		return ids, err
	}
	// An idle sender's poll is this one read, with no transaction: on
	// SQLite a claim's transaction takes the write lock.
	if ids, err := due(s.db.WithContext(ctx), s.db.NowFunc(), 1, ""); err != nil || len(ids) == 0 {
		return nil, mapError(err, "find due webhook deliveries")
	}
	var out []models.WebhookClaim
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.db.NowFunc()
		ids, err := due(tx, now, limit, s.dialect.lockRows(true))
		if err != nil {
			return fmt.Errorf("find due webhook deliveries: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		token := newLeaseToken()
		until := now.Add(lease)
		if err := tx.Model(&webhookDeliveryRow{}).Where("id IN ?", ids).
			Updates(map[string]any{"lease_until": until, "lease_token": token}).Error; err != nil {
			return fmt.Errorf("lease webhook deliveries: %w", err)
		}
		var rows []webhookDeliveryRow
		if err := tx.Where("id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
			return fmt.Errorf("read claimed webhook deliveries: %w", err)
		}
		var eps []webhookEndpointRow
		if err := tx.Select("id", "url", "secret").Where("id IN (SELECT endpoint_id FROM webhook_deliveries WHERE id IN ?)", ids).Find(&eps).Error; err != nil {
			return fmt.Errorf("read claimed deliveries' endpoints: %w", err)
		}
		byID := make(map[string]webhookEndpointRow, len(eps))
		for _, ep := range eps {
			byID[ep.ID] = ep
		}
		for _, r := range rows {
			ep := byID[r.EndpointID]
			out = append(out, models.WebhookClaim{WebhookDelivery: r.model(), URL: ep.URL, Secret: ep.Secret, Token: token})
		}
		return nil
	})
	if err != nil {
		return nil, mapError(err, "claim webhook deliveries")
	}
	return out, nil
}

func newLeaseToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RecordWebhookAttempt saves an attempt, releasing the lease, and the
// endpoint's streak: a success ends it; a failure runs onFailure on the
// endpoint under its lock, which may disable it (true), recording
// webhook.endpoint_disabled in the same transaction.
func (s *Store) RecordWebhookAttempt(ctx context.Context, a models.WebhookAttempt,
	onFailure func(models.WebhookEndpoint) (models.WebhookEndpoint, bool)) error {
	ctx = context.WithValue(ctx, backgroundKey{}, true)
	at := asStored(a.At)
	err := s.write(ctx, func(tx *gorm.DB) error {
		set := map[string]any{
			"attempts": gorm.Expr("attempts + 1"), "last_attempt_at": at, "response_status": a.ResponseStatus,
			"lease_until": nil, "lease_token": nil,
		}
		switch {
		case a.Delivered:
			set["status"], set["delivered_at"], set["next_attempt_at"], set["last_error"] = models.DeliveryDelivered, at, nil, nil
		case a.NextAttemptAt == nil:
			set["status"], set["next_attempt_at"] = models.DeliveryFailed, nil
		default:
			set["next_attempt_at"] = asStored(*a.NextAttemptAt)
		}
		if !a.Delivered {
			msg := models.WebhookErrorText(a.Error)
			set["last_error"] = &msg
		}
		res := tx.Model(&webhookDeliveryRow{}).Where("id = ? AND lease_token = ?", a.Claim.ID, a.Claim.Token).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.ErrLeaseLost
		}
		if a.Delivered {
			return tx.Model(&webhookEndpointRow{}).Where("id = ? AND failing_since IS NOT NULL", a.Claim.EndpointID).
				Update("failing_since", nil).Error
		}
		ep, err := s.lockEndpoint(tx, a.Claim.EndpointID)
		if errors.Is(err, models.ErrWebhookEndpointNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		after, disabled := onFailure(ep)
		if ep.FailingSince != nil && !disabled {
			return nil // still failing: nothing new to say
		}
		after.UpdatedAt = s.db.NowFunc()
		row := endpointRow(after)
		if err := tx.Model(&row).Select("enabled", "failing_since", "disabled_reason", "updated_at").Updates(&row).Error; err != nil {
			return err
		}
		if disabled {
			reason := ""
			if after.DisabledReason != nil {
				reason = *after.DisabledReason
			}
			record(tx, models.NewEvent(models.EventWebhookEndpointDisabled, after.ID, models.WebhookEndpointDisabled{
				EndpointID: after.ID, FailingSince: *after.FailingSince, Reason: reason}, at))
		}
		return nil
	})
	if errors.Is(err, models.ErrLeaseLost) {
		return err
	}
	return mapError(err, "record webhook attempt")
}

// PurgeWebhookDeliveries deletes deliveries done (delivered or failed)
// and created before cutoff (EVENTS_RETENTION), in batches from the
// oldest.
func (s *Store) PurgeWebhookDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	cutoff = asStored(cutoff)
	var total int64
	for {
		res := s.db.WithContext(ctx).Exec(`DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
			WHERE status <> ? AND created_at < ? ORDER BY id LIMIT ?)`, models.DeliveryPending, cutoff, purgeBatch)
		if res.Error != nil {
			return total, mapError(res.Error, "purge webhook deliveries")
		}
		total += res.RowsAffected
		if res.RowsAffected < purgeBatch {
			return total, nil
		}
	}
}
