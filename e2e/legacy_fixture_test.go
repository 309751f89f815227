package e2e

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// The tables as the shop wrote them before product variants (issue 19):
// copies of models.Product, Order, OrderItem, StockMovement, OrderEvent,
// Category and User as they were then, gorm tags and table names
// unchanged, so that TestLegacyBytes runs today's migrations (and,
// later, the variants' migration) on data the old schema wrote. They are
// frozen here on purpose: never update them to follow models. Fields are
// the Go types underneath (Money is int64, StringList a JSON text, Role a
// string), which give GORM the same columns; the fields GORM ignores
// (gorm:"-") are left out.

type legacyProduct struct {
	ID          string    `gorm:"column:product_id;primaryKey;type:varchar(36);index:idx_products_created_id,priority:2;index:idx_products_price_id,priority:2;index:idx_products_name_id,priority:2;index:idx_products_category,priority:3"`
	Price       int64     `gorm:"column:price_cents;not null;index:idx_products_price_id,priority:1"`
	StockCount  int       `gorm:"column:stock_count;not null;check:chk_products_stock_count,stock_count >= 0"`
	CreatedAt   time.Time `gorm:"column:created_at;not null;index:idx_products_created_id,priority:1;index:idx_products_category,priority:2"`
	LastUpdated time.Time `gorm:"column:last_updated;not null;autoUpdateTime:false"`
	Name        string    `gorm:"column:name;type:varchar(200);not null;default:'';index:idx_products_name_id,priority:1"`
	Description string    `gorm:"column:description;type:text;not null;default:''"`
	SKU         *string   `gorm:"column:sku;type:varchar(64)"`
	ImageURLs   string    `gorm:"column:image_urls;type:text;not null;default:'[]'"`
	Active      bool      `gorm:"column:active;not null;default:true"`
	CategoryID  *string   `gorm:"column:category_id;type:varchar(36);index:idx_products_category,priority:1"`
}

func (legacyProduct) TableName() string { return "products" }

type legacyOrder struct {
	ID             string            `gorm:"column:order_id;primaryKey;type:varchar(36);index:idx_orders_created_id,priority:2;index:idx_orders_customer_created_id,priority:3;index:idx_orders_status_created_id,priority:3"`
	CustomerID     string            `gorm:"column:customer_id;type:varchar(128);not null;index:idx_orders_customer_created_id,priority:1"`
	TotalAmount    int64             `gorm:"column:total_amount_cents;not null"`
	Status         string            `gorm:"column:status;type:varchar(32);not null;index:idx_orders_status_created_id,priority:1"`
	CreatedAt      time.Time         `gorm:"column:created_at;not null;index:idx_orders_created_id,priority:1;index:idx_orders_customer_created_id,priority:2;index:idx_orders_status_created_id,priority:2"`
	LastUpdated    time.Time         `gorm:"column:last_updated;not null;autoUpdateTime:false"`
	TrackingNumber string            `gorm:"column:tracking_number;type:varchar(100);not null;default:''"`
	Carrier        string            `gorm:"column:carrier;type:varchar(100);not null;default:''"`
	Items          []legacyOrderItem `gorm:"foreignKey:OrderID;references:ID"`
}

func (legacyOrder) TableName() string { return "orders" }

type legacyOrderItem struct {
	ID              string `gorm:"column:id;primaryKey;type:varchar(36)"`
	OrderID         string `gorm:"column:order_id;type:varchar(36);not null;index"`
	ProductID       string `gorm:"column:product_id;type:varchar(36);not null;index"`
	Quantity        int    `gorm:"column:quantity;not null"`
	PriceAtPurchase int64  `gorm:"column:price_at_purchase_cents;not null"`
	Position        int    `gorm:"column:position;not null"`
}

func (legacyOrderItem) TableName() string { return "order_items" }

