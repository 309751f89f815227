package auth

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// DefaultBcryptCost is the work factor of new password hashes: about a
// quarter of a second on a current server core, which is what makes a
// stolen table of hashes slow to guess from.
const DefaultBcryptCost = 12

// passwords hashes and checks passwords with bcrypt.
type passwords struct {
	cost int
	// dummy is a hash of a random password at the same cost. Checking a
	// login for an unknown email against it costs what checking a real
	// account does, so the time taken does not tell the two apart.
	dummy []byte
}

func newPasswords(cost int) (*passwords, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d is not from %d to %d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		return nil, fmt.Errorf("hash dummy password: %w", err)
	}
	return &passwords{cost: cost, dummy: dummy}, nil
}

// hash returns the bcrypt hash of password, which ParseRegistration has
// limited to bcrypt's 72 bytes. The error never holds the password.
func (p *passwords) hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), p.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// check reports whether password matches hash. An empty hash (no such
// account) is checked against the dummy hash, so it takes the same time and
// never matches.
func (p *passwords) check(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(p.dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
