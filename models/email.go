package models

import (
	"errors"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"shop/errcode"
)

// Kinds of email (EmailMessage.Kind).
const (
	EmailOrderPlaced     = "order_placed"
	EmailPaymentReceived = "payment_received"
	EmailOrderShipped    = "order_shipped"
	EmailOrderCancelled  = "order_cancelled"
	EmailOrderRefunded   = "order_refunded"
	EmailPasswordReset   = "password_reset"
	EmailVerifyEmail     = "verify_email"
)

// EmailKinds are every kind, for the outbox's filter.
var EmailKinds = []string{EmailOrderPlaced, EmailPaymentReceived, EmailOrderShipped, EmailOrderCancelled,
	EmailOrderRefunded, EmailPasswordReset, EmailVerifyEmail}

// Statuses of an email (EmailMessage.Status).
const (
	EmailPending = "pending"
	EmailSent    = "sent"
	EmailFailed  = "failed"
)

// EmailStatuses are every status, for the outbox's filter.
var EmailStatuses = []string{EmailPending, EmailSent, EmailFailed}

// HoldsSecret reports whether an email of kind carries a token that signs
// its reader in (a reset or verification link): its body is never shown
// through the API, and is blanked once sent.
func HoldsSecret(kind string) bool { return kind == EmailPasswordReset || kind == EmailVerifyEmail }

// EmailMessage is one email in the outbox: rendered when its event was
// handed to the mail consumer (or when a reset was asked for), then sent
// by whichever instance claims it first. NextAttemptAt is both when it is
// due and its sender's lease: claiming a row moves it past the send's
// timeout, so a row whose sender died is due again once that passes.
// DedupeKey makes enqueueing safe to repeat (the outbox hands events over
// at least once). Seq orders an order's emails (its event's id), so a
// receipt goes out before its "shipped".
type EmailMessage struct {
	ID            string     `gorm:"column:email_id;primaryKey;type:varchar(36);index:idx_email_created_id,priority:2"`
	Kind          string     `gorm:"column:kind;type:varchar(32);not null"`
	To            string     `gorm:"column:to_addr;type:varchar(254);not null"`
	Subject       string     `gorm:"column:subject;type:varchar(400);not null"`
	TextBody      string     `gorm:"column:text_body;type:text;not null"`
	HTMLBody      string     `gorm:"column:html_body;type:text;not null"`
	OrderID       *string    `gorm:"column:order_id;type:varchar(36);index:idx_email_order_seq,priority:1"`
	Seq           int64      `gorm:"column:seq;not null;default:0;index:idx_email_order_seq,priority:2"`
	DedupeKey     string     `gorm:"column:dedupe_key;type:varchar(200);not null;uniqueIndex:idx_email_dedupe"`
	Status        string     `gorm:"column:status;type:varchar(16);not null;index:idx_email_due,priority:1"`
	Attempts      int        `gorm:"column:attempts;not null;default:0"`
	NextAttemptAt time.Time  `gorm:"column:next_attempt_at;not null;index:idx_email_due,priority:2"`
	CreatedAt     time.Time  `gorm:"column:created_at;not null;index:idx_email_created_id,priority:1"`
	SentAt        *time.Time `gorm:"column:sent_at"`
	LastError     string     `gorm:"column:last_error;type:varchar(1000);not null;default:''"`
	File          string     `gorm:"column:file;type:varchar(1000);not null;default:''"`
}

// TableName keeps GORM's name stable.
func (EmailMessage) TableName() string { return "email_messages" }

// EmailCursor is the position just after m in the outbox, newest first.
func EmailCursor(m EmailMessage) Cursor { return Cursor{CreatedAt: m.CreatedAt, ID: m.ID} }

// EmailPage is one page of the outbox.
type EmailPage struct {
	Emails  []EmailMessage
	HasNext bool
}

// EmailFilter is a validated request for a page of the outbox.
type EmailFilter struct {
	Connection
	Status, Kind string // "" for any
}

// ParseEmailFilter validates emailOutbox's arguments, every bad one at once.
func ParseEmailFilter(status, kind *string, first *int, after *string) (EmailFilter, error) {
	var fe fieldErrors
	conn, err := ParseConnection(first, after)
	var connErr *Error
	if errors.As(err, &connErr) {
		fe = append(fe, connErr.Fields...)
	}
	f := EmailFilter{Connection: conn}
	if status != nil && *status != "" {
		if !slices.Contains(EmailStatuses, *status) {
			fe.add("status", "must be one of %s", strings.Join(EmailStatuses, ", "))
		}
		f.Status = *status
	}
	if kind != nil && *kind != "" {
		if !slices.Contains(EmailKinds, *kind) {
			fe.add("kind", "must be one of %s", strings.Join(EmailKinds, ", "))
		}
		f.Kind = *kind
	}
	if err := fe.err(); err != nil {
		return EmailFilter{}, err
	}
	return f, nil
}

// MaxEmailAttempts is how many times an email is tried before it is
// failed for good; the retries wait from emailFirstRetry, doubling up to
// emailLastRetry.
const (
	MaxEmailAttempts = 12
	emailFirstRetry  = time.Minute
	emailLastRetry   = 8 * time.Hour
)