type legacyStockMovement struct {
	ID         int64     `gorm:"column:id;primaryKey;autoIncrement;index:idx_stock_movements_product,priority:2"`
	ProductID  string    `gorm:"column:product_id;type:varchar(36);not null;index:idx_stock_movements_product,priority:1"`
	Delta      int       `gorm:"column:delta;not null"`
	Kind       string    `gorm:"column:kind;type:varchar(32);not null"`
	Reason     string    `gorm:"column:reason;type:varchar(500);not null;default:''"`
	OrderID    *string   `gorm:"column:order_id;type:varchar(36)"`
	Actor      string    `gorm:"column:actor;type:varchar(128);not null"`
	At         time.Time `gorm:"column:at;not null"`
	StockAfter int       `gorm:"column:stock_after;not null"`
}

func (legacyStockMovement) TableName() string { return "stock_movements" }

type legacyOrderEvent struct {
	ID      int64     `gorm:"column:id;primaryKey;autoIncrement;index:idx_order_events_order,priority:2"`
	OrderID string    `gorm:"column:order_id;type:varchar(36);not null;index:idx_order_events_order,priority:1"`
	Status  string    `gorm:"column:status;type:varchar(32);not null"`
	Message string    `gorm:"column:message;type:varchar(500);not null;default:''"`
	Note    string    `gorm:"column:note;type:varchar(500);not null;default:''"`
	Actor   string    `gorm:"column:actor;type:varchar(128);not null"`
	At      time.Time `gorm:"column:at;not null"`
}

func (legacyOrderEvent) TableName() string { return "order_events" }

type legacyCategory struct {
	ID        string    `gorm:"column:category_id;primaryKey;type:varchar(36)"`
	Name      string    `gorm:"column:name;type:varchar(100);not null"`
	Slug      string    `gorm:"column:slug;type:varchar(120);not null;uniqueIndex:idx_categories_slug"`
	ParentID  *string   `gorm:"column:parent_id;type:varchar(36);index:idx_categories_parent"`
	CreatedAt time.Time `gorm:"column:created_at;not null"`
}

func (legacyCategory) TableName() string { return "categories" }

type legacyUser struct {
	ID           string    `gorm:"column:user_id;primaryKey;type:varchar(36);index:idx_users_role_created_id,priority:3"`
	Email        string    `gorm:"column:email;type:varchar(254);not null;uniqueIndex:idx_users_email"`
	Name         string    `gorm:"column:name;type:varchar(400);not null"`
	Role         string    `gorm:"column:role;type:varchar(16);not null;index:idx_users_role_created_id,priority:1"`
	PasswordHash string    `gorm:"column:password_hash;type:varchar(100);not null"`
	CreatedAt    time.Time `gorm:"column:created_at;not null;index:idx_users_role_created_id,priority:2"`
}

func (legacyUser) TableName() string { return "users" }

// Ids of the fixture: fixed UUIDs, one prefix per kind, numbered.
func legacyProductID(i int) string  { return fmt.Sprintf("10000000-0000-4000-8000-%012d", i) }
func legacyOrderID(i int) string    { return fmt.Sprintf("20000000-0000-4000-8000-%012d", i) }
func legacyItemID(o, k int) string  { return fmt.Sprintf("30000000-0000-4000-8000-%012d", o*100+k) }
func legacyUserID(i int) string     { return fmt.Sprintf("40000000-0000-4000-8000-%012d", i) }
func legacyCategoryID(i int) string { return fmt.Sprintf("50000000-0000-4000-8000-%012d", i) }

// legacyGoneProduct is a product deleted before the fixture was taken:
// an order line still names it, and its ledger rows stay behind, as
// deleteProduct leaves them.
const legacyGoneProduct = 99

