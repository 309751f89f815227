package store_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

func mustZone(tb testing.TB, s *store.Store, name string, countries, regions []string) *models.ShippingZone {
	tb.Helper()
	z, err := s.CreateShippingZone(context.Background(), models.ShippingZone{Name: name, Countries: countries, Regions: regions})
	if err != nil {
		tb.Fatalf("create zone %s: %v", name, err)
	}
	return z
}

func mustRate(tb testing.TB, s *store.Store, r models.ShippingRate) *models.ShippingRate {
	tb.Helper()
	out, err := s.CreateShippingRate(context.Background(), r)
	if err != nil {
		tb.Fatalf("create rate %s: %v", r.Name, err)
	}
	return out
}

// TestShippingZonesRead: every zone with its rates, zones by name and
// rates by price, each field as written; a zone's rates go with it.
func TestShippingZonesRead(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if zs, err := s.ShippingZones(ctx); err != nil || zs == nil || len(zs) != 0 {
			t.Fatalf("no zones: %#v, %v", zs, err)
		}
		world := mustZone(t, s, "World", []string{"FR", "DE"}, nil)
		na := mustZone(t, s, "North America", []string{"US", "CA"}, []string{"US-CA", "CA-QC"})
		if world.ID == "" || world.CreatedAt.IsZero() || len(world.Rates) != 0 {
			t.Fatalf("created zone = %+v", world)
		}
		free := models.Money(5000)
		lo, hi := 0, 2000
		express := mustRate(t, s, models.ShippingRate{ZoneID: na.ID, Name: "Express", Kind: models.RateFlat, Price: 2500})
		heavy := mustRate(t, s, models.ShippingRate{ZoneID: na.ID, Name: "Light parcels", Kind: models.RateByWeight, Price: 700, MinWeightGrams: &lo, MaxWeightGrams: &hi})
		standard := mustRate(t, s, models.ShippingRate{ZoneID: na.ID, Name: "Standard", Kind: models.RateFreeAbove, Price: 700, FreeAbove: &free})
		intl := mustRate(t, s, models.ShippingRate{ZoneID: world.ID, Name: "International", Kind: models.RateFlat, Price: 3000})

		zs, err := s.ShippingZones(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []models.ShippingZone{
			{ID: na.ID, Name: "North America", Countries: []string{"US", "CA"}, Regions: []string{"US-CA", "CA-QC"}, CreatedAt: na.CreatedAt,
				Rates: []models.ShippingRate{*heavy, *standard, *express}},
			{ID: world.ID, Name: "World", Countries: []string{"FR", "DE"}, Regions: []string{}, CreatedAt: world.CreatedAt,
				Rates: []models.ShippingRate{*intl}},
		}
		for i := range zs {
			zs[i].CreatedAt = zs[i].CreatedAt.UTC()
		}
		if !reflect.DeepEqual(zs, want) {
			t.Fatalf("zones =\n%+v\nwant\n%+v", zs, want)
		}
		if r := zs[0].Rates[1]; r.FreeAbove == nil || *r.FreeAbove != 5000 || r.MinWeightGrams != nil || r.Kind != models.RateFreeAbove {
			t.Fatalf("free-above rate read back as %+v", r)
		}
		if r := zs[0].Rates[0]; r.MinWeightGrams == nil || *r.MinWeightGrams != 0 || *r.MaxWeightGrams != 2000 || r.FreeAbove != nil {
			t.Fatalf("by-weight rate read back as %+v", r)
		}

		unknown := "00000000-0000-4000-8000-000000000020"
		if _, err := s.CreateShippingRate(ctx, models.ShippingRate{ZoneID: unknown, Name: "x", Kind: models.RateFlat}); !hasFieldError(err, errcode.BadUserInput, "zoneId") {
			t.Fatalf("a rate in no zone: %v", err)
		}

		up, err := s.UpdateShippingZone(ctx, na.ID, func(z *models.ShippingZone) error {
			if len(z.Rates) != 3 || z.Name != "North America" {
				return fmt.Errorf("change saw %+v", z)
			}
			z.Name, z.Countries, z.Regions = "Americas", []string{"US", "CA", "MX"}, []string{}
			return nil
		})
		if err != nil || up.Name != "Americas" || len(up.Countries) != 3 || len(up.Regions) != 0 || len(up.Rates) != 3 {
			t.Fatalf("update = %+v, %v", up, err)
		}
		refusal := models.Errorf(errcode.Conflict, "no")
		if _, err := s.UpdateShippingZone(ctx, na.ID, func(z *models.ShippingZone) error { z.Name = "Lost"; return refusal }); err != refusal {
			t.Fatalf("a refused change: %v", err)
		}
		if _, err := s.UpdateShippingZone(ctx, unknown, func(*models.ShippingZone) error { return nil }); !models.IsNotFound(err) {
			t.Fatalf("update of no zone: %v", err)
		}

		if ok, err := s.DeleteShippingRate(ctx, express.ID); !ok || err != nil {
			t.Fatalf("delete rate: %v, %v", ok, err)
		}
		if ok, err := s.DeleteShippingRate(ctx, express.ID); ok || err != nil {
			t.Fatalf("delete rate again: %v, %v", ok, err)
		}
		if ok, err := s.DeleteShippingZone(ctx, na.ID); !ok || err != nil {
			t.Fatalf("delete zone: %v, %v", ok, err)
		}
		if ok, err := s.DeleteShippingZone(ctx, na.ID); ok || err != nil {
			t.Fatalf("delete zone again: %v, %v", ok, err)
		}
		zs, err = s.ShippingZones(ctx)
		if err != nil || len(zs) != 1 || zs[0].Name != "World" || len(zs[0].Rates) != 1 {
			t.Fatalf("after deletes: %+v, %v", zs, err)
		}
		// The deleted zone's rates went with it.
		if ok, err := s.DeleteShippingRate(ctx, standard.ID); ok || err != nil {
			t.Fatalf("a deleted zone's rate is still there: %v, %v", ok, err)
		}
	})
}

