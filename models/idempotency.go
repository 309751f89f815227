package models

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"shop/errcode"
)

// IdempotencyKeyTTL is how long a key answers retries with the order it
// created. A client retrying later than this places a new order.
const IdempotencyKeyTTL = 24 * time.Hour

// MaxIdempotencyKeySize bounds a key (a UUID is 36).
const MaxIdempotencyKeySize = 255

// IdempotencyKey is a key a caller sent with createOrder, stored under a
// unique constraint on (caller, key) with the fingerprint of the request
// and the order it created.
type IdempotencyKey struct {
	Caller      string    `gorm:"column:caller;type:varchar(128);primaryKey"`
	Key         string    `gorm:"column:key;type:varchar(255);primaryKey"`
	Fingerprint string    `gorm:"column:fingerprint;type:varchar(64);not null"`
	OrderID     string    `gorm:"column:order_id;type:varchar(36);not null"`
	CreatedAt   time.Time `gorm:"column:created_at;not null;index"`
}

// ParseIdempotencyKey validates a key from the Idempotency-Key header or
// the input's idempotencyKey; both given must agree. Empty means none.
func ParseIdempotencyKey(header, input string) (string, error) {
	var fe fieldErrors
	header, input = strings.TrimSpace(header), strings.TrimSpace(input)
	if header != "" && input != "" && header != input {
		fe.add("idempotencyKey", "differs from the Idempotency-Key header; send one or the same in both")
	}
	key := header
	if key == "" {
		key = input
	}
	if key != "" {
		// Printable ASCII only, as for an HTTP header value.
		for _, r := range key {
			if r < 0x21 || r > 0x7e {
				fe.add("idempotencyKey", "must be printable ASCII without spaces, got %q", truncate(key, 40))
				break
			}
		}
		if len(key) > MaxIdempotencyKeySize {
			fe.add("idempotencyKey", "must be at most %d characters", MaxIdempotencyKeySize)
		}
	}
	if err := fe.err(); err != nil {
		return "", err
	}
	return key, nil
}

// Fingerprint identifies what an order request asks for: the same key
// with a different fingerprint is a different request.
func (r OrderRequest) Fingerprint() string {
	h := sha256.New()
	h.Write([]byte(r.CustomerID))
	for _, l := range r.Lines { // sorted by ParseOrder
		h.Write([]byte{0})
		h.Write([]byte(l.ProductID))
		if l.VariantID != "" {
			// (Only then: keys stored before variants keep their
			// fingerprints.)
			h.Write([]byte{1})
			h.Write([]byte(l.VariantID))
		}
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(l.Quantity)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ReplayIdempotent decides what a request under a key already stored gets:
// the original order when it asks for the same thing, IDEMPOTENCY_KEY_REUSED
// when it asks for something else.
func ReplayIdempotent(stored IdempotencyKey, fingerprint string) error {
	if stored.Fingerprint != fingerprint {
		return &Error{
			Code:    errcode.IdempotencyKeyReused,
			Message: "This Idempotency-Key was used for a different order; use a new key for a new order.",
		}
	}
	return nil
}

// ErrIdempotencyKeyInUse answers a request whose key another request is
// still using.
var ErrIdempotencyKeyInUse = &Error{
	Code:    errcode.IdempotencyKeyInUse,
	Message: "A request with this Idempotency-Key is still being processed; retry in a moment.",
}
