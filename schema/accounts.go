package schema

import (
	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// accountFields are the accounts' root fields: the me query and the
// register, login, refreshToken and logout mutations, and the User type.
func accountFields(b builder, r *resolvers.Resolver, dateTime *graphql.Scalar) (query, mutation graphql.Fields, user *graphql.Object) {
	user = graphql.NewObject(graphql.ObjectConfig{
		Name:        "User",
		Description: "An account. A customer's orders carry its id as their customerId.",
		Fields: graphql.Fields{
			"id":        field(graphql.NewNonNull(graphql.String), "", func(u *models.User) any { return u.ID }),
			"email":     field(graphql.NewNonNull(graphql.String), "Lowercase; matched case-insensitively at sign-in.", func(u *models.User) any { return u.Email }),
			"name":      field(graphql.NewNonNull(graphql.String), "", func(u *models.User) any { return u.Name }),
			"role":      field(graphql.NewNonNull(graphql.String), `"admin" or "customer".`, func(u *models.User) any { return string(u.Role) }),
			"createdAt": field(graphql.NewNonNull(dateTime), "", func(u *models.User) any { return u.CreatedAt }),
		},
	})
	payload := graphql.NewObject(graphql.ObjectConfig{
		Name:        "AuthPayload",
		Description: "A signed-in session.",
		Fields: graphql.Fields{
			"accessToken": field(graphql.NewNonNull(graphql.String), "Send as `Authorization: Bearer <accessToken>` until expiresAt.",
				func(s *models.Session) any { return s.AccessToken }),
			"refreshToken": field(graphql.NewNonNull(graphql.String), "Single use: trade it for a new session with the refreshToken mutation. Keep it secret.",
				func(s *models.Session) any { return s.RefreshToken }),
			"expiresAt": field(graphql.NewNonNull(dateTime), "When the access token expires.", func(s *models.Session) any { return s.ExpiresAt }),
			"deviceToken": field(graphql.String, "login and register: proof that this app signed in to the account. Keep it (it lasts a year) and send it as login's deviceToken: strangers guessing the password can't lock that sign-in out. Null for refreshToken, and for browsers, which get it in an HttpOnly cookie.",
				func(s *models.Session) any {
					if s.DeviceToken == "" {
						return nil
					}
					return s.DeviceToken
				}),
			"user": field(graphql.NewNonNull(user), "", func(s *models.Session) any { return &s.User }),
		},
	})
	registerInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "RegisterInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"email":    {Type: graphql.NewNonNull(graphql.String)},
			"password": {Type: graphql.NewNonNull(graphql.String), Description: "8 to 72 bytes."},
			"name":     {Type: graphql.NewNonNull(graphql.String), Description: "1 to 100 characters."},
		},
	})
	token := graphql.FieldConfigArgument{"refreshToken": {Type: graphql.NewNonNull(graphql.String)}}
	query = graphql.Fields{
		"me": {Type: user, Description: "The caller's account; null without a token.", Resolve: b.safe(r.Me)},
	}
	mutation = graphql.Fields{
		"register": {
			Type:        graphql.NewNonNull(payload),
			Description: "Creates a customer account and signs it in.",
			Args:        graphql.FieldConfigArgument{"input": {Type: graphql.NewNonNull(registerInput)}},
			Resolve:     b.safe(r.Register),
		},
		"login": {
			Type: graphql.NewNonNull(payload),
			Args: graphql.FieldConfigArgument{
				"email":       {Type: graphql.NewNonNull(graphql.String)},
				"password":    {Type: graphql.NewNonNull(graphql.String)},
				"deviceToken": {Type: graphql.String, Description: "The deviceToken an earlier sign-in to this account returned: its attempts count apart from strangers' guesses at the email."},
				"cartId":      {Type: graphql.String, Description: "A guest's cart to merge into the account's cart once signed in (as cartMerge does). Best effort: a cart that can't be merged (unknown, closed, too many lines) leaves the sign-in as it is; cartMerge says why."},
			},
			Resolve: b.safe(r.Login),
		},
		"refreshToken": {
			Type:        graphql.NewNonNull(payload),
			Description: "Trades a refresh token for a new session; the old token is used up. A used token sent again signs out every session that descends from the same sign-in.",
			Args:        token,
			Resolve:     b.safe(r.RefreshToken),
		},
		"logout": {
			Type:        graphql.NewNonNull(graphql.Boolean),
			Description: "Ends the session of a refresh token; false when it was unknown or already ended. Access tokens live out their minutes.",
			Args:        token,
			Resolve:     b.safe(r.Logout),
		},
	}
	return query, mutation, user
}
