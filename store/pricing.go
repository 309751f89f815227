package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"shop/models"
)

// The tables of issue 20's admin side: shipping zones and their rates, tax
// rates, discount codes and their uses. None is cached: checkout reads
// them inside its own work, and the admin's screens read them rarely.

// pricingLock is the PostgreSQL advisory lock under which shipping zones
// and tax rates are added: each kind has a most (models.MaxShippingZones,
// models.MaxTaxRates), which two creates checked side by side could pass
// together. (SQLite's write transactions are serial already.)
const pricingLock = 7_130_411_020

type shippingZoneRow struct {
	ID        string            `gorm:"column:zone_id;primaryKey;type:varchar(36)"`
	Name      string            `gorm:"column:name;type:varchar(100);not null"`
	Countries models.StringList `gorm:"column:countries;type:text;not null"`
	Regions   models.StringList `gorm:"column:regions;type:text;not null"`
	CreatedAt time.Time         `gorm:"column:created_at;not null"`
}

func (shippingZoneRow) TableName() string { return "shipping_zones" }

type shippingRateRow struct {
	ID             string        `gorm:"column:shipping_rate_id;primaryKey;type:varchar(36)"`
	ZoneID         string        `gorm:"column:zone_id;type:varchar(36);not null;index:idx_shipping_rates_zone"`
	Name           string        `gorm:"column:name;type:varchar(100);not null"`
	Kind           string        `gorm:"column:kind;type:varchar(16);not null"`
	Price          models.Money  `gorm:"column:price_cents;not null"`
	FreeAbove      *models.Money `gorm:"column:free_above_cents"`
	MinWeightGrams *int          `gorm:"column:min_weight_grams"`
	MaxWeightGrams *int          `gorm:"column:max_weight_grams"`
	CreatedAt      time.Time     `gorm:"column:created_at;not null"`
}

func (shippingRateRow) TableName() string { return "shipping_rates" }

// taxRateRow's rate is in thousandths of a percent (models.Percent). A
// country's rates are unique by region and name, so a form sent twice
// doesn't tax twice.
type taxRateRow struct {
	ID                string         `gorm:"column:tax_rate_id;primaryKey;type:varchar(36)"`
	Country           string         `gorm:"column:country;type:varchar(2);not null;uniqueIndex:idx_tax_rates_name,priority:1"`
	Region            string         `gorm:"column:region;type:varchar(3);not null;uniqueIndex:idx_tax_rates_name,priority:2"`
	Name              string         `gorm:"column:name;type:varchar(100);not null;uniqueIndex:idx_tax_rates_name,priority:3"`
	Rate              models.Percent `gorm:"column:rate;not null"`
	AppliesToShipping bool           `gorm:"column:applies_to_shipping;not null"`
	CreatedAt         time.Time      `gorm:"column:created_at;not null"`
}

func (taxRateRow) TableName() string { return "tax_rates" }

// discountCodeRow keeps the code as the admin wrote it and its key
// (models.CodeKey), which is unique: codes match whatever their case.
// usage_count is changed only by checkout (a use counted, or released),
// never by an admin's update, which writes every other column.
type discountCodeRow struct {
	ID                    string         `gorm:"column:discount_code_id;primaryKey;type:varchar(36)"`
	Code                  string         `gorm:"column:code;type:varchar(64);not null"`
	CodeKey               string         `gorm:"column:code_key;type:varchar(64);not null;uniqueIndex:idx_discount_codes_key"`
	Kind                  string         `gorm:"column:kind;type:varchar(16);not null"`
	Percent               models.Percent `gorm:"column:percent;not null"`
	Amount                models.Money   `gorm:"column:amount_cents;not null"`
	AppliesTo             appliesTo      `gorm:"column:applies_to;type:text;not null"`
	MinSubtotal           models.Money   `gorm:"column:min_subtotal_cents;not null"`
	StartsAt              *time.Time     `gorm:"column:starts_at"`
	EndsAt                *time.Time     `gorm:"column:ends_at"`
	UsageLimit            *int           `gorm:"column:usage_limit"`
	UsageLimitPerCustomer *int           `gorm:"column:usage_limit_per_customer"`
	UsageCount            int            `gorm:"column:usage_count;not null;default:0"`
	Active                bool           `gorm:"column:active;not null"`
	CreatedAt             time.Time      `gorm:"column:created_at;not null"`
	LastUpdated           time.Time      `gorm:"column:last_updated;not null"`
}

