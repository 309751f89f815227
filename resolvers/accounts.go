package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/models"
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

func (r *Resolver) Login(p graphql.ResolveParams) (any, error) {
	email, _ := p.Args["email"].(string)
	password, _ := p.Args["password"].(string)
	s, err := r.accounts.Login(p.Context, email, password)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return &s, nil
}

func (r *Resolver) RefreshToken(p graphql.ResolveParams) (any, error) {
	token, _ := p.Args["refreshToken"].(string)
	s, err := r.accounts.Refresh(p.Context, token)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return &s, nil
}

func (r *Resolver) Logout(p graphql.ResolveParams) (any, error) {
	token, _ := p.Args["refreshToken"].(string)
	ok, err := r.accounts.Logout(p.Context, token)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}

// Me is the caller's account; null when anonymous (or deleted since its
// token was issued).
func (r *Resolver) Me(p graphql.ResolveParams) (any, error) {
	c := auth.CallerFrom(p.Context)
	if c.Anonymous() {
		return nil, nil
	}
	u, err := r.accounts.User(p.Context, c.UserID)
	if models.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return u, nil
}
