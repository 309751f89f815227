package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
)

// EmailOutbox is a page of the emails, newest first (admins).
func (r *Resolver) EmailOutbox(p graphql.ResolveParams) (any, error) {
	page, err := r.outbox.Page(p.Context, auth.CallerFrom(p.Context), optString(p.Args, "status"), optString(p.Args, "kind"),
		optInt(p.Args, "first"), optString(p.Args, "after"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return page, nil
}

// RequestPasswordReset emails a reset link if the address has an account;
// true either way.
func (r *Resolver) RequestPasswordReset(p graphql.ResolveParams) (any, error) {
	email, _ := p.Args["email"].(string)
	ok, err := r.accounts.RequestPasswordReset(p.Context, email)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}

// ResetPassword sets a new password with a reset token.
func (r *Resolver) ResetPassword(p graphql.ResolveParams) (any, error) {
	token, _ := p.Args["token"].(string)
	password, _ := p.Args["newPassword"].(string)
	ok, err := r.accounts.ResetPassword(p.Context, token, password)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}

// RequestEmailVerification emails the caller a verification link.
func (r *Resolver) RequestEmailVerification(p graphql.ResolveParams) (any, error) {
	ok, err := r.accounts.RequestEmailVerification(p.Context, auth.CallerFrom(p.Context))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}

// VerifyEmail spends a verification token.
func (r *Resolver) VerifyEmail(p graphql.ResolveParams) (any, error) {
	token, _ := p.Args["token"].(string)
	ok, err := r.accounts.VerifyEmail(p.Context, token)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}