func (discountCodeRow) TableName() string { return "discount_codes" }

// discountUse is one order's use of a code, for usageLimitPerCustomer:
// CustomerKey is the customer's id, or a guest's lowercased email.
// ReleasedAt is set when the order is cancelled or expires, and the use no
// longer counts. Checkout writes these (with usage_count, in the order's
// transaction).
type discountUse struct {
	OrderID        string     `gorm:"column:order_id;primaryKey;type:varchar(36)"`
	DiscountCodeID string     `gorm:"column:discount_code_id;type:varchar(36);not null;index:idx_discount_uses_customer,priority:1"`
	CustomerKey    string     `gorm:"column:customer_key;type:varchar(320);not null;index:idx_discount_uses_customer,priority:2"`
	CreatedAt      time.Time  `gorm:"column:created_at;not null"`
	ReleasedAt     *time.Time `gorm:"column:released_at"`
}

func (discountUse) TableName() string { return "discount_uses" }

// pricingTables are the tables above, for migrate.
func pricingTables() []any {
	return []any{&shippingZoneRow{}, &shippingRateRow{}, &taxRateRow{}, &discountCodeRow{}, &discountUse{}}
}

// appliesTo is a code's products and categories, as JSON text: both empty
// is the whole order.
type appliesTo struct {
	ProductIDs  []string `json:"productIds"`
	CategoryIDs []string `json:"categoryIds"`
}

// Value stores the lists as JSON, none as [].
func (a appliesTo) Value() (driver.Value, error) {
	out := appliesTo{ProductIDs: a.ProductIDs, CategoryIDs: a.CategoryIDs}
	if out.ProductIDs == nil {
		out.ProductIDs = []string{}
	}
	if out.CategoryIDs == nil {
		out.CategoryIDs = []string{}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// Scan reads them back.
func (a *appliesTo) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*a = appliesTo{}
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan applies_to from %T", src)
	}
	*a = appliesTo{}
	return json.Unmarshal(b, a)
}

func (r shippingRateRow) model() models.ShippingRate {
	return models.ShippingRate{ID: r.ID, ZoneID: r.ZoneID, Name: r.Name, Kind: models.ShippingRateKind(r.Kind), Price: r.Price,
		FreeAbove: r.FreeAbove, MinWeightGrams: r.MinWeightGrams, MaxWeightGrams: r.MaxWeightGrams}
}

func rateRow(r models.ShippingRate, at time.Time) shippingRateRow {
	return shippingRateRow{ID: r.ID, ZoneID: r.ZoneID, Name: r.Name, Kind: string(r.Kind), Price: r.Price,
		FreeAbove: r.FreeAbove, MinWeightGrams: r.MinWeightGrams, MaxWeightGrams: r.MaxWeightGrams, CreatedAt: at}
}

func (z shippingZoneRow) model(rates []models.ShippingRate) models.ShippingZone {
	if rates == nil {
		rates = []models.ShippingRate{}
	}
	return models.ShippingZone{ID: z.ID, Name: z.Name, Countries: nonNil(z.Countries), Regions: nonNil(z.Regions), Rates: rates, CreatedAt: z.CreatedAt}
}

func nonNil(l models.StringList) []string {
	if l == nil {
		return []string{}
	}
	return []string(l)
}

func (t taxRateRow) model() models.TaxRate {
	return models.TaxRate{ID: t.ID, Country: t.Country, Region: t.Region, Name: t.Name, Rate: t.Rate, AppliesToShipping: t.AppliesToShipping, CreatedAt: t.CreatedAt}
}

func (d discountCodeRow) model() *models.DiscountCode {
	return &models.DiscountCode{ID: d.ID, Code: d.Code, CodeKey: d.CodeKey, Kind: models.DiscountKind(d.Kind), Percent: d.Percent, Amount: d.Amount,
		ProductIDs: nonNil(d.AppliesTo.ProductIDs), CategoryIDs: nonNil(d.AppliesTo.CategoryIDs), MinSubtotal: d.MinSubtotal,
		StartsAt: utc(d.StartsAt), EndsAt: utc(d.EndsAt), UsageLimit: d.UsageLimit, UsageLimitPerCustomer: d.UsageLimitPerCustomer,
		UsageCount: d.UsageCount, Active: d.Active, CreatedAt: d.CreatedAt.UTC(), LastUpdated: d.LastUpdated.UTC()}
}

