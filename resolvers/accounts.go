package resolvers

import (
	"context"
	"errors"

	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/errcode"
	"shop/models"
	"shop/requestid"
)

func (r *Resolver) Register(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	email, _ := in["email"].(string)
	password, _ := in["password"].(string)
	name, _ := in["name"].(string)
	s, err := r.accounts.Register(p.Context, email, password, name)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return &s, nil
}

// Login signs in. The device token (OWASP's device cookie) comes from the
// deviceToken argument, or in a browser's cookie mode from the device
// cookie when the argument is left out.
func (r *Resolver) Login(p graphql.ResolveParams) (any, error) {
	email, _ := p.Args["email"].(string)
	password, _ := p.Args["password"].(string)
	device, _ := p.Args["deviceToken"].(string)
	if b := auth.BrowserSessionFrom(p.Context); b != nil && device == "" {
		device = b.DeviceToken()
	}
	s, err := r.accounts.Login(p.Context, email, password, device)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if cartID, _ := p.Args["cartId"].(string); cartID != "" {
		r.mergeAtLogin(p.Context, models.Caller{UserID: s.User.ID, Role: s.User.Role}, cartID)
	}
	return inCookie(p.Context, s), nil
}

// RefreshToken trades the refresh token for a new session. In a browser's
// cookie mode an empty argument means the cookie's token; a token refused
// clears the cookie, so the page signs in again.
func (r *Resolver) RefreshToken(p graphql.ResolveParams) (any, error) {
	b := auth.BrowserSessionFrom(p.Context)
	token := sessionToken(b, p.Args)
	s, err := r.accounts.Refresh(p.Context, token)
	if err != nil {
		if b != nil && models.ErrorCode(err) == errcode.Unauthenticated {
			b.End()
		}
		return nil, r.fail(p.Context, err)
	}
	return inCookie(p.Context, s), nil
}

// Logout ends the refresh token's session; in a browser's cookie mode
// (the cookie's token when the argument is empty) it clears the cookie
// too, whatever happens to the session.
func (r *Resolver) Logout(p graphql.ResolveParams) (any, error) {
	b := auth.BrowserSessionFrom(p.Context)
	token := sessionToken(b, p.Args)
	if b != nil {
		b.End()
	}
	ok, err := r.accounts.Logout(p.Context, token)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}

// sessionToken is the refreshToken argument, or in cookie mode (b not
// nil) the cookie's token when the argument is empty.
func sessionToken(b *auth.BrowserSession, args map[string]any) string {
	token, _ := args["refreshToken"].(string)
	if token == "" && b != nil {
		return b.Token()
	}
	return token
}

// inCookie is the session a client gets: in a browser's cookie mode its
// refresh token and device token go into cookies, and the body's are ""
// and null, so no page script ever sees them.
func inCookie(ctx context.Context, s models.Session) *models.Session {
	if b := auth.BrowserSessionFrom(ctx); b != nil {
		b.Keep(s.RefreshToken, s.RefreshExpiresAt)
		s.RefreshToken = ""
		if s.DeviceToken != "" {
			b.KeepDevice(s.DeviceToken)
			s.DeviceToken = ""
		}
	}
	return &s
}

// Me is the caller's account; null when anonymous (or deleted since its
// token was issued).
func (r *Resolver) Me(p graphql.ResolveParams) (any, error) {
	u, err := r.accounts.Me(p.Context, auth.CallerFrom(p.Context))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if u == nil {
		return nil, nil
	}
	return u, nil
}

// mergeAtLogin merges the guest's cart into the account's cart, as
// cartMerge does. A sign-in succeeds whatever becomes of the cart: a cart
// the shop refuses to merge stays as it was (cartMerge tells why), and a
// failure of the shop's own is logged.
func (r *Resolver) mergeAtLogin(ctx context.Context, c models.Caller, cartID string) {
	if _, err := r.checkout.Merge(ctx, c, cartID); err != nil {
		var me *models.Error
		if !errors.As(err, &me) {
			r.logger.WarnContext(ctx, "merging the guest's cart at sign-in failed", "err", err.Error(), "request_id", requestid.From(ctx))
		}
	}
}