// The fixture's accounts: the admin (id 1) and four customers (2 to 5,
// the last without orders). The password hashes are bcrypt at cost 4 of
// testAdminPassword and testCustomerPassword, fixed so that the fixture
// is the same bytes every run.
const (
	legacyAdminHash    = "$2a$04$oJifPXCGTH8JT9v/RUe9NOfCbatdosLUrbMfFooQBZoibHIdQ9tDa"
	legacyCustomerHash = "$2a$04$Y1iUrpcl4vAe/B4CzP7UG.0KTxopOh1G02AHPq4cbDvzQ3G9oSP6q"
)

var legacyCustomers = []struct{ key, email, name string }{
	{"ada", "ada@shop.test", "Ada Lovelace"},
	{"grace", "grace@shop.test", "Grace Hopper"},
	{"alan", "alan@shop.test", "Alan Turing"},
	{"edsger", "edsger@shop.test", "Edsger W. Dijkstra"},
}

// legacyCustomer is the user number of a customer by key.
func legacyCustomer(key string) int {
	for i, c := range legacyCustomers {
		if c.key == key {
			return i + 2
		}
	}
	panic("no fixture customer " + key)
}

// Categories 1 to 4: Mugs & Cups sits under Kitchen; Empty Shelf has no
// products.
var legacyCategories = []struct {
	name, slug string
	parent     int
}{
	{"Kitchen", "kitchen", 0},
	{"Mugs & Cups", "mugs-cups", 1},
	{"Garden", "garden", 0},
	{"Empty Shelf", "empty-shelf", 0},
}

// legacyProducts are products 1 to 40: prices in cents (0, 1 cent and the
// maximum among them), the stock they hold now (0 and low ones too), and
// text with what JSON escapes (<, >, &, line breaks) and what it leaves
// (accents, ×, emoji). Names sort the same under every collation (no two
// share a prefix up to a space).
var legacyProducts = []struct {
	name     string
	cents    int64
	stock    int
	sku      string
	category int
	inactive bool
	images   int
	desc     string
}{
	{"Espresso Cup", 450, 120, "CUP-ESP-01", 2, false, 1, "Small, thick-walled porcelain."},
	{"Latte Mug", 1299, 35, "MUG-001", 2, false, 2, "Holds 350 ml.\nDishwasher safe."},
	{"Travel Mug", 2450, 0, "MUG-002", 2, false, 0, "Keeps tea hot for 6 hours & cold for 12."},
	{"Porcelain Teapot", 3999, 3, "TEA-POT-1", 1, false, 1, ""},
	{"Tea Cosy", 1500, 12, "", 1, false, 0, "Hand-knitted <wool>, fits a 1 l pot."},
	{"Chef Knife", 8900, 7, "KN-CHEF-8", 1, false, 1, "8\" blade."},
	{"Cutting Board", 2250, 1, "", 1, false, 0, "Oak."},
	{"Salad Bowl", 1875, 25, "BOWL-SAL", 1, false, 1, ""},
	{"Café Sign", 999, 4, "", 0, false, 0, "Enamel, 30 × 20 cm. ☕"},
	{"Garden Hose", 3450, 18, "GH-25M", 3, false, 1, "25 m, with a spray nozzle."},
	{"Watering Can", 1999, 5, "WC-5L", 3, false, 0, ""},
	{"Hand Trowel", 799, 60, "", 3, false, 0, "Stainless steel."},
	{"Pruning Shears", 2599, 2, "PS-200", 3, false, 1, ""},
	{"Seed Tray", 349, 200, "", 3, false, 0, ""},
	{"Plant Pot", 1, 999, "POT-XS", 3, false, 0, "The smallest pot."},
	{"Bird Feeder", 2100, 0, "", 3, true, 0, "Discontinued."},
	{"Compost Bin", 6500, 6, "CB-300L", 3, false, 2, ""},
	{"Lantern", 0, 10, "", 0, false, 0, "Free with any order."},
	{"Beeswax Candles", 1250, 30, "CND-3", 0, false, 0, "Set of 3."},
	{"Picture Frame", 1525, 9, "", 0, true, 0, ""},
	{"Wall Clock", 4999, 5, "CLK-W1", 0, false, 1, ""},
	{"Doormat", 2000, 14, "", 0, false, 0, "Coir."},
	{"Umbrella", 1799, 0, "UMB-BLK", 0, false, 0, ""},
	{"Notebook", 550, 300, "NB-A5", 0, false, 0, "A5, dotted."},
	{"Fountain Pen", 9999999999, 1, "PEN-GOLD", 0, false, 1, "The most expensive thing we sell."},
	{"Pencil Case", 675, 0, "", 0, true, 0, ""},
	{"Desk Lamp", 3300, 8, "LAMP-D", 0, false, 0, ""},
	{"Bookend Pair", 2800, 4, "", 0, false, 0, ""},
	{"Mug Rack", 1650, 11, "RACK-M", 1, false, 0, "Hangs six mugs."},
	{"Oven Mitt", 899, 0, "", 1, false, 0, ""},
	{"Apron", 2199, 13, "APR-01", 1, true, 0, ""},
	{"Colander", 1425, 5, "", 1, false, 0, ""},
	{"Whisk", 475, 40, "WSK-S", 1, false, 0, ""},
	{"Rolling Pin", 1150, 2, "", 1, false, 0, ""},
	{"Bread Tin", 1330, 6, "", 1, false, 0, ""},
	{"Ladle", 620, 0, "LDL-1", 1, false, 0, ""},
	{"Sieve", 780, 19, "", 1, false, 0, ""},
	{"Kettle", 4575, 3, "KTL-17", 1, false, 1, "1.7 l."},
	{"Tea Towel", 505, 50, "", 1, false, 0, ""},
	{"Mugs Gift Box", 3600, 5, "GIFT-MUGS", 2, false, 0, "Two Latte Mugs in a box."},
}