// TestShippingLimits: a zone takes MaxZoneRates rates; zones created at
// once never pass MaxShippingZones.
func TestShippingLimits(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		z := mustZone(t, s, "Home", []string{"US"}, nil)
		for i := range models.MaxZoneRates {
			mustRate(t, s, models.ShippingRate{ZoneID: z.ID, Name: fmt.Sprint("rate ", i), Kind: models.RateFlat, Price: models.Money(i)})
		}
		if _, err := s.CreateShippingRate(ctx, models.ShippingRate{ZoneID: z.ID, Name: "one more", Kind: models.RateFlat}); models.ErrorCode(err) != errcode.Conflict {
			t.Fatalf("rate %d: %v", models.MaxZoneRates+1, err)
		}

		for i := 1; i < models.MaxShippingZones-5; i++ {
			mustZone(t, s, fmt.Sprint("zone ", i), []string{"FR"}, nil)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		made, refused := 0, 0
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := s.CreateShippingZone(ctx, models.ShippingZone{Name: fmt.Sprint("racer ", i), Countries: []string{"DE"}})
				mu.Lock()
				defer mu.Unlock()
				switch models.ErrorCode(err) {
				case "":
					made++
				case errcode.Conflict:
					refused++
				default:
					t.Errorf("racer %d: %v", i, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		zs, err := s.ShippingZones(ctx)
		if err != nil || made != 5 || refused != 7 || len(zs) != models.MaxShippingZones {
			t.Fatalf("%d made, %d refused, %d zones (%v); want 5, 7 and %d", made, refused, len(zs), err, models.MaxShippingZones)
		}
	})
}

// TestTaxRatesRead: a country's rates (the country-wide first), every
// country's, a rate named twice refused, deletes.
func TestTaxRatesRead(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if rs, err := s.TaxRates(ctx, ""); err != nil || rs == nil || len(rs) != 0 {
			t.Fatalf("no rates: %#v, %v", rs, err)
		}
		mk := func(country, region, name string, rate models.Percent, shipping bool) models.TaxRate {
			t.Helper()
			r, err := s.CreateTaxRate(ctx, models.TaxRate{Country: country, Region: region, Name: name, Rate: rate, AppliesToShipping: shipping})
			if err != nil {
				t.Fatal(err)
			}
			if r.ID == "" || r.CreatedAt.IsZero() {
				t.Fatalf("created %+v", r)
			}
			r.CreatedAt = r.CreatedAt.UTC()
			return *r
		}
		pst := mk("CA", "QC", "QST", 9975, false)
		gst := mk("CA", "", "GST", 5000, true)
		ca := mk("US", "CA", "California", 7250, false)
		de := mk("DE", "", "MwSt", 19000, true)

		read := func(country string) []models.TaxRate {
			t.Helper()
			rs, err := s.TaxRates(ctx, country)
			if err != nil {
				t.Fatal(err)
			}
			for i := range rs {
				rs[i].CreatedAt = rs[i].CreatedAt.UTC()
			}
			return rs
		}
		if got := read("CA"); !reflect.DeepEqual(got, []models.TaxRate{gst, pst}) {
			t.Fatalf("Canada's = %+v", got)
		}
		if got := read(""); !reflect.DeepEqual(got, []models.TaxRate{gst, pst, de, ca}) {
			t.Fatalf("all = %+v", got)
		}
		if got := read("GB"); len(got) != 0 {
			t.Fatalf("Britain's = %+v", got)
		}
		_, err := s.CreateTaxRate(ctx, models.TaxRate{Country: "CA", Region: "QC", Name: "QST", Rate: 1})
		if !hasFieldError(err, errcode.Conflict, "name") {
			t.Fatalf("QST again: %v", err)
		}
		// The same name elsewhere is another rate.
		mk("CA", "ON", "QST", 1, false)

		if ok, err := s.DeleteTaxRate(ctx, pst.ID); !ok || err != nil {
			t.Fatalf("delete: %v, %v", ok, err)
		}
		if ok, err := s.DeleteTaxRate(ctx, pst.ID); ok || err != nil {
			t.Fatalf("delete again: %v, %v", ok, err)
		}
		if got := read("CA"); len(got) != 2 || got[0].ID != gst.ID || got[1].Region != "ON" {
			t.Fatalf("Canada's after the delete = %+v", got)
		}
	})
}

