// Package resolvers translates GraphQL arguments into calls on the shop's
// services and their results and errors back. Rules live in models; data
// access behind the models interfaces. Nothing here knows GORM or Redis.
package resolvers

import (
	"log/slog"

	"github.com/graphql-go/graphql"

	"shop/models"
)

// Resolver holds what every resolver needs.
type Resolver struct {
	store       models.Store
	logger      *slog.Logger
	maxPageSize int
}

// New makes a Resolver over store. Lists return at most maxPageSize items.
func New(store models.Store, logger *slog.Logger, maxPageSize int) *Resolver {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Resolver{store: store, logger: logger, maxPageSize: maxPageSize}
}

// page reads the optional limit and offset arguments of a list field.
func (r *Resolver) page(p graphql.ResolveParams) (models.Page, error) {
	page := models.Page{Limit: r.maxPageSize}
	var fe []models.FieldError
	if v, ok := p.Args["limit"].(int); ok {
		switch {
		case v < 1:
			fe = append(fe, models.FieldError{Field: "limit", Message: "must be at least 1"})
		case v < r.maxPageSize:
			page.Limit = v
		}
	}
	if v, ok := p.Args["offset"].(int); ok {
		if v < 0 {
			fe = append(fe, models.FieldError{Field: "offset", Message: "must not be negative"})
		}
		page.Offset = v
	}
	if len(fe) > 0 {
		return page, &models.Error{Code: models.CodeBadUserInput, Message: "Invalid page: limit must be at least 1 and offset must not be negative.", Fields: fe}
	}
	return page, nil
}

func optFloat(m map[string]any, key string) *float64 {
	if v, ok := m[key].(float64); ok {
		return &v
	}
	return nil
}

func optInt(m map[string]any, key string) *int {
	if v, ok := m[key].(int); ok {
		return &v
	}
	return nil
}