func codeRow(d *models.DiscountCode) discountCodeRow {
	return discountCodeRow{ID: d.ID, Code: d.Code, CodeKey: d.CodeKey, Kind: string(d.Kind), Percent: d.Percent, Amount: d.Amount,
		AppliesTo: appliesTo{ProductIDs: d.ProductIDs, CategoryIDs: d.CategoryIDs}, MinSubtotal: d.MinSubtotal,
		StartsAt: d.StartsAt, EndsAt: d.EndsAt, UsageLimit: d.UsageLimit, UsageLimitPerCustomer: d.UsageLimitPerCustomer,
		UsageCount: d.UsageCount, Active: d.Active, CreatedAt: d.CreatedAt, LastUpdated: d.LastUpdated}
}

// utc is t in UTC: PostgreSQL returns timestamps in the session's zone.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ShippingZones is every zone with its rates: zones by name, rates by
// price (then name).
func (s *Store) ShippingZones(ctx context.Context) ([]models.ShippingZone, error) {
	db := s.db.WithContext(ctx)
	var zones []shippingZoneRow
	if err := db.Order("name, zone_id").Find(&zones).Error; err != nil {
		return nil, mapError(err, "list shipping zones")
	}
	var rates []shippingRateRow
	if err := db.Order("price_cents, name, shipping_rate_id").Find(&rates).Error; err != nil {
		return nil, mapError(err, "list shipping rates")
	}
	byZone := map[string][]models.ShippingRate{}
	for _, r := range rates {
		byZone[r.ZoneID] = append(byZone[r.ZoneID], r.model())
	}
	out := make([]models.ShippingZone, len(zones))
	for i, z := range zones {
		out[i] = z.model(byZone[z.ID])
	}
	return out, nil
}

// TaxRates is country's tax rates ("": every country's), by country, then
// region ("" first: the country-wide ones), then name.
func (s *Store) TaxRates(ctx context.Context, country string) ([]models.TaxRate, error) {
	q := s.db.WithContext(ctx).Order("country, region, name, tax_rate_id")
	if country != "" {
		q = q.Where("country = ?", country)
	}
	var rows []taxRateRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, mapError(err, "list tax rates")
	}
	out := make([]models.TaxRate, len(rows))
	for i, r := range rows {
		out[i] = r.model()
	}
	return out, nil
}

// DiscountCodeByKey is the code whose key (models.CodeKey: what the
// shopper typed, upper-cased) is key, active or not; nil, nil when there
// is none.
func (s *Store) DiscountCodeByKey(ctx context.Context, key string) (*models.DiscountCode, error) {
	return s.discountCode(ctx, "code_key = ?", key)
}

// DiscountCodeByID is the code with id, active or not; nil, nil when there
// is none.
func (s *Store) DiscountCodeByID(ctx context.Context, id string) (*models.DiscountCode, error) {
	return s.discountCode(ctx, "discount_code_id = ?", id)
}

func (s *Store) discountCode(ctx context.Context, where string, arg string) (*models.DiscountCode, error) {
	var rows []discountCodeRow
	if err := s.db.WithContext(ctx).Where(where, arg).Limit(1).Find(&rows).Error; err != nil {
		return nil, mapError(err, "get discount code")
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0].model(), nil
}

// DiscountCodes is a page of codes by key: at most first, those after the
// key afterKey ("": from the first).
func (s *Store) DiscountCodes(ctx context.Context, first int, afterKey string) ([]models.DiscountCode, error) {
	q := s.db.WithContext(ctx).Order("code_key").Limit(first)
	if afterKey != "" {
		q = q.Where("code_key > ?", afterKey)
	}
	var rows []discountCodeRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, mapError(err, "list discount codes")
	}
	out := make([]models.DiscountCode, len(rows))
	for i, r := range rows {
		out[i] = *r.model()
	}
	return out, nil
}

// CreateShippingZone adds z (its rates aside), while the shop has room for
// one more.
func (s *Store) CreateShippingZone(ctx context.Context, z models.ShippingZone) (*models.ShippingZone, error) {
	row := shippingZoneRow{ID: uuid.NewString(), Name: z.Name, Countries: z.Countries, Regions: z.Regions, CreatedAt: s.db.NowFunc()}
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := s.roomFor(tx, &shippingZoneRow{}, "shipping zones", models.MaxShippingZones); err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		return nil, mapError(err, "create shipping zone")
	}
	out := row.model(nil)
	return &out, nil
}