// TestTaxRatesPerRegion: a country and region take MaxRegionTaxRates
// rates, the whole country's apart from each region's; the one more is
// BAD_USER_INPUT on region, a delete makes room, and creates at once for
// one region never pass the most.
func TestTaxRatesPerRegion(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		create := func(country, region, name string) (*models.TaxRate, error) {
			return s.CreateTaxRate(ctx, models.TaxRate{Country: country, Region: region, Name: name, Rate: 1000})
		}
		var first *models.TaxRate
		for _, region := range []string{"", "CA"} {
			for i := range models.MaxRegionTaxRates {
				r, err := create("US", region, fmt.Sprint("tax ", i))
				if err != nil {
					t.Fatalf("US %q rate %d: %v", region, i+1, err)
				}
				if first == nil {
					first = r
				}
			}
			if _, err := create("US", region, "one more"); !hasFieldError(err, errcode.BadUserInput, "region") {
				t.Fatalf("US %q rate %d: %v", region, models.MaxRegionTaxRates+1, err)
			}
		}
		// Another region, and another country, have room of their own.
		if _, err := create("US", "NY", "tax 0"); err != nil {
			t.Fatalf("New York's first: %v", err)
		}
		if _, err := create("CA", "", "GST"); err != nil {
			t.Fatalf("Canada's first: %v", err)
		}
		if ok, err := s.DeleteTaxRate(ctx, first.ID); !ok || err != nil {
			t.Fatalf("delete: %v, %v", ok, err)
		}
		if _, err := create("US", "", "one more"); err != nil {
			t.Fatalf("after a delete: %v", err)
		}

		start := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		made, refused := 0, 0
		for i := range 3 * models.MaxRegionTaxRates {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := create("CA", "QC", fmt.Sprint("racer ", i))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					made++
				case hasFieldError(err, errcode.BadUserInput, "region"):
					refused++
				default:
					t.Errorf("racer %d: %v", i, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		rs, err := s.TaxRates(ctx, "CA")
		quebec := 0
		for _, r := range rs {
			if r.Region == "QC" {
				quebec++
			}
		}
		if err != nil || made != models.MaxRegionTaxRates || refused != 2*models.MaxRegionTaxRates || quebec != models.MaxRegionTaxRates {
			t.Fatalf("%d made, %d refused, %d of Quebec's stored (%v); want %d, %d and %d", made, refused, quebec, err,
				models.MaxRegionTaxRates, 2*models.MaxRegionTaxRates, models.MaxRegionTaxRates)
		}
	})
}

