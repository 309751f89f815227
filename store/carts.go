package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"shop/models"
)

// cartRow is a cart as stored: addresses as JSON text. The cart's id is
// its 128-bit random token (models.NewCartID).
type cartRow struct {
	ID               string    `gorm:"column:cart_id;primaryKey;type:varchar(36)"`
	CustomerID       *string   `gorm:"column:customer_id;type:varchar(128);index:idx_carts_customer,priority:1"`
	Email            string    `gorm:"column:email;type:varchar(320);not null;default:''"`
	ShippingAddress  *string   `gorm:"column:shipping_address;type:text"`
	BillingAddress   *string   `gorm:"column:billing_address;type:text"`
	ShippingMethodID string    `gorm:"column:shipping_method_id;type:varchar(36);not null;default:''"`
	DiscountCode     string    `gorm:"column:discount_code;type:varchar(64);not null;default:''"`
	Status           string    `gorm:"column:status;type:varchar(16);not null;index:idx_carts_customer,priority:2;index:idx_carts_stale,priority:1"`
	OrderID          *string   `gorm:"column:order_id;type:varchar(36)"`
	CheckoutKey      string    `gorm:"column:checkout_key;type:varchar(255);not null;default:''"`
	CreatedAt        time.Time `gorm:"column:created_at;not null"`
	LastUpdated      time.Time `gorm:"column:last_updated;not null;autoUpdateTime:false;index:idx_carts_stale,priority:2"`
}

func (cartRow) TableName() string { return "carts" }

// cartLineRow is a line of a cart; a variant appears once per cart.
type cartLineRow struct {
	ID        string    `gorm:"column:line_id;primaryKey;type:varchar(36)"`
	CartID    string    `gorm:"column:cart_id;type:varchar(36);not null;uniqueIndex:idx_cart_lines_variant,priority:1"`
	VariantID string    `gorm:"column:variant_id;type:varchar(36);not null;uniqueIndex:idx_cart_lines_variant,priority:2"`
	Quantity  int       `gorm:"column:quantity;not null"`
	PriceSeen int64     `gorm:"column:price_seen_cents;not null"`
	Position  int       `gorm:"column:position;not null"`
	AddedAt   time.Time `gorm:"column:added_at;not null"`
}

func (cartLineRow) TableName() string { return "cart_lines" }

// cartTables are the tables of carts, for the migration.
func cartTables() []any { return []any{&cartRow{}, &cartLineRow{}} }

func addressJSON(a *models.Address) (*string, error) {
	if a == nil {
		return nil, nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode address: %w", err)
	}
	s := string(b)
	return &s, nil
}

func addressOf(s *string) (*models.Address, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	var a models.Address
	if err := json.Unmarshal([]byte(*s), &a); err != nil {
		return nil, fmt.Errorf("decode address: %w", err)
	}
	return &a, nil
}

func (r cartRow) cart() (*models.Cart, error) {
	c := &models.Cart{
		ID: r.ID, CustomerID: r.CustomerID, Email: r.Email, ShippingMethodID: r.ShippingMethodID,
		DiscountCode: r.DiscountCode, Status: models.CartStatus(r.Status), OrderID: r.OrderID,
		CheckoutKey: r.CheckoutKey, CreatedAt: r.CreatedAt, LastUpdated: r.LastUpdated,
	}
	var err error
	if c.ShippingAddress, err = addressOf(r.ShippingAddress); err != nil {
		return nil, err
	}
	if c.BillingAddress, err = addressOf(r.BillingAddress); err != nil {
		return nil, err
	}
	return c, nil
}

func rowOf(c models.Cart) (cartRow, error) {
	r := cartRow{
		ID: c.ID, CustomerID: c.CustomerID, Email: c.Email, ShippingMethodID: c.ShippingMethodID,
		DiscountCode: c.DiscountCode, Status: string(c.Status), OrderID: c.OrderID, CheckoutKey: c.CheckoutKey,
		CreatedAt: c.CreatedAt, LastUpdated: c.LastUpdated,
	}
	var err error
	if r.ShippingAddress, err = addressJSON(c.ShippingAddress); err != nil {
		return r, err
	}
	r.BillingAddress, err = addressJSON(c.BillingAddress)
	return r, err
}

// CreateCart stores a new cart with its lines; its times are set here.
func (s *Store) CreateCart(ctx context.Context, c models.Cart) (*models.Cart, error) {
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		c.CreatedAt, c.LastUpdated = now, now
		for i := range c.Lines {
			c.Lines[i].CartID, c.Lines[i].AddedAt = c.ID, now
		}
		row, err := rowOf(c)
		if err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("insert cart: %w", err)
		}
		return insertLines(tx, c)
	})
	if err != nil {
		return nil, mapError(err, "create cart")
	}
	return &c, nil
}

