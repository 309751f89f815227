package mail

import (
	"context"

	"shop/models"
)

// OutboxStore is what the outbox's listing needs of the database.
type OutboxStore interface {
	EmailOutboxPage(ctx context.Context, f models.EmailFilter) (models.EmailPage, error)
}

// Outbox lists the emails for admins (emailOutbox).
type Outbox struct{ store OutboxStore }

// NewOutbox makes the listing service.
func NewOutbox(store OutboxStore) *Outbox { return &Outbox{store: store} }

// Page is a page of the outbox, newest first (admins). The bodies of
// emails that hold a token are left out: whoever reads them could reset
// that account's password.
func (o *Outbox) Page(ctx context.Context, c models.Caller, status, kind *string, first *int, after *string) (models.EmailPage, error) {
	if err := models.RequireAdmin(c); err != nil {
		return models.EmailPage{}, err
	}
	f, err := models.ParseEmailFilter(status, kind, first, after)
	if err != nil {
		return models.EmailPage{}, err
	}
	page, err := o.store.EmailOutboxPage(ctx, f)
	if err != nil {
		return models.EmailPage{}, err
	}
	for i := range page.Emails {
		if models.HoldsSecret(page.Emails[i].Kind) {
			page.Emails[i].TextBody, page.Emails[i].HTMLBody = "", ""
		}
	}
	return page, nil
}
