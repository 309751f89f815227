package models

import "context"

// Page selects a slice of a list in a stable order.
type Page struct {
	Limit  int
	Offset int
}

// ProductService is what the resolvers need of the catalog. The store
// implements it, and the cache wraps the store with the same interface.
type ProductService interface {
	ListProducts(ctx context.Context, page Page) ([]Product, error)
	// ProductsPage is the products connection, oldest first.
	ProductsPage(ctx context.Context, c Connection) (ProductPage, error)
	// ProductByID returns an error with CodeNotFound when there is none.
	ProductByID(ctx context.Context, id string) (*Product, error)
	// ProductsByIDs returns the products that exist, keyed by id.
	ProductsByIDs(ctx context.Context, ids []string) (map[string]*Product, error)
	CreateProduct(ctx context.Context, p NewProduct) (*Product, error)
	// UpdateProduct returns an error with CodeNotFound when there is none.
	UpdateProduct(ctx context.Context, id string, patch ProductPatch) (*Product, error)
	// DeleteProduct reports whether a product was deleted.
	DeleteProduct(ctx context.Context, id string) (bool, error)
}

// OrderService is what the resolvers need of orders.
type OrderService interface {
	CreateOrder(ctx context.Context, req OrderRequest) (*Order, error)
	ListOrders(ctx context.Context, page Page) ([]Order, error)
	// OrdersPage is the orders connection, newest first.
	OrdersPage(ctx context.Context, c Connection, f OrderFilter) (OrderPage, error)
	// OrderByID returns an error with CodeNotFound when there is none.
	OrderByID(ctx context.Context, id string) (*Order, error)
}

// Store is the whole data layer.
type Store interface {
	ProductService
	OrderService
}