// CartByID reads a cart with its lines; CART_NOT_FOUND when there is none.
func (s *Store) CartByID(ctx context.Context, id string) (*models.Cart, error) {
	c, err := readCart(s.db.WithContext(ctx), id, "")
	if err != nil {
		return nil, mapError(err, "get cart")
	}
	return c, nil
}

// readCart reads a cart and its lines, the cart's row locked with lock.
func readCart(db *gorm.DB, id, lock string) (*models.Cart, error) {
	var rows []cartRow
	if err := db.Raw("SELECT * FROM carts WHERE cart_id = ?"+lock, id).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read cart: %w", err)
	}
	if len(rows) == 0 {
		return nil, models.CartNotFound()
	}
	c, err := rows[0].cart()
	if err != nil {
		return nil, err
	}
	return c, cartLines(db, c)
}

func cartLines(db *gorm.DB, c *models.Cart) error {
	var lines []cartLineRow
	if err := db.Where("cart_id = ?", c.ID).Order("position, line_id").Find(&lines).Error; err != nil {
		return fmt.Errorf("read cart lines: %w", err)
	}
	c.Lines = make([]models.CartLine, len(lines))
	for i, l := range lines {
		c.Lines[i] = models.CartLine{ID: l.ID, CartID: l.CartID, VariantID: l.VariantID, Quantity: l.Quantity,
			PriceSeen: models.Money(l.PriceSeen), Position: l.Position, AddedAt: l.AddedAt}
	}
	return nil
}

// lockCart reads a cart under its row's lock (PostgreSQL; SQLite's write
// transaction holds the file): writes to one cart run one at a time, each
// judged against the one before.
func (s *Store) lockCart(tx *gorm.DB, id string) (*models.Cart, error) {
	return readCart(tx, id, s.dialect.lockRows(false))
}

