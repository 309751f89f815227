package schema

import (
	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// addMail adds issue 21's emails and account tokens: the admins' outbox,
// password reset, email verification, and User.emailVerified.
func addMail(b builder, r *resolvers.Resolver, dateTime *graphql.Scalar, user, pageInfoType *graphql.Object, query, mutation *graphql.Object) {
	user.AddFieldConfig("emailVerified", field(graphql.NewNonNull(graphql.Boolean),
		"Whether the account proved it reads its email: a verifyEmail link, or a password reset (sent there).",
		func(u *models.User) any { return u.EmailVerifiedAt != nil }))
	body := func(get func(*models.EmailMessage) string) func(*models.EmailMessage) any {
		return func(m *models.EmailMessage) any {
			if models.HoldsSecret(m.Kind) {
				return nil
			}
			return get(m)
		}
	}
	message := graphql.NewObject(graphql.ObjectConfig{
		Name:        "EmailMessage",
		Description: "An email in the outbox: rendered when its event happened, sent from the outbox with retries.",
		Fields: graphql.Fields{
			"emailId": field(graphql.NewNonNull(graphql.String), "", func(m *models.EmailMessage) any { return m.ID }),
			"kind": field(graphql.NewNonNull(graphql.String), `"order_placed", "payment_received", "order_shipped", "order_cancelled", "order_refunded", "password_reset" or "verify_email".`,
				func(m *models.EmailMessage) any { return m.Kind }),
			"to":      field(graphql.NewNonNull(graphql.String), "The recipient's address.", func(m *models.EmailMessage) any { return m.To }),
			"subject": field(graphql.NewNonNull(graphql.String), "", func(m *models.EmailMessage) any { return m.Subject }),
			"status": field(graphql.NewNonNull(graphql.String), `"pending" (to be sent, or retried at its time), "sent" or "failed" (given up after 12 attempts over about a day).`,
				func(m *models.EmailMessage) any { return m.Status }),
			"attempts": field(graphql.NewNonNull(graphql.Int), "Sending attempts so far.", func(m *models.EmailMessage) any { return m.Attempts }),
			"orderId": field(graphql.String, "The order it is about; null for account emails.", func(m *models.EmailMessage) any {
				if m.OrderID == nil {
					return nil
				}
				return *m.OrderID
			}),
			"createdAt": field(graphql.NewNonNull(dateTime), "", func(m *models.EmailMessage) any { return m.CreatedAt }),
			"sentAt":    field(dateTime, "", func(m *models.EmailMessage) any { return m.SentAt }),
			"lastError": field(graphql.String, "Why the last attempt failed; null when it did not.", func(m *models.EmailMessage) any {
				if m.LastError == "" {
					return nil
				}
				return m.LastError
			}),
			"file": field(graphql.String, "The .eml file it was written to (under MAIL_DIR), when there is no SMTP_URL; null otherwise or before it is sent.", func(m *models.EmailMessage) any {
				if m.File == "" {
					return nil
				}
				return m.File
			}),
			"textBody": field(graphql.String, "The plain-text part; null for password_reset and verify_email, whose links sign their reader in.",
				body(func(m *models.EmailMessage) string { return m.TextBody })),
			"htmlBody": field(graphql.String, "The HTML part; null for password_reset and verify_email.",
				body(func(m *models.EmailMessage) string { return m.HTMLBody })),
		},
	})
	messageEdge := edgeType("EmailMessageEdge", message)
	conn := graphql.NewObject(graphql.ObjectConfig{
		Name: "EmailMessageConnection",
		Fields: graphql.Fields{
			"edges": field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(messageEdge))), "", func(pg *models.EmailPage) any {
				out := make([]edge, len(pg.Emails))
				for i := range pg.Emails {
					out[i] = edge{cursor: models.EmailCursor(pg.Emails[i]).Encode(), node: &pg.Emails[i]}
				}
				return out
			}),
			"pageInfo": field(graphql.NewNonNull(pageInfoType), "", func(pg *models.EmailPage) any {
				return info(pg.HasNext, len(pg.Emails), func() string { return models.EmailCursor(pg.Emails[len(pg.Emails)-1]).Encode() })
			}),
		},
	})
	query.AddFieldConfig("emailOutbox", &graphql.Field{
		Type:        graphql.NewNonNull(conn),
		Description: "Admins: the emails, newest first, optionally of one status or kind. first 1..100 (default 20).",
		Args: graphql.FieldConfigArgument{
			"status": {Type: graphql.String, Description: `"pending", "sent" or "failed".`},
			"kind":   {Type: graphql.String},
			"first":  {Type: graphql.Int, Description: "Page size, 1 to 100 (default 20)."},
			"after":  {Type: graphql.String, Description: "The endCursor of the previous page."},
		},
		Resolve: b.safe(r.EmailOutbox),
	})
	mutation.AddFieldConfig("requestPasswordReset", &graphql.Field{
		Type: graphql.NewNonNull(graphql.Boolean),
		Description: "Emails a link to SHOP_URL/reset-password?token=… (single use, 1 hour) if the address has an account. " +
			"Always true, in the same time either way; limited per email (RATE_LIMIT_PASSWORD_RESET an hour) and per client address (RATE_LIMIT_AUTH).",
		Args:    graphql.FieldConfigArgument{"email": {Type: graphql.NewNonNull(graphql.String)}},
		Resolve: b.safe(r.RequestPasswordReset),
	})
	mutation.AddFieldConfig("resetPassword", &graphql.Field{
		Type: graphql.NewNonNull(graphql.Boolean),
		Description: "Sets the password of the account a reset link was sent to (8 to 72 bytes, as register) and signs out every session of it (refresh tokens revoked; access tokens already issued live out their minutes). " +
			"RESET_TOKEN_INVALID, RESET_TOKEN_EXPIRED or RESET_TOKEN_USED for a token that can't be used.",
		Args: graphql.FieldConfigArgument{
			"token":       {Type: graphql.NewNonNull(graphql.String)},
			"newPassword": {Type: graphql.NewNonNull(graphql.String)},
		},
		Resolve: b.safe(r.ResetPassword),
	})
	mutation.AddFieldConfig("requestEmailVerification", &graphql.Field{
		Type:        graphql.NewNonNull(graphql.Boolean),
		Description: "Signed in: emails a link to SHOP_URL/verify-email?token=… (single use, 24 hours). True at once when the email is verified already.",
		Resolve:     b.safe(r.RequestEmailVerification),
	})
	mutation.AddFieldConfig("verifyEmail", &graphql.Field{
		Type:        graphql.NewNonNull(graphql.Boolean),
		Description: "Marks the email of the account a verification link was sent to as verified (User.emailVerified).",
		Args:        graphql.FieldConfigArgument{"token": {Type: graphql.NewNonNull(graphql.String)}},
		Resolve:     b.safe(r.VerifyEmail),
	})
}