// EmailRetryAfter is how long after its attempts-th failed attempt an
// email is tried again: exponential from 1 min, capped at 8 h, with
// jitter (between half the step and the step), so that emails failing
// together (the relay down) don't come back together. The twelve attempts
// span about a day at worst (24.5 h), three quarters of it on average.
func EmailRetryAfter(attempts int, rnd *rand.Rand) time.Duration {
	step := emailFirstRetry
	for i := 1; i < attempts && step < emailLastRetry; i++ {
		step *= 2
	}
	step = min(step, emailLastRetry)
	if rnd == nil {
		return step/2 + rand.N(step/2+1)
	}
	return step/2 + time.Duration(rnd.Int64N(int64(step/2)+1))
}

// EmailGivesUp reports whether an email that has failed attempts times is
// failed for good.
func EmailGivesUp(attempts int) bool { return attempts >= MaxEmailAttempts }

// MaxEmailError bounds the error text an email keeps.
const MaxEmailError = 1000

// EmailError is err's text as an email keeps it: valid UTF-8, one line,
// at most MaxEmailError bytes.
func EmailError(err error) string {
	s := strings.ToValidUTF8(err.Error(), "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	for len(s) > MaxEmailError {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// TrackingURL is where a parcel can be followed: the carrier's own page
// for the carriers known here (matched by name, whatever its case and
// spacing), and otherwise a web search for the carrier and number, which
// finds any carrier's page. "" without a tracking number.
func TrackingURL(carrier, number string) string {
	number = strings.TrimSpace(number)
	if number == "" {
		return ""
	}
	q := queryEscape(number)
	switch normalizeCarrier(carrier) {
	case "ups":
		return "https://www.ups.com/track?tracknum=" + q
	case "usps":
		return "https://tools.usps.com/go/TrackConfirmAction?tLabels=" + q
	case "fedex":
		return "https://www.fedex.com/fedextrack/?trknbr=" + q
	case "dhl", "dhlexpress":
		return "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=" + q
	case "royalmail":
		return "https://www.royalmail.com/track-your-item#/tracking-results/" + url.PathEscape(number)
	case "canadapost":
		return "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=" + q
	case "laposte", "colissimo":
		return "https://www.laposte.fr/outils/suivre-vos-envois?code=" + q
	}
	return "https://www.google.com/search?q=" + queryEscape(strings.TrimSpace(carrier+" tracking "+number))
}

// queryEscape escapes a query value with %20 for spaces: a "+" is what
// html/template escapes in an href (&#43;), which some mail programs show.
func queryEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// normalizeCarrier keeps a carrier name's letters, lowercased.
func normalizeCarrier(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// PasswordReset is one reset link: only the SHA-256 of its token is kept,
// so a copy of the database opens no account. It is used at most once,
// within ResetTokenTTL.
type PasswordReset struct {
	TokenHash string     `gorm:"column:token_hash;primaryKey;type:varchar(64)"`
	UserID    string     `gorm:"column:user_id;type:varchar(36);not null;index:idx_password_resets_user"`
	Purpose   string     `gorm:"column:purpose;type:varchar(16);not null;default:'reset'"`
	ExpiresAt time.Time  `gorm:"column:expires_at;not null;index:idx_password_resets_expires"`
	UsedAt    *time.Time `gorm:"column:used_at"`
	CreatedAt time.Time  `gorm:"column:created_at;not null"`
}

// TableName keeps GORM's name stable.
func (PasswordReset) TableName() string { return "password_resets" }

// Purposes of an account token (PasswordReset.Purpose).
const (
	TokenReset  = "reset"
	TokenVerify = "verify"
)

// Lifetimes of account tokens.
const (
	ResetTokenTTL  = time.Hour
	VerifyTokenTTL = 24 * time.Hour
)

// MaxAccountTokenBytes bounds a reset or verification token as sent: ours
// are 43 characters; anything much longer is not one of them.
const MaxAccountTokenBytes = 128

// Errors of reset and verification tokens: distinct codes, so a page can
// say "this link has expired, ask for another" rather than "invalid".
var (
	ErrResetTokenInvalid = &Error{Code: errcode.ResetTokenInvalid, Message: "This link is not valid: ask for a new one."}
	ErrResetTokenExpired = &Error{Code: errcode.ResetTokenExpired, Message: "This link has expired: ask for a new one."}
	ErrResetTokenUsed    = &Error{Code: errcode.ResetTokenUsed, Message: "This link has been used already: ask for a new one if you need it."}
)

// CheckAccountToken says why t can't be used at now (nil when it can):
// ErrResetTokenInvalid when there is none (or it is for another purpose),
// then used before expired, as the more useful thing to say.
func CheckAccountToken(t *PasswordReset, purpose string, now time.Time) error {
	switch {
	case t == nil || t.Purpose != purpose:
		return ErrResetTokenInvalid
	case t.UsedAt != nil:
		return ErrResetTokenUsed
	case !now.Before(t.ExpiresAt):
		return ErrResetTokenExpired
	}
	return nil
}

// ParseNewPassword checks a new password by the rules of registration.
func ParseNewPassword(field, password string) error {
	var fe fieldErrors
	checkPassword(&fe, field, password)
	return fe.err()
}