// roomFor refuses a new row of model's table when it has max already,
// under the pricing lock.
func (s *Store) roomFor(tx *gorm.DB, model any, what string, max int) error {
	if err := s.dialect.lockKey(tx, pricingLock); err != nil {
		return err
	}
	var n int64
	if err := tx.Model(model).Count(&n).Error; err != nil {
		return err
	}
	return models.CheckRoom(what, int(n), max)
}

// lockZone reads zone id for update: nil when there is none.
func (s *Store) lockZone(tx *gorm.DB, id string) (*shippingZoneRow, error) {
	var zs []shippingZoneRow
	if err := tx.Raw("SELECT * FROM shipping_zones WHERE zone_id = ?"+s.dialect.lockRows(false), id).Scan(&zs).Error; err != nil {
		return nil, err
	}
	if len(zs) == 0 {
		return nil, nil
	}
	return &zs[0], nil
}

// UpdateShippingZone changes zone id as change says, and returns it with
// its rates; an error with errcode.NotFound when there is none. change
// runs under the zone's lock, on the zone as stored.
func (s *Store) UpdateShippingZone(ctx context.Context, id string, change func(*models.ShippingZone) error) (*models.ShippingZone, error) {
	var out models.ShippingZone
	err := s.write(ctx, func(tx *gorm.DB) error {
		row, err := s.lockZone(tx, id)
		if err != nil {
			return err
		}
		if row == nil {
			return models.ShippingZoneNotFound(id)
		}
		var rates []shippingRateRow
		if err := tx.Where("zone_id = ?", id).Order("price_cents, name, shipping_rate_id").Find(&rates).Error; err != nil {
			return err
		}
		ms := make([]models.ShippingRate, len(rates))
		for i, r := range rates {
			ms[i] = r.model()
		}
		out = row.model(ms)
		if err := change(&out); err != nil {
			return err
		}
		row.Name, row.Countries, row.Regions = out.Name, out.Countries, out.Regions
		return tx.Model(row).Select("name", "countries", "regions").Updates(row).Error
	})
	if err != nil {
		return nil, mapError(err, "update shipping zone")
	}
	return &out, nil
}

// DeleteShippingZone deletes a zone and its rates, reporting whether there
// was one.
func (s *Store) DeleteShippingZone(ctx context.Context, id string) (bool, error) {
	deleted := false
	err := s.write(ctx, func(tx *gorm.DB) error {
		row, err := s.lockZone(tx, id)
		if err != nil || row == nil {
			return err
		}
		if err := tx.Where("zone_id = ?", id).Delete(&shippingRateRow{}).Error; err != nil {
			return err
		}
		deleted = true
		return tx.Where("zone_id = ?", id).Delete(&shippingZoneRow{}).Error
	})
	if err != nil {
		return false, mapError(err, "delete shipping zone")
	}
	return deleted, nil
}

// CreateShippingRate adds r to its zone (r.ZoneID), which must exist and
// have room for it (models.MaxZoneRates). The zone's row is held until the
// end, so it can't be deleted meanwhile and leave the rate alone.
func (s *Store) CreateShippingRate(ctx context.Context, r models.ShippingRate) (*models.ShippingRate, error) {
	r.ID = uuid.NewString()
	row := rateRow(r, s.db.NowFunc())
	err := s.write(ctx, func(tx *gorm.DB) error {
		zone, err := s.lockZone(tx, r.ZoneID)
		if err != nil {
			return err
		}
		if zone == nil {
			return models.UnknownShippingZone()
		}
		var n int64
		if err := tx.Model(&shippingRateRow{}).Where("zone_id = ?", r.ZoneID).Count(&n).Error; err != nil {
			return err
		}
		if err := models.CheckRoom("shipping rates in the zone", int(n), models.MaxZoneRates); err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		return nil, mapError(err, "create shipping rate")
	}
	out := row.model()
	return &out, nil
}

// DeleteShippingRate deletes a rate, reporting whether there was one.
func (s *Store) DeleteShippingRate(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Where("shipping_rate_id = ?", id).Delete(&shippingRateRow{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return false, mapError(err, "delete shipping rate")
	}
	return n > 0, nil
}

// CreateTaxRate adds t, while the shop has room for one more
// (models.MaxTaxRates) and its country and region too
// (models.MaxRegionTaxRates), both counted under roomFor's lock; a rate of
// the same country, region and name is a conflict.
func (s *Store) CreateTaxRate(ctx context.Context, t models.TaxRate) (*models.TaxRate, error) {
	row := taxRateRow{ID: uuid.NewString(), Country: t.Country, Region: t.Region, Name: t.Name, Rate: t.Rate,
		AppliesToShipping: t.AppliesToShipping, CreatedAt: s.db.NowFunc()}
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := s.roomFor(tx, &taxRateRow{}, "tax rates", models.MaxTaxRates); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&taxRateRow{}).Where("country = ? AND region = ?", t.Country, t.Region).Count(&n).Error; err != nil {
			return err
		}
		if err := models.CheckRegionTaxRoom(t.Country, t.Region, int(n)); err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		return nil, uniqueError(err, models.TaxRateTaken(), "create tax rate")
	}
	out := row.model()
	return &out, nil
}