// TestDiscountCodesRead: a code read back by key and by id as written;
// keys unique; products and categories checked; an update never moves the
// use count; pages by key.
func TestDiscountCodesRead(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if d, err := s.DiscountCodeByKey(ctx, "NONE"); d != nil || err != nil {
			t.Fatalf("no code by key: %+v, %v", d, err)
		}
		if d, err := s.DiscountCodeByID(ctx, "00000000-0000-4000-8000-000000000020"); d != nil || err != nil {
			t.Fatalf("no code by id: %+v, %v", d, err)
		}
		p := MustProduct(t, s, 1000, 5)
		c := mustCategory(t, s, "Sale", nil)
		starts := time.Date(2026, 11, 27, 8, 0, 0, 123456000, time.UTC)
		ends := starts.Add(72 * time.Hour)
		limit, per := 100, 1
		d, err := s.CreateDiscountCode(ctx, models.DiscountCode{Code: "Black-Friday_26", CodeKey: "BLACK-FRIDAY_26", Kind: models.DiscountPercentage,
			Percent: 33333, ProductIDs: []string{p.ID}, CategoryIDs: []string{c.ID}, MinSubtotal: 2000, StartsAt: &starts, EndsAt: &ends,
			UsageLimit: &limit, UsageLimitPerCustomer: &per, UsageCount: 7, Active: false})
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == "" || !d.Active || d.UsageCount != 0 || d.CreatedAt.IsZero() || !d.LastUpdated.Equal(d.CreatedAt) {
			t.Fatalf("created = %+v: want an id, active, no uses", d)
		}
		byKey, err := s.DiscountCodeByKey(ctx, "BLACK-FRIDAY_26")
		if err != nil || !reflect.DeepEqual(byKey, d) {
			t.Fatalf("by key =\n%+v, %v\nwant\n%+v", byKey, err, d)
		}
		if byKey.StartsAt.Location() != time.UTC || !byKey.StartsAt.Equal(starts) || byKey.CreatedAt.Location() != time.UTC {
			t.Fatalf("times = %v, %v", byKey.StartsAt, byKey.CreatedAt)
		}
		if byID, err := s.DiscountCodeByID(ctx, d.ID); err != nil || !reflect.DeepEqual(byID, d) {
			t.Fatalf("by id = %+v, %v", byID, err)
		}
		if got, _ := s.DiscountCodeByKey(ctx, "black-friday_26"); got != nil {
			t.Fatal("a lookup by anything but the key (upper case) found the code")
		}

		free, err := s.CreateDiscountCode(ctx, models.DiscountCode{Code: "ship", CodeKey: "SHIP", Kind: models.DiscountFreeShipping})
		if err != nil || free.ProductIDs == nil || len(free.ProductIDs)+len(free.CategoryIDs) != 0 || free.StartsAt != nil || free.UsageLimit != nil {
			t.Fatalf("a code with nothing optional = %+v, %v", free, err)
		}
		if got, _ := s.DiscountCodeByKey(ctx, "SHIP"); !reflect.DeepEqual(got, free) {
			t.Fatalf("read back as %+v, want %+v", got, free)
		}
		_, err = s.CreateDiscountCode(ctx, models.DiscountCode{Code: "Ship", CodeKey: "SHIP", Kind: models.DiscountFixedAmount, Amount: 500})
		if !hasFieldError(err, errcode.Conflict, "input.code") {
			t.Fatalf("a taken code: %v", err)
		}
		unknown := "00000000-0000-4000-8000-000000000021"
		_, err = s.CreateDiscountCode(ctx, models.DiscountCode{Code: "X", CodeKey: "X", Kind: models.DiscountFreeShipping, ProductIDs: []string{p.ID, unknown}, CategoryIDs: []string{unknown}})
		if !hasFieldError(err, errcode.BadUserInput, "input.appliesTo.productIds") || !hasFieldError(err, errcode.BadUserInput, "input.appliesTo.categoryIds") {
			t.Fatalf("unknown products and categories: %v", err)
		}

		// Checkout has counted uses: an update keeps them.
		if err := s.SetDiscountUsage(d.ID, 41); err != nil {
			t.Fatal(err)
		}
		up, err := s.UpdateDiscountCode(ctx, d.ID, func(c *models.DiscountCode) error {
			if c.UsageCount != 41 {
				return fmt.Errorf("change saw %d uses", c.UsageCount)
			}
			c.Code, c.CodeKey, c.Kind, c.Percent, c.Amount = "bf", "BF", models.DiscountFixedAmount, 0, 1500
			c.ProductIDs, c.StartsAt, c.UsageLimit, c.Active, c.UsageCount = nil, nil, nil, false, 0
			return nil
		})
		if err != nil || up.UsageCount != 41 || up.Code != "bf" || up.Amount != 1500 || up.Active || up.StartsAt != nil || !up.LastUpdated.After(d.LastUpdated) {
			t.Fatalf("update = %+v, %v", up, err)
		}
		if got, _ := s.DiscountCodeByKey(ctx, "BF"); !reflect.DeepEqual(got, up) {
			t.Fatalf("read back as %+v, want %+v", got, up)
		}
		if got, _ := s.DiscountCodeByKey(ctx, "BLACK-FRIDAY_26"); got != nil {
			t.Fatal("the old key still finds the code")
		}
		if _, err := s.UpdateDiscountCode(ctx, d.ID, func(c *models.DiscountCode) error { c.Code, c.CodeKey = "SHIP", "SHIP"; return nil }); !hasFieldError(err, errcode.Conflict, "input.code") {
			t.Fatalf("renamed to a taken code: %v", err)
		}
		if _, err := s.UpdateDiscountCode(ctx, unknown, func(*models.DiscountCode) error { return nil }); !models.IsNotFound(err) {
			t.Fatalf("update of no code: %v", err)
		}

		keys := func(first int, after string) []string {
			t.Helper()
			ds, err := s.DiscountCodes(ctx, first, after)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, d := range ds {
				out = append(out, d.CodeKey)
			}
			return out
		}
		if got := keys(10, ""); !reflect.DeepEqual(got, []string{"BF", "SHIP"}) {
			t.Fatalf("codes = %v", got)
		}
		if got := keys(1, "BF"); !reflect.DeepEqual(got, []string{"SHIP"}) {
			t.Fatalf("codes after BF = %v", got)
		}
	})
}
