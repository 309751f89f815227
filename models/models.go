// Package models holds the shop's nouns and rules, without I/O: the stored
// types, exact money, the error type, and the pure rules for products and
// orders. The services (catalog, ordering, reports, auth, payments) declare
// the ports they need of the data themselves. It imports nothing else from
// shop.
package models

import "time"

// OrderStatusPending is the status of every new order.
const OrderStatusPending = "pending"

// Product is a catalog entry. Timestamps are UTC.
type Product struct {
	ID          string    `gorm:"column:product_id;primaryKey;type:varchar(36);index:idx_products_created_id,priority:2;index:idx_products_price_id,priority:2;index:idx_products_name_id,priority:2;index:idx_products_category,priority:3" json:"id"`
	Price       Money     `gorm:"column:price_cents;not null;index:idx_products_price_id,priority:1" json:"price"`
	StockCount  int       `gorm:"column:stock_count;not null;check:chk_products_stock_count,stock_count >= 0" json:"stock"`
	CreatedAt   time.Time `gorm:"column:created_at;not null;index:idx_products_created_id,priority:1;index:idx_products_category,priority:2" json:"created"`
	LastUpdated time.Time `gorm:"column:last_updated;not null;autoUpdateTime:false" json:"updated"`
	// Name is never empty: products created without one get GeneratedName.
	Name        string `gorm:"column:name;type:varchar(200);not null;default:'';index:idx_products_name_id,priority:1" json:"name"`
	Description string `gorm:"column:description;type:text;not null;default:''" json:"desc,omitempty"`
	// SKU is unique, whatever its case (an index on lower(sku), made by
	// the store's migration); nil when the product has none.
	SKU       *string    `gorm:"column:sku;type:varchar(64)" json:"sku,omitempty"`
	ImageURLs StringList `gorm:"column:image_urls;type:text;not null;default:'[]'" json:"images,omitempty"`
	// Active products are for sale; inactive ones are hidden from shoppers
	// and can't be ordered.
	Active bool `gorm:"column:active;not null;default:true" json:"active"`
	// CategoryID has no foreign key (SQLite can't add one to an existing
	// table): the store checks it under a lock of the category's row.
	CategoryID *string `gorm:"column:category_id;type:varchar(36);index:idx_products_category,priority:1" json:"cat,omitempty"`
	// Options are what its variants differ by (Size: S, M, L); none for a
	// product with one default variant. Price, StockCount and SKU above
	// are its variants' ProductTotals.
	Options ProductOptions `gorm:"column:options;type:text;not null;default:'[]'" json:"opts,omitempty"`
}

// Order is a customer's order. Its indexes serve the orders connection:
// newest first, overall, by customer and by status. Its total is computed by the server from the
// prices stored at purchase time.
type Order struct {
	ID          string    `gorm:"column:order_id;primaryKey;type:varchar(36);index:idx_orders_created_id,priority:2;index:idx_orders_customer_created_id,priority:3;index:idx_orders_status_created_id,priority:3"`
	CustomerID  string    `gorm:"column:customer_id;type:varchar(128);not null;index:idx_orders_customer_created_id,priority:1"`
	TotalAmount Money     `gorm:"column:total_amount_cents;not null"`
	Status      string    `gorm:"column:status;type:varchar(32);not null;index:idx_orders_status_created_id,priority:1"`
	CreatedAt   time.Time `gorm:"column:created_at;not null;index:idx_orders_created_id,priority:1;index:idx_orders_customer_created_id,priority:2;index:idx_orders_status_created_id,priority:2"`
	LastUpdated time.Time `gorm:"column:last_updated;not null;autoUpdateTime:false"`
	// TrackingNumber and Carrier are set when the order ships.
	TrackingNumber string      `gorm:"column:tracking_number;type:varchar(100);not null;default:''"`
	Carrier        string      `gorm:"column:carrier;type:varchar(100);not null;default:''"`
	Items          []OrderItem `gorm:"foreignKey:OrderID;references:ID"`
	// Events are loaded only when asked for (OrderEvents).
	Events []OrderEvent `gorm:"-"`
	// Payment is the order's current payment (its latest attempt), nil
	// when it has none; PaymentLoaded says whether it was loaded.
	Payment       *Payment `gorm:"-"`
	PaymentLoaded bool     `gorm:"-"`
	// Checkout is what an order placed by checkoutComplete keeps of its
	// cart (address, shipping, code, taxes, totals); nil for createOrder's.
	Checkout *CheckoutSnapshot `gorm:"column:checkout;type:text;serializer:json"`
}

// OrderItem is one line of an order. ProductID deliberately has no foreign
// key: deleting a product must leave order history intact.
type OrderItem struct {
	ID              string `gorm:"column:id;primaryKey;type:varchar(36)"`
	OrderID         string `gorm:"column:order_id;type:varchar(36);not null;index"`
	ProductID       string `gorm:"column:product_id;type:varchar(36);not null;index"`
	Quantity        int    `gorm:"column:quantity;not null"`
	PriceAtPurchase Money  `gorm:"column:price_at_purchase_cents;not null"`
	Position        int    `gorm:"column:position;not null"`
	// The variant bought, as it was when the order was placed: renaming or
	// deleting it later leaves the line as it is. Lines placed before
	// variants name their product's default variant, whose id is the
	// product's.
	VariantID string          `gorm:"column:variant_id;type:varchar(36);not null;default:''"`
	SKU       *string         `gorm:"column:sku;type:varchar(64)"`
	Title     string          `gorm:"column:title;type:varchar(320);not null;default:''"`
	Options   SelectedOptions `gorm:"column:options;type:text;not null;default:'[]'"`
	// Discounts and Taxes are the line's from its order's checkout
	// snapshot (Order.PricedItems); none for createOrder's orders.
	Discounts []Allocation `gorm:"-"`
	Taxes     []TaxLine    `gorm:"-"`
	// ProductName is the product's name as it is now, filled only where a
	// reader needs it (the emails: a line is not named by its variant
	// alone, and the name is not part of an order's snapshot).
	ProductName string `gorm:"-"`
}
