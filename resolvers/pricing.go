package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/models"
)

// The admin's pricing: shipping zones and rates, tax rates and discount
// codes (pricing.Service).

// argStrings is a [String!] argument: nil when left out (or null), else the
// strings, empty for [].
func argStrings(m map[string]any, key string) []string {
	raw, ok := m[key].([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// orNull is a value the service returned, or null for a nil one (never a
// nil pointer in an interface, which graphql-go would not see as null).
func orNull[T any](r *Resolver, p graphql.ResolveParams, v *T, err error) (any, error) {
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if v == nil {
		return nil, nil
	}
	return v, nil
}

func (r *Resolver) ShippingZones(p graphql.ResolveParams) (any, error) {
	zs, err := r.pricing.ShippingZones(p.Context, auth.CallerFrom(p.Context))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return zs, nil
}

func (r *Resolver) CreateShippingZone(p graphql.ResolveParams) (any, error) {
	z, err := r.pricing.CreateShippingZone(p.Context, auth.CallerFrom(p.Context), str(p.Args, "name"), argStrings(p.Args, "countries"), argStrings(p.Args, "regions"))
	return orNull(r, p, z, err)
}

func (r *Resolver) UpdateShippingZone(p graphql.ResolveParams) (any, error) {
	z, err := r.pricing.UpdateShippingZone(p.Context, auth.CallerFrom(p.Context), str(p.Args, "zoneId"), optString(p.Args, "name"),
		argStrings(p.Args, "countries"), argStrings(p.Args, "regions"))
	return orNull(r, p, z, err)
}

func (r *Resolver) DeleteShippingZone(p graphql.ResolveParams) (any, error) {
	ok, err := r.pricing.DeleteShippingZone(p.Context, auth.CallerFrom(p.Context), str(p.Args, "zoneId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}

func (r *Resolver) CreateShippingRate(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	price, _ := in["price"].(float64)
	rate, err := r.pricing.CreateShippingRate(p.Context, auth.CallerFrom(p.Context), str(p.Args, "zoneId"), models.ShippingRateInput{
		Name: str(in, "name"), Kind: str(in, "kind"), Price: price, FreeAbove: optFloat(in, "freeAbove"),
		MinWeightGrams: optInt(in, "minWeightGrams"), MaxWeightGrams: optInt(in, "maxWeightGrams"),
	})
	return orNull(r, p, rate, err)
}

func (r *Resolver) DeleteShippingRate(p graphql.ResolveParams) (any, error) {
	ok, err := r.pricing.DeleteShippingRate(p.Context, auth.CallerFrom(p.Context), str(p.Args, "shippingMethodId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}

func (r *Resolver) TaxRates(p graphql.ResolveParams) (any, error) {
	ts, err := r.pricing.TaxRates(p.Context, auth.CallerFrom(p.Context))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ts, nil
}

func (r *Resolver) CreateTaxRate(p graphql.ResolveParams) (any, error) {
	rate, _ := p.Args["rate"].(float64)
	shipping, _ := p.Args["appliesToShipping"].(bool)
	t, err := r.pricing.CreateTaxRate(p.Context, auth.CallerFrom(p.Context), models.TaxRateInput{
		Country: str(p.Args, "country"), Region: str(p.Args, "region"), Rate: rate, Name: str(p.Args, "name"), AppliesToShipping: shipping,
	})
	return orNull(r, p, t, err)
}

func (r *Resolver) DeleteTaxRate(p graphql.ResolveParams) (any, error) {
	ok, err := r.pricing.DeleteTaxRate(p.Context, auth.CallerFrom(p.Context), str(p.Args, "taxRateId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}

func (r *Resolver) DiscountCodes(p graphql.ResolveParams) (any, error) {
	ds, err := r.pricing.DiscountCodes(p.Context, auth.CallerFrom(p.Context), optInt(p.Args, "first"), optString(p.Args, "after"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ds, nil
}

func (r *Resolver) DiscountCode(p graphql.ResolveParams) (any, error) {
	d, err := r.pricing.DiscountCode(p.Context, auth.CallerFrom(p.Context), str(p.Args, "discountCodeId"))
	return orNull(r, p, d, err)
}

// discountTargets reads a DiscountAppliesToInput; nil when left out.
func discountTargets(in map[string]any) *models.DiscountTargets {
	m, ok := in["appliesTo"].(map[string]any)
	if !ok {
		return nil
	}
	return &models.DiscountTargets{ProductIDs: argStrings(m, "productIds"), CategoryIDs: argStrings(m, "categoryIds")}
}

func (r *Resolver) CreateDiscountCode(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	d, err := r.pricing.CreateDiscountCode(p.Context, auth.CallerFrom(p.Context), models.DiscountCodeInput{
		Code: str(in, "code"), Kind: str(in, "kind"), Value: optFloat(in, "value"), AppliesTo: discountTargets(in),
		MinSubtotal: optFloat(in, "minSubtotal"), StartsAt: optString(in, "startsAt"), EndsAt: optString(in, "endsAt"),
		UsageLimit: optInt(in, "usageLimit"), UsageLimitPerCustomer: optInt(in, "usageLimitPerCustomer"),
	})
	return orNull(r, p, d, err)
}

func (r *Resolver) UpdateDiscountCode(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	var active *bool
	if v, ok := in["active"].(bool); ok {
		active = &v
	}
	d, err := r.pricing.UpdateDiscountCode(p.Context, auth.CallerFrom(p.Context), str(p.Args, "discountCodeId"), models.DiscountCodeUpdate{
		Code: optString(in, "code"), Kind: optString(in, "kind"), Value: optFloat(in, "value"), AppliesTo: discountTargets(in),
		MinSubtotal: optFloat(in, "minSubtotal"), StartsAt: optString(in, "startsAt"), EndsAt: optString(in, "endsAt"),
		UsageLimit: optInt(in, "usageLimit"), UsageLimitPerCustomer: optInt(in, "usageLimitPerCustomer"), Active: active,
	})
	return orNull(r, p, d, err)
}

func (r *Resolver) DeactivateDiscountCode(p graphql.ResolveParams) (any, error) {
	d, err := r.pricing.DeactivateDiscountCode(p.Context, auth.CallerFrom(p.Context), str(p.Args, "discountCodeId"))
	return orNull(r, p, d, err)
}