// legacyOrders are orders 1 to 15 of customers ada, grace and alan, in
// every status. A line's price is the product's price, unless it says
// otherwise (the product's price changed since).
var legacyOrders = []struct {
	customer, status string
	lines            []legacyLine
}{
	{"ada", "pending", []legacyLine{{2, 1, 0}, {6, 1, 0}}},
	{"grace", "paid", []legacyLine{{1, 3, 0}}},
	{"ada", "shipped", []legacyLine{{10, 2, 0}, {4, 1, 0}, {legacyGoneProduct, 1, 777}}},
	{"alan", "delivered", []legacyLine{{8, 2, 1950}, {12, 5, 0}}},
	{"grace", "cancelled", []legacyLine{{19, 2, 0}, {24, 1, 0}}},
	{"ada", "paid", []legacyLine{{13, 1, 0}}},
	{"alan", "pending", []legacyLine{{10, 1, 0}, {33, 4, 0}, {2, 1, 0}}},
	{"grace", "shipped", []legacyLine{{21, 1, 0}}},
	{"ada", "delivered", []legacyLine{{25, 1, 0}}},
	{"alan", "cancelled", []legacyLine{{11, 1, 0}, {17, 1, 0}}},
	{"grace", "pending", []legacyLine{{3, 2, 0}}},
	{"ada", "paid", []legacyLine{{15, 10, 0}, {14, 20, 0}}},
	{"alan", "shipped", []legacyLine{{23, 1, 0}, {36, 2, 0}}},
	{"grace", "delivered", []legacyLine{{38, 1, 4999}, {40, 2, 0}, {29, 1, 0}}},
	{"ada", "pending", []legacyLine{{18, 1, 0}, {39, 2, 0}}},
}

type legacyLine struct {
	product, quantity int
	cents             int64 // 0: the product's price
}

// legacyFixture is every row the test writes before the program starts.
type legacyFixture struct {
	categories []legacyCategory
	users      []legacyUser
	products   []legacyProduct
	orders     []legacyOrder
	events     []legacyOrderEvent
	movements  []legacyStockMovement
	// ids is every UUID the fixture wrote; any other in an answer was
	// made by the server.
	ids map[string]bool
}