// DeleteTaxRate deletes a tax rate, reporting whether there was one.
func (s *Store) DeleteTaxRate(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Where("tax_rate_id = ?", id).Delete(&taxRateRow{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return false, mapError(err, "delete tax rate")
	}
	return n > 0, nil
}

// CreateDiscountCode adds d, active, with no uses. Its products and
// categories must exist; its key must be no other code's.
func (s *Store) CreateDiscountCode(ctx context.Context, d models.DiscountCode) (*models.DiscountCode, error) {
	now := s.db.NowFunc()
	d.ID, d.UsageCount, d.Active, d.CreatedAt, d.LastUpdated = uuid.NewString(), 0, true, now, now
	row := codeRow(&d)
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := checkTargets(tx, &d); err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		return nil, uniqueError(err, models.DiscountCodeTaken(d.Code), "create discount code")
	}
	return row.model(), nil
}

// UpdateDiscountCode changes code id as change says, under the code's
// lock, and returns it; an error with errcode.NotFound when there is
// none. Its use count is the one stored, whatever change does: checkout
// alone moves it.
func (s *Store) UpdateDiscountCode(ctx context.Context, id string, change func(*models.DiscountCode) error) (*models.DiscountCode, error) {
	var out *models.DiscountCode
	code := ""
	err := s.write(ctx, func(tx *gorm.DB) error {
		var rows []discountCodeRow
		if err := tx.Raw("SELECT * FROM discount_codes WHERE discount_code_id = ?"+s.dialect.lockRows(false), id).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return models.DiscountCodeNotFound(id)
		}
		d := rows[0].model()
		if err := change(d); err != nil {
			return err
		}
		if err := checkTargets(tx, d); err != nil {
			return err
		}
		d.ID, d.UsageCount, d.CreatedAt, d.LastUpdated = id, rows[0].UsageCount, rows[0].CreatedAt, tx.NowFunc()
		row := codeRow(d)
		code, out = d.Code, row.model()
		return tx.Model(&row).Select("code", "code_key", "kind", "percent", "amount_cents", "applies_to", "min_subtotal_cents",
			"starts_at", "ends_at", "usage_limit", "usage_limit_per_customer", "active", "last_updated").Updates(&row).Error
	})
	if err != nil {
		return nil, uniqueError(err, models.DiscountCodeTaken(code), "update discount code")
	}
	return out, nil
}

// checkTargets refuses a code naming products or categories that don't
// exist. (One deleted later is simply matched by no line.)
func checkTargets(tx *gorm.DB, d *models.DiscountCode) error {
	missing := func(table, column string, ids []string) ([]string, error) {
		if len(ids) == 0 {
			return nil, nil
		}
		var found []string
		if err := tx.Table(table).Where(column+" IN ?", ids).Pluck(column, &found).Error; err != nil {
			return nil, err
		}
		have := make(map[string]bool, len(found))
		for _, id := range found {
			have[id] = true
		}
		var out []string
		for _, id := range ids {
			if !have[id] {
				out = append(out, id)
			}
		}
		return out, nil
	}
	products, err := missing("products", "product_id", d.ProductIDs)
	if err != nil {
		return err
	}
	categories, err := missing("categories", "category_id", d.CategoryIDs)
	if err != nil {
		return err
	}
	return models.UnknownDiscountTargets(products, categories)
}