// UpdateCart changes a cart in one transaction: fn gets the cart, read
// under its lock, and changes it, or refuses; what it leaves is written,
// the lines replaced, and last_updated set.
func (s *Store) UpdateCart(ctx context.Context, id string, fn func(*models.Cart) error) (*models.Cart, error) {
	var out *models.Cart
	err := s.write(ctx, func(tx *gorm.DB) error {
		c, err := s.lockCart(tx, id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		if err := saveCart(tx, c, tx.NowFunc()); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, mapError(err, "update cart")
	}
	return out, nil
}

// saveCart writes a cart locked in tx: its row, and its lines replaced
// (at most MaxCartLines, so replacing is as cheap as comparing).
func saveCart(tx *gorm.DB, c *models.Cart, now time.Time) error {
	c.LastUpdated = now
	row, err := rowOf(*c)
	if err != nil {
		return err
	}
	res := tx.Model(&cartRow{}).Where("cart_id = ?", c.ID).Updates(map[string]any{
		"customer_id": row.CustomerID, "email": row.Email, "shipping_address": row.ShippingAddress,
		"billing_address": row.BillingAddress, "shipping_method_id": row.ShippingMethodID,
		"discount_code": row.DiscountCode, "status": row.Status, "order_id": row.OrderID,
		"checkout_key": row.CheckoutKey, "last_updated": row.LastUpdated,
	})
	if res.Error != nil {
		return fmt.Errorf("update cart: %w", res.Error)
	}
	if err := tx.Where("cart_id = ?", c.ID).Delete(&cartLineRow{}).Error; err != nil {
		return fmt.Errorf("replace cart lines: %w", err)
	}
	return insertLines(tx, *c)
}

func insertLines(tx *gorm.DB, c models.Cart) error {
	if len(c.Lines) == 0 {
		return nil
	}
	rows := make([]cartLineRow, len(c.Lines))
	for i, l := range c.Lines {
		rows[i] = cartLineRow{ID: l.ID, CartID: c.ID, VariantID: l.VariantID, Quantity: l.Quantity,
			PriceSeen: int64(l.PriceSeen), Position: l.Position, AddedAt: l.AddedAt}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("insert cart lines: %w", err)
	}
	return nil
}

// MergeCart merges the guest cart guestID into the open cart of
// customerID, in one transaction: both carts' rows are locked (in id
// order, so two merges never wait on each other in a cycle), fn decides
// (models.MergeCart) and both are written. own is nil when the customer
// has no open cart. It returns the cart the customer keeps.
func (s *Store) MergeCart(ctx context.Context, guestID, customerID string, fn func(guest, own *models.Cart) (*models.Cart, error)) (*models.Cart, error) {
	var out *models.Cart
	err := s.write(ctx, func(tx *gorm.DB) error {
		var ownID string
		var ids []string
		if err := tx.Raw("SELECT cart_id FROM carts WHERE customer_id = ? AND status = ? ORDER BY last_updated DESC, cart_id LIMIT 1",
			customerID, models.CartOpen).Scan(&ids).Error; err != nil {
			return fmt.Errorf("find the customer's cart: %w", err)
		}
		if len(ids) > 0 && ids[0] != guestID {
			ownID = ids[0]
		}
		carts := map[string]*models.Cart{}
		order := []string{guestID}
		if ownID != "" {
			order = append(order, ownID)
			if ownID < guestID {
				order[0], order[1] = ownID, guestID
			}
		}
		for _, id := range order {
			c, err := s.lockCart(tx, id)
			if err != nil {
				return err
			}
			carts[id] = c
		}
		var own *models.Cart
		if ownID != "" {
			own = carts[ownID]
			if own.Status != models.CartOpen || own.CustomerID == nil || *own.CustomerID != customerID {
				own = nil // changed while it was found: the guest cart becomes the customer's
			}
		}
		guest := carts[guestID]
		kept, err := fn(guest, own)
		if err != nil {
			return err
		}
		now := tx.NowFunc()
		if err := saveCart(tx, guest, now); err != nil {
			return err
		}
		if own != nil {
			if err := saveCart(tx, own, now); err != nil {
				return err
			}
		}
		out = kept
		return nil
	})
	if err != nil {
		return nil, mapError(err, "merge carts")
	}
	return out, nil
}

// DeleteStaleCarts deletes up to limit open carts unchanged since cutoff,
// with their lines, and returns how many. A closed cart stays: it names
// the order it became, for a retry of its checkout.
func (s *Store) DeleteStaleCarts(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *gorm.DB) error {
		var ids []string
		if err := tx.Raw("SELECT cart_id FROM carts WHERE status = ? AND last_updated < ? ORDER BY last_updated LIMIT ?"+s.dialect.lockRows(true),
			models.CartOpen, asStored(cutoff), limit).Scan(&ids).Error; err != nil {
			return fmt.Errorf("find stale carts: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Where("cart_id IN ?", ids).Delete(&cartLineRow{}).Error; err != nil {
			return fmt.Errorf("delete stale cart lines: %w", err)
		}
		res := tx.Where("cart_id IN ?", ids).Delete(&cartRow{})
		n = res.RowsAffected
		return res.Error
	})
	return n, mapError(err, "delete stale carts")
}

// sellableSQL reads variants with what a cart needs of their products.
var sellableSQL = "SELECT v." + strings.ReplaceAll(variantColumns, ", ", ", v.") +
	", p.active AS product_active, p.category_id AS product_category FROM product_variants v JOIN products p ON p.product_id = v.product_id WHERE v.variant_id IN ?"

// Sellables reads variants, as they are now, with their products' active
// flag and category, by variant id; missing ones are left out.
func (s *Store) Sellables(ctx context.Context, variantIDs []string) (map[string]models.Sellable, error) {
	out := make(map[string]models.Sellable, len(variantIDs))
	for start := 0; start < len(variantIDs); start += maxParams {
		batch := variantIDs[start:min(start+maxParams, len(variantIDs))]
		var rows []struct {
			models.ProductVariant
			ProductActive   bool    `gorm:"column:product_active"`
			ProductCategory *string `gorm:"column:product_category"`
		}
		if err := s.db.WithContext(ctx).Raw(sellableSQL, batch).Scan(&rows).Error; err != nil {
			return nil, mapError(err, "read cart variants")
		}
		for _, r := range rows {
			out[r.ID] = models.Sellable{Variant: r.ProductVariant, ProductActive: r.ProductActive, CategoryID: r.ProductCategory}
		}
	}
	return out, nil
}

// CategoryParents maps each category to its parent ("" for a top one):
// what a code's categories are matched through (a product in a
// subcategory is in its ancestors too).
func (s *Store) CategoryParents(ctx context.Context) (map[string]string, error) {
	out, err := categoryParents(s.db.WithContext(ctx))
	return out, mapError(err, "read categories")
}

func categoryParents(db *gorm.DB) (map[string]string, error) {
	var rows []struct {
		ID     string  `gorm:"column:category_id"`
		Parent *string `gorm:"column:parent_id"`
	}
	if err := db.Raw("SELECT category_id, parent_id FROM categories").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read categories: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.ID] = ""
		if r.Parent != nil {
			out[r.ID] = *r.Parent
		}
	}
	return out, nil
}