var legacyEpoch = time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC)

// newLegacyFixture builds the fixture from the tables above; nothing in
// it is random. The ledger is what the shop would have written: each
// product's initial stock, the "update" and "adjustment" rows an admin
// made, each order's lines and each cancellation's return, so that every
// product's stock is the sum of its movements.
func newLegacyFixture() legacyFixture {
	f := legacyFixture{ids: map[string]bool{}}
	admin := legacyUserID(1)
	f.users = append(f.users, legacyUser{ID: admin, Email: testAdminEmail, Name: "Admin", Role: "admin",
		PasswordHash: legacyAdminHash, CreatedAt: legacyEpoch.Add(-30 * 24 * time.Hour)})
	for i, c := range legacyCustomers {
		f.users = append(f.users, legacyUser{ID: legacyUserID(i + 2), Email: c.email, Name: c.name, Role: "customer",
			PasswordHash: legacyCustomerHash, CreatedAt: legacyEpoch.Add(time.Duration(i)*36*time.Hour + 250*time.Millisecond)})
	}
	for i, c := range legacyCategories {
		cat := legacyCategory{ID: legacyCategoryID(i + 1), Name: c.name, Slug: c.slug, CreatedAt: legacyEpoch.Add(-time.Duration(4-i) * time.Hour)}
		if c.parent != 0 {
			p := legacyCategoryID(c.parent)
			cat.ParentID = &p
		}
		f.categories = append(f.categories, cat)
	}

	// Every change of stock, per product, before the initial stock is
	// worked out backwards from the stock the product holds now.
	type change struct {
		at      time.Time
		delta   int
		kind    string
		reason  string
		orderID *string
		actor   string
	}
	changes := map[int][]change{}
	created := map[int]time.Time{}
	for i := range legacyProducts {
		n := i + 1
		at := legacyEpoch.Add(time.Duration(i) * (6*time.Hour + 17*time.Minute)).Add(time.Duration(n) * 1234 * time.Microsecond)
		if n == 22 {
			at = created[21] // the same instant: the id breaks the tie
		}
		created[n] = at
		if n%9 == 0 {
			changes[n] = append(changes[n], change{at: at.Add(24 * time.Hour), delta: -3, kind: "update", reason: "updateProduct set stockCount", actor: admin})
		}
		if n%6 == 0 {
			changes[n] = append(changes[n], change{at: at.Add(48 * time.Hour), delta: -1, kind: "adjustment", reason: "Damaged in transit", actor: admin})
		}
	}
	created[legacyGoneProduct] = legacyEpoch.Add(-10 * 24 * time.Hour)

	orderEpoch := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	for j, spec := range legacyOrders {
		n := j + 1
		customer := legacyUserID(legacyCustomer(spec.customer))
		at := orderEpoch.Add(time.Duration(j) * (29*time.Hour + 13*time.Minute)).Add(time.Duration(n) * 321 * time.Microsecond)
		o := legacyOrder{ID: legacyOrderID(n), CustomerID: customer, Status: spec.status, CreatedAt: at}
		orderID := o.ID
		for k, l := range spec.lines {
			price := l.cents
			if price == 0 {
				price = legacyProducts[l.product-1].cents
			}
			o.Items = append(o.Items, legacyOrderItem{ID: legacyItemID(n, k+1), OrderID: o.ID, ProductID: legacyProductID(l.product),
				Quantity: l.quantity, PriceAtPurchase: price, Position: k})
			o.TotalAmount += price * int64(l.quantity)
			changes[l.product] = append(changes[l.product], change{at: at, delta: -l.quantity, kind: "order", orderID: &orderID, actor: customer})
		}
		events := []legacyOrderEvent{{OrderID: o.ID, Status: "pending", Actor: customer, At: at}}
		paid := legacyOrderEvent{OrderID: o.ID, Status: "paid", Actor: "system", At: at.Add(15 * time.Minute),
			Message: fmt.Sprintf("Paid %d.%02d USD.", o.TotalAmount/100, o.TotalAmount%100)}
		shipped := legacyOrderEvent{OrderID: o.ID, Status: "shipped", Actor: admin, At: at.Add(26 * time.Hour), Note: "Packed by Sam"}
		switch spec.status {
		case "paid":
			events = append(events, paid)
		case "shipped", "delivered":
			events = append(events, paid, shipped)
			o.TrackingNumber, o.Carrier = fmt.Sprintf("TRK%08d", 4100+n), "DHL"
			if spec.status == "delivered" {
				events = append(events, legacyOrderEvent{OrderID: o.ID, Status: "delivered", Actor: admin, At: at.Add(75 * time.Hour)})
			}
		case "cancelled":
			c := legacyOrderEvent{OrderID: o.ID, Status: "cancelled", Actor: customer, At: at.Add(2 * time.Hour), Message: "Ordered the wrong size"}
			events = append(events, c)
			for _, l := range spec.lines {
				changes[l.product] = append(changes[l.product], change{at: c.At, delta: l.quantity, kind: "cancellation",
					reason: c.Message, orderID: &orderID, actor: customer})
			}
		}
		if n == 8 {
			// A note that leaves the status as it is.
			last := events[len(events)-1]
			events = append(events, legacyOrderEvent{OrderID: o.ID, Status: last.Status, Actor: admin, At: last.At.Add(3 * time.Hour),
				Message: "Your parcel is delayed by a day.", Note: "Courier lost the first label"})
		}
		o.LastUpdated = events[len(events)-1].At
		f.orders = append(f.orders, o)
		f.events = append(f.events, events...)
		f.ids[o.ID] = true
		for _, it := range o.Items {
			f.ids[it.ID] = true
		}
	}

	// The ledger, product by product, from the stock held now backwards.
	now := map[int]int{legacyGoneProduct: 0}
	for i, p := range legacyProducts {
		now[i+1] = p.stock
	}
	var moves []legacyStockMovement
	for n, stock := range now {
		cs := changes[n]
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].at.Before(cs[b].at) })
		initial := stock
		for _, c := range cs {
			initial -= c.delta
		}
		if initial < 0 {
			panic(fmt.Sprintf("fixture: product %d would start with %d units", n, initial))
		}
		running := initial
		if initial != 0 {
			moves = append(moves, legacyStockMovement{ProductID: legacyProductID(n), Delta: initial, Kind: "initial", Actor: admin,
				At: created[n], StockAfter: initial})
		}
		for _, c := range cs {
			running += c.delta
			if running < 0 {
				panic(fmt.Sprintf("fixture: product %d would hold %d units at %s", n, running, c.at))
			}
			moves = append(moves, legacyStockMovement{ProductID: legacyProductID(n), Delta: c.delta, Kind: c.kind, Reason: c.reason,
				OrderID: c.orderID, Actor: c.actor, At: c.at, StockAfter: running})
		}
	}
	// Ids in the order the shop would have written them: by time.
	sort.SliceStable(moves, func(a, b int) bool {
		if !moves[a].At.Equal(moves[b].At) {
			return moves[a].At.Before(moves[b].At)
		}
		return moves[a].ProductID < moves[b].ProductID
	})
	f.movements = moves
	sort.SliceStable(f.events, func(a, b int) bool { return f.events[a].At.Before(f.events[b].At) })

	for i, spec := range legacyProducts {
		n := i + 1
		p := legacyProduct{ID: legacyProductID(n), Price: spec.cents, StockCount: spec.stock, CreatedAt: created[n],
			Name: spec.name, Description: spec.desc, Active: !spec.inactive, ImageURLs: "[]"}
		p.LastUpdated = p.CreatedAt
		if n%5 == 0 {
			p.LastUpdated = p.CreatedAt.Add(3*24*time.Hour + 30*time.Minute) // an edit of its text
		}
		for _, c := range changes[n] {
			if c.at.After(p.LastUpdated) {
				p.LastUpdated = c.at
			}
		}
		if spec.sku != "" {
			sku := spec.sku
			p.SKU = &sku
		}
		if spec.category != 0 {
			c := legacyCategoryID(spec.category)
			p.CategoryID = &c
		}
		if spec.images > 0 {
			urls := make([]string, spec.images)
			for k := range urls {
				urls[k] = fmt.Sprintf(`"https://img.shop.test/p/%02d-%d.jpg"`, n, k+1)
			}
			p.ImageURLs = "[" + strings.Join(urls, ",") + "]"
		}
		f.products = append(f.products, p)
	}
	f.ids[legacyProductID(legacyGoneProduct)] = true
	for _, p := range f.products {
		f.ids[p.ID] = true
	}
	for _, u := range f.users {
		f.ids[u.ID] = true
	}
	for _, c := range f.categories {
		f.ids[c.ID] = true
	}
	return f
}

