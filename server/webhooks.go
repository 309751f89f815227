package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"shop/errcode"
	"shop/models"
	"shop/requestid"
)

// WebhookReceiver verifies and applies one delivery of a payment
// provider's webhook, given its raw body and its Stripe-Signature header
// (payments.Service.HandleWebhook). An error with CodeBadRequest means the
// delivery was not a valid, fresh, signed event; CodeNotFound, that no
// such provider is configured; anything else, that it could not be applied
// now.
type WebhookReceiver func(ctx context.Context, provider string, payload []byte, signature string) error

// webhooks is POST /webhooks/{provider}. The signature covers the raw
// body, so the body is read as it came, whole, before anything parses it.
// The provider reads only the status: 2xx means applied (or applied
// before, or not shop's), 400 and 404 that delivering it again will not
// help, 5xx that it should deliver it again later.
func webhooks(receive WebhookReceiver, maxBytes int64, timeout time.Duration, logger *slog.Logger) http.HandlerFunc {
	if maxBytes <= 0 {
		maxBytes = 1 << 20
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if receive == nil {
			writeError(w, http.StatusNotFound, errcode.NotFound, "Payments are not set up on this server.")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, errcode.BadRequest, "The webhook's body is larger than MAX_BODY_BYTES.")
				return
			}
			writeError(w, http.StatusBadRequest, errcode.BadRequest, "The webhook's body could not be read.")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		provider := chi.URLParam(r, "provider")
		err = receive(ctx, provider, body, r.Header.Get("Stripe-Signature"))
		var me *models.Error
		switch {
		case err == nil:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(`{"received":true}` + "\n"))
		case errors.As(err, &me) && me.Code == errcode.BadRequest:
			logger.WarnContext(ctx, "webhook refused", "provider", provider, "reason", me.Message, "request_id", requestid.From(ctx))
			writeError(w, http.StatusBadRequest, me.Code, me.Message)
		case errors.As(err, &me) && me.Code == errcode.NotFound:
			writeError(w, http.StatusNotFound, me.Code, me.Message)
		case errors.As(err, &me) && me.Code == errcode.ServiceUnavailable:
			writeError(w, http.StatusServiceUnavailable, me.Code, me.Message)
		default:
			logger.ErrorContext(ctx, "webhook not applied; the provider will deliver it again", "provider", provider, "err", err.Error(), "request_id", requestid.From(ctx))
			writeError(w, http.StatusInternalServerError, errcode.InternalServerError, "The event could not be applied now; deliver it again later.")
		}
	}
}
