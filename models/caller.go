package models

// Role is what an account may do.
type Role string

const (
	RoleAdmin    Role = "admin"
	RoleCustomer Role = "customer"
)

// Caller is who sends a request, as proven by its access token. The zero
// value is an anonymous caller.
type Caller struct {
	UserID string
	Role   Role
}

// Anonymous is true when the request carried no token.
func (c Caller) Anonymous() bool { return c.UserID == "" }

// IsAdmin is true for an administrator's token.
func (c Caller) IsAdmin() bool { return !c.Anonymous() && c.Role == RoleAdmin }