// mustWriteLegacy creates the pre-variant tables in the database of env
// (its DATABASE_URL, or else its SQLITE_PATH) and writes the fixture.
func mustWriteLegacy(tb testing.TB, env map[string]string, f legacyFixture) {
	tb.Helper()
	dial := postgres.Open(env["DATABASE_URL"])
	if env["DATABASE_URL"] == "" {
		dial = sqlite.Open("file:" + env["SQLITE_PATH"] + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	}
	db, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err != nil {
		tb.Fatalf("open the legacy database: %v", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		tb.Fatal(err)
	}
	defer sqlDB.Close()
	if err := db.AutoMigrate(&legacyProduct{}, &legacyOrder{}, &legacyOrderItem{}, &legacyUser{},
		&legacyOrderEvent{}, &legacyStockMovement{}, &legacyCategory{}); err != nil {
		tb.Fatalf("create the legacy tables: %v", err)
	}
	var inactive []string
	for _, p := range f.products {
		if !p.Active {
			inactive = append(inactive, p.ID)
		}
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		for _, rows := range []any{&f.categories, &f.users, &f.products} {
			if err := tx.Create(rows).Error; err != nil {
				return err
			}
		}
		// GORM writes a field's default in place of its zero value
		// (active: false becomes true, in the row and in f), as the shop's
		// own inserts, in SQL, never did.
		if err := tx.Model(&legacyProduct{}).Where("product_id IN ?", inactive).Update("active", false).Error; err != nil {
			return err
		}
		if err := tx.Omit(clause.Associations).Create(&f.orders).Error; err != nil {
			return err
		}
		for _, o := range f.orders {
			if err := tx.Create(&o.Items).Error; err != nil {
				return err
			}
		}
		// Row by row, so that the ids follow the order of the slice.
		for i := range f.events {
			if err := tx.Omit("id").Create(&f.events[i]).Error; err != nil {
				return err
			}
		}
		for i := range f.movements {
			if err := tx.Omit("id").Create(&f.movements[i]).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("write the legacy fixture: %v", err)
	}
	// What was stored is what the fixture says (built again: writing
	// changed f).
	want := newLegacyFixture().products
	var stored []legacyProduct
	if err := db.Order("product_id").Find(&stored).Error; err != nil {
		tb.Fatal(err)
	}
	if len(stored) != len(want) {
		tb.Fatalf("stored %d products, the fixture has %d", len(stored), len(want))
	}
	for i, p := range stored {
		p.CreatedAt, p.LastUpdated = p.CreatedAt.UTC(), p.LastUpdated.UTC()
		if !reflect.DeepEqual(p, want[i]) {
			tb.Fatalf("stored %+v\nfixture %+v", p, want[i])
		}
	}
}
