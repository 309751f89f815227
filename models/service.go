package models

import (
	"context"
	"time"
)

// Page selects a slice of a list in a stable order.
type Page struct {
	Limit  int
	Offset int
}

// ProductService is what the resolvers need of the catalog. The store
// implements it, and the cache wraps the store with the same interface.
type ProductService interface {
	ListProducts(ctx context.Context, page Page, f ProductFilter) ([]Product, error)
	// ProductsPage is the products connection, oldest first.
	ProductsPage(ctx context.Context, c Connection, f ProductFilter) (ProductPage, error)
	// ProductByID returns an error with errcode.NotFound when there is none.
	ProductByID(ctx context.Context, id string) (*Product, error)
	// ProductsByIDs returns the products that exist, keyed by id.
	ProductsByIDs(ctx context.Context, ids []string) (map[string]*Product, error)
	CreateProduct(ctx context.Context, p NewProduct) (*Product, error)
	// UpdateProduct returns an error with errcode.NotFound when there is none.
	UpdateProduct(ctx context.Context, id string, patch ProductPatch) (*Product, error)
	// DeleteProduct reports whether a product was deleted.
	DeleteProduct(ctx context.Context, id string) (bool, error)
	// AdjustStock changes a product's stock by a delta, in the ledger.
	AdjustStock(ctx context.Context, a Adjustment) (*Product, error)
	// StockMovements pages through a product's ledger, oldest first.
	StockMovements(ctx context.Context, productID string, c LedgerConnection) (MovementPage, error)
	// LowStock lists products with at most threshold in stock, fewest
	// first.
	LowStock(ctx context.Context, threshold, limit int) ([]Product, error)

	// Categories returns every category, each with the number of products
	// directly in it that f lets through.
	Categories(ctx context.Context, f ProductFilter) ([]Category, error)
	CreateCategory(ctx context.Context, c NewCategory) (*Category, error)
	// UpdateCategory returns an error with errcode.NotFound when there is none.
	UpdateCategory(ctx context.Context, id string, patch CategoryPatch) (*Category, error)
	// DeleteCategory reports whether a category was deleted; it refuses
	// (errcode.Conflict) while the category has products or subcategories.
	DeleteCategory(ctx context.Context, id string) (bool, error)
}

// OrderService is what the resolvers need of orders.
type OrderService interface {
	// CreateOrder places an order, or, for a retry under the same
	// idempotency key, returns the order the key created.
	CreateOrder(ctx context.Context, req OrderRequest) (*Order, error)
	// ChangeOrderStatus moves an order along its lifecycle; a cancellation
	// restocks its lines. It returns the order with its items.
	ChangeOrderStatus(ctx context.Context, ch StatusChange) (*Order, error)
	// AddOrderNote records an event that leaves the order's status as it
	// is, and returns the order with its items.
	AddOrderNote(ctx context.Context, n OrderNote) (*Order, error)
	// ExpireOrders cancels up to limit pending orders created before
	// cutoff, restocking them, and returns them.
	ExpireOrders(ctx context.Context, cutoff time.Time, note string, limit int) ([]Order, error)
	// OrderEvents returns the orders' events, oldest first, by order id.
	OrderEvents(ctx context.Context, orderIDs []string) (map[string][]OrderEvent, error)
	// PurgeIdempotencyKeys deletes keys created before cutoff.
	PurgeIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error)
	// PurgeProcessedEvents forgets webhook events applied before cutoff.
	PurgeProcessedEvents(ctx context.Context, cutoff time.Time) (int64, error)
	// ListOrders lists orders newest first; the filter's empty fields
	// match all.
	ListOrders(ctx context.Context, page Page, f OrderFilter) ([]Order, error)
	// OrdersPage is the orders connection, newest first.
	OrdersPage(ctx context.Context, c Connection, f OrderFilter) (OrderPage, error)
	// OrderByID returns an error with errcode.NotFound when there is none.
	OrderByID(ctx context.Context, id string) (*Order, error)
	// OrderPayments returns each order's current payment (its latest
	// attempt), by order id; orders without one are left out.
	OrderPayments(ctx context.Context, orderIDs []string) (map[string]*Payment, error)
}

// Store is the whole data layer.
type Store interface {
	ProductService
	OrderService
	PaymentStore
	AdminReports
}

// AccountStore is what the accounts service needs of the database.
type AccountStore interface {
	// CreateUser returns an error with errcode.Conflict when the email is taken.
	CreateUser(ctx context.Context, u *User) error
	// UserByEmail and UserByID return an error with errcode.NotFound when
	// there is none.
	UserByEmail(ctx context.Context, email string) (*User, error)
	UserByID(ctx context.Context, id string) (*User, error)
	// SaveAdmin creates u as an admin, or makes the account with u's email
	// an admin with u's password hash; created says which.
	SaveAdmin(ctx context.Context, u *User) (created bool, err error)
	// HasAdmin reports whether any admin account exists.
	HasAdmin(ctx context.Context) (bool, error)
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// RotateRefreshToken uses the token whose hash is hash, once: in one
	// transaction it marks it used and stores next (given its id, hash and
	// times) in the same family and for the same user, which it fills in.
	// A used token yields ErrRefreshTokenReused and revokes its family; an
	// unknown, expired or revoked one ErrRefreshTokenInvalid.
	RotateRefreshToken(ctx context.Context, hash string, next *RefreshToken) error
	// RevokeRefreshFamily revokes the family of the token whose hash is
	// hash, reporting whether it had any live token.
	RevokeRefreshFamily(ctx context.Context, hash string) (bool, error)
	// RevokeUserRefreshTokens revokes every refresh token of the user.
	RevokeUserRefreshTokens(ctx context.Context, userID string) error
}

// AccountService is what the resolvers need of accounts.
type AccountService interface {
	Register(ctx context.Context, email, password, name string) (Session, error)
	// Login signs in with an email and password; deviceToken is the one
	// an earlier sign-in gave this browser or app ("" without one).
	Login(ctx context.Context, email, password, deviceToken string) (Session, error)
	Refresh(ctx context.Context, refreshToken string) (Session, error)
	Logout(ctx context.Context, refreshToken string) (bool, error)
	// User returns an error with errcode.NotFound when there is none.
	User(ctx context.Context, id string) (*User, error)
}
