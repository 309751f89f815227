// Package pricing is the admin's side of issue 20: the shipping zones and
// rates, tax rates and discount codes that checkout prices carts with.
// Every use case is for admins only. It turns raw input into the shop's
// types with the rules of models, then makes one call on its ports.
// Nothing here is cached: checkout reads these inside its own work, and
// the admin's screens rarely.
package pricing

import (
	"context"

	"shop/models"
)

// Reader is what the admin's screens read.
type Reader interface {
	// ShippingZones is every zone with its rates.
	ShippingZones(ctx context.Context) ([]models.ShippingZone, error)
	// TaxRates is a country's rates ("": all).
	TaxRates(ctx context.Context, country string) ([]models.TaxRate, error)
	// DiscountCodeByID is nil, nil when there is none.
	DiscountCodeByID(ctx context.Context, id string) (*models.DiscountCode, error)
	// DiscountCodes is a page of codes by key, after afterKey.
	DiscountCodes(ctx context.Context, first int, afterKey string) ([]models.DiscountCode, error)
}

// Writer is what the admin changes. Updates run change on the row as
// stored, under its lock; they return an error with errcode.NotFound when
// there is none.
type Writer interface {
	CreateShippingZone(ctx context.Context, z models.ShippingZone) (*models.ShippingZone, error)
	UpdateShippingZone(ctx context.Context, id string, change func(*models.ShippingZone) error) (*models.ShippingZone, error)
	// DeleteShippingZone deletes its rates too, and reports whether there
	// was one.
	DeleteShippingZone(ctx context.Context, id string) (bool, error)
	CreateShippingRate(ctx context.Context, r models.ShippingRate) (*models.ShippingRate, error)
	DeleteShippingRate(ctx context.Context, id string) (bool, error)
	CreateTaxRate(ctx context.Context, t models.TaxRate) (*models.TaxRate, error)
	DeleteTaxRate(ctx context.Context, id string) (bool, error)
	CreateDiscountCode(ctx context.Context, d models.DiscountCode) (*models.DiscountCode, error)
	UpdateDiscountCode(ctx context.Context, id string, change func(*models.DiscountCode) error) (*models.DiscountCode, error)
}

// Service runs the admin's pricing use cases.
type Service struct {
	read  Reader
	write Writer
}

// New makes a Service over its ports.
func New(r Reader, w Writer) *Service { return &Service{read: r, write: w} }

// ShippingZones is every zone with its rates, zones by name and rates by
// price.
func (s *Service) ShippingZones(ctx context.Context, c models.Caller) ([]models.ShippingZone, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	return s.read.ShippingZones(ctx)
}

// CreateShippingZone adds a zone, with no rates yet.
func (s *Service) CreateShippingZone(ctx context.Context, c models.Caller, name string, countries, regions []string) (*models.ShippingZone, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	z, err := models.ParseShippingZone(name, countries, regions)
	if err != nil {
		return nil, err
	}
	return s.write.CreateShippingZone(ctx, z)
}

// UpdateShippingZone renames a zone or changes where it covers (nil
// arguments are left as they are); nil when there is no such zone.
func (s *Service) UpdateShippingZone(ctx context.Context, c models.Caller, id string, name *string, countries, regions []string) (*models.ShippingZone, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	patch, err := models.ParseZonePatch(id, name, countries, regions)
	if err != nil {
		return nil, err
	}
	z, err := s.write.UpdateShippingZone(ctx, id, patch.Apply)
	if models.IsNotFound(err) {
		return nil, nil
	}
	return z, err
}

// DeleteShippingZone deletes a zone and its rates, reporting whether there
// was one.
func (s *Service) DeleteShippingZone(ctx context.Context, c models.Caller, id string) (bool, error) {
	if err := models.RequireAdmin(c); err != nil {
		return false, err
	}
	if err := models.ValidateID("zoneId", id); err != nil {
		return false, err
	}
	return s.write.DeleteShippingZone(ctx, id)
}

// CreateShippingRate adds a rate to a zone.
func (s *Service) CreateShippingRate(ctx context.Context, c models.Caller, zoneID string, in models.ShippingRateInput) (*models.ShippingRate, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	r, err := models.ParseShippingRate(zoneID, in)
	if err != nil {
		return nil, err
	}
	return s.write.CreateShippingRate(ctx, r)
}

// DeleteShippingRate deletes a rate, reporting whether there was one.
func (s *Service) DeleteShippingRate(ctx context.Context, c models.Caller, id string) (bool, error) {
	if err := models.RequireAdmin(c); err != nil {
		return false, err
	}
	if err := models.ValidateID("shippingMethodId", id); err != nil {
		return false, err
	}
	return s.write.DeleteShippingRate(ctx, id)
}

// TaxRates is every tax rate, by country, region and name.
func (s *Service) TaxRates(ctx context.Context, c models.Caller) ([]models.TaxRate, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	return s.read.TaxRates(ctx, "")
}

// CreateTaxRate adds a tax rate, while its country and region have fewer
// than models.MaxRegionTaxRates (the store counts them, and the shop's
// rates, under one lock, so creates side by side never pass either most).
func (s *Service) CreateTaxRate(ctx context.Context, c models.Caller, in models.TaxRateInput) (*models.TaxRate, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	t, err := models.ParseTaxRate(in)
	if err != nil {
		return nil, err
	}
	return s.write.CreateTaxRate(ctx, t)
}

// DeleteTaxRate deletes a tax rate, reporting whether there was one.
func (s *Service) DeleteTaxRate(ctx context.Context, c models.Caller, id string) (bool, error) {
	if err := models.RequireAdmin(c); err != nil {
		return false, err
	}
	if err := models.ValidateID("taxRateId", id); err != nil {
		return false, err
	}
	return s.write.DeleteTaxRate(ctx, id)
}

// DiscountCodes is a page of codes in the order of their keys, after the
// code after (any case).
func (s *Service) DiscountCodes(ctx context.Context, c models.Caller, first *int, after *string) ([]models.DiscountCode, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	n, key, err := models.ParseCodePage(first, after)
	if err != nil {
		return nil, err
	}
	return s.read.DiscountCodes(ctx, n, key)
}

// DiscountCode is the code with id, or nil.
func (s *Service) DiscountCode(ctx context.Context, c models.Caller, id string) (*models.DiscountCode, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	if err := models.ValidateID("discountCodeId", id); err != nil {
		return nil, err
	}
	return s.read.DiscountCodeByID(ctx, id)
}

// CreateDiscountCode adds a code, active and unused.
func (s *Service) CreateDiscountCode(ctx context.Context, c models.Caller, in models.DiscountCodeInput) (*models.DiscountCode, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	d, err := models.ParseDiscountCodeInput(in)
	if err != nil {
		return nil, err
	}
	return s.write.CreateDiscountCode(ctx, d)
}

// UpdateDiscountCode changes what in sets; its uses stay as they are.
func (s *Service) UpdateDiscountCode(ctx context.Context, c models.Caller, id string, in models.DiscountCodeUpdate) (*models.DiscountCode, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	patch, err := models.ParseDiscountPatch(id, in)
	if err != nil {
		return nil, err
	}
	return s.write.UpdateDiscountCode(ctx, id, patch.Apply)
}

// DeactivateDiscountCode stops a code applying to any cart (it stays, with
// its uses; an update with active: true brings it back).
func (s *Service) DeactivateDiscountCode(ctx context.Context, c models.Caller, id string) (*models.DiscountCode, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	if err := models.ValidateID("discountCodeId", id); err != nil {
		return nil, err
	}
	return s.write.UpdateDiscountCode(ctx, id, models.Deactivation().Apply)
}
