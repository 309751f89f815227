package schema

import (
	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// addPricing adds the admin's side of checkout (issue 20): shipping zones
// and their rates, tax rates and discount codes, read and written by
// admins only.
func addPricing(b builder, r *resolvers.Resolver, dateTime *graphql.Scalar, query, mutation *graphql.Object) {
	nonNull := graphql.NewNonNull
	stringList := nonNull(graphql.NewList(nonNull(graphql.String)))
	optMoney := func(m *models.Money) any {
		if m == nil {
			return nil
		}
		return m.Float64()
	}
	optInt := func(n *int) any {
		if n == nil {
			return nil
		}
		return *n
	}

	rateKind := graphql.NewEnum(graphql.EnumConfig{
		Name: "ShippingRateKind",
		Values: graphql.EnumValueConfigMap{
			"FLAT":       {Value: string(models.RateFlat), Description: "Always price."},
			"FREE_ABOVE": {Value: string(models.RateFreeAbove), Description: "price, or nothing when the cart's subtotal after discounts is at least freeAbove."},
			"BY_WEIGHT":  {Value: string(models.RateByWeight), Description: "price, offered only when the lines' weight (their variants' weightGrams times quantity) is within minWeightGrams and maxWeightGrams."},
		},
	})
	rate := graphql.NewObject(graphql.ObjectConfig{
		Name:        "ShippingRate",
		Description: "A way of shipping within a zone: the shipping method a cart selects.",
		Fields: graphql.Fields{
			"shippingMethodId": field(nonNull(graphql.String), "", func(r *models.ShippingRate) any { return r.ID }),
			"name":             field(nonNull(graphql.String), "", func(r *models.ShippingRate) any { return r.Name }),
			"kind":             field(nonNull(rateKind), "", func(r *models.ShippingRate) any { return string(r.Kind) }),
			"price":            field(nonNull(graphql.Float), "In the shop's currency.", func(r *models.ShippingRate) any { return r.Price.Float64() }),
			"freeAbove":        field(graphql.Float, "FREE_ABOVE's threshold; null for the other kinds.", func(r *models.ShippingRate) any { return optMoney(r.FreeAbove) }),
			"minWeightGrams":   field(graphql.Int, "BY_WEIGHT's lower bound, inclusive; null: none.", func(r *models.ShippingRate) any { return optInt(r.MinWeightGrams) }),
			"maxWeightGrams":   field(graphql.Int, "BY_WEIGHT's upper bound, inclusive; null: none.", func(r *models.ShippingRate) any { return optInt(r.MaxWeightGrams) }),
		},
	})
	zone := graphql.NewObject(graphql.ObjectConfig{
		Name:        "ShippingZone",
		Description: "Where a set of rates ships: countries, or only some regions of them.",
		Fields: graphql.Fields{
			"zoneId":    field(nonNull(graphql.String), "", func(z *models.ShippingZone) any { return z.ID }),
			"name":      field(nonNull(graphql.String), "", func(z *models.ShippingZone) any { return z.Name }),
			"countries": field(stringList, "ISO 3166-1 alpha-2 codes.", func(z *models.ShippingZone) any { return z.Countries }),
			"regions":   field(stringList, `Regions with their country, like "US-CA": a country with regions listed is covered in those only, the others whole.`, func(z *models.ShippingZone) any { return z.Regions }),
			"rates":     field(nonNull(graphql.NewList(nonNull(rate))), "By price, then name.", func(z *models.ShippingZone) any { return z.Rates }),
		},
	})
	taxRate := graphql.NewObject(graphql.ObjectConfig{
		Name:        "TaxRate",
		Description: "A tax of a country, or of one region of it. Every rate matching an address applies, each its own tax line.",
		Fields: graphql.Fields{
			"taxRateId": field(nonNull(graphql.String), "", func(t *models.TaxRate) any { return t.ID }),
			"country":   field(nonNull(graphql.String), "An ISO 3166-1 alpha-2 code.", func(t *models.TaxRate) any { return t.Country }),
			"region": field(graphql.String, `The region's code within the country, as addresses have it ("CA" for California); null: the whole country.`, func(t *models.TaxRate) any {
				if t.Region == "" {
					return nil
				}
				return t.Region
			}),
			"name":              field(nonNull(graphql.String), "The tax line's title.", func(t *models.TaxRate) any { return t.Name }),
			"rate":              field(nonNull(graphql.Float), "A percentage: 8.25 is 8.25%.", func(t *models.TaxRate) any { return t.Rate.Float64() }),
			"appliesToShipping": field(nonNull(graphql.Boolean), "Whether shipping is taxed at this rate too.", func(t *models.TaxRate) any { return t.AppliesToShipping }),
		},
	})

	discountKind := graphql.NewEnum(graphql.EnumConfig{
		Name: "DiscountKind",
		Values: graphql.EnumValueConfigMap{
			"PERCENTAGE":    {Value: string(models.DiscountPercentage), Description: "value percent off the eligible lines."},
			"FIXED_AMOUNT":  {Value: string(models.DiscountFixedAmount), Description: "value off the eligible lines, never more than they cost."},
			"FREE_SHIPPING": {Value: string(models.DiscountFreeShipping), Description: "No shipping charge; no value."},
		},
	})
	appliesTo := graphql.NewObject(graphql.ObjectConfig{
		Name:        "DiscountAppliesTo",
		Description: "The products and categories (with their subcategories) a code discounts; both empty: the whole order.",
		Fields: graphql.Fields{
			"productIds":  field(stringList, "", func(d *models.DiscountCode) any { return d.ProductIDs }),
			"categoryIds": field(stringList, "", func(d *models.DiscountCode) any { return d.CategoryIDs }),
		},
	})
	code := graphql.NewObject(graphql.ObjectConfig{
		Name:        "DiscountCode",
		Description: "A code a cart may apply. Codes match whatever their letter case.",
		Fields: graphql.Fields{
			"discountCodeId": field(nonNull(graphql.String), "", func(d *models.DiscountCode) any { return d.ID }),
			"code":           field(nonNull(graphql.String), "As the admin wrote it.", func(d *models.DiscountCode) any { return d.Code }),
			"kind":           field(nonNull(discountKind), "", func(d *models.DiscountCode) any { return string(d.Kind) }),
			"value": field(graphql.Float, "PERCENTAGE: a percentage (10 is 10%); FIXED_AMOUNT: an amount in the shop's currency; FREE_SHIPPING: null.", func(d *models.DiscountCode) any {
				switch d.Kind {
				case models.DiscountPercentage:
					return d.Percent.Float64()
				case models.DiscountFixedAmount:
					return d.Amount.Float64()
				}
				return nil
			}),
			"appliesTo":             field(nonNull(appliesTo), "", func(d *models.DiscountCode) any { return d }),
			"minSubtotal":           field(nonNull(graphql.Float), "The cart's subtotal (before discounts) it needs; 0: none.", func(d *models.DiscountCode) any { return d.MinSubtotal.Float64() }),
			"startsAt":              field(dateTime, "Null: applies from its creation.", func(d *models.DiscountCode) any { return d.StartsAt }),
			"endsAt":                field(dateTime, "The first instant it no longer applies; null: never ends.", func(d *models.DiscountCode) any { return d.EndsAt }),
			"usageLimit":            field(graphql.Int, "Orders that may use it in all; null: no limit.", func(d *models.DiscountCode) any { return optInt(d.UsageLimit) }),
			"usageLimitPerCustomer": field(graphql.Int, "Orders one customer (or guest email) may use it for; null: no limit.", func(d *models.DiscountCode) any { return optInt(d.UsageLimitPerCustomer) }),
			"usageCount":            field(nonNull(graphql.Int), "Orders that use it, less those cancelled or expired.", func(d *models.DiscountCode) any { return d.UsageCount }),
			"active":                field(nonNull(graphql.Boolean), "False once deactivated: no cart can apply it.", func(d *models.DiscountCode) any { return d.Active }),
		},
	})

	rateInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "ShippingRateInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"name":           {Type: nonNull(graphql.String), Description: "1 to 100 characters, what shoppers see."},
			"kind":           {Type: nonNull(rateKind)},
			"price":          {Type: nonNull(graphql.Float), Description: "Like a product's price: at most 2 decimal places."},
			"freeAbove":      {Type: graphql.Float, Description: "FREE_ABOVE only, and required for it."},
			"minWeightGrams": {Type: graphql.Int, Description: "BY_WEIGHT only; it needs this, maxWeightGrams or both."},
			"maxWeightGrams": {Type: graphql.Int, Description: "BY_WEIGHT only; at least minWeightGrams."},
		},
	})
	appliesToInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "DiscountAppliesToInput",
		Description: "Up to 100 product ids and 100 category ids (a category includes its subcategories); both empty or left out: the whole order.",
		Fields: graphql.InputObjectConfigFieldMap{
			"productIds":  {Type: graphql.NewList(nonNull(graphql.String))},
			"categoryIds": {Type: graphql.NewList(nonNull(graphql.String))},
		},
	})
	codeFields := func(create bool) graphql.InputObjectConfigFieldMap {
		f := graphql.InputObjectConfigFieldMap{
			"value":                 {Type: graphql.Float, Description: "PERCENTAGE: above 0 and at most 100, 3 decimal places at most; FIXED_AMOUNT: above 0, like a price; FREE_SHIPPING: left out."},
			"appliesTo":             {Type: appliesToInput},
			"minSubtotal":           {Type: graphql.Float, Description: "The cart's subtotal before discounts it needs; 0: none."},
			"startsAt":              {Type: graphql.String, Description: "RFC 3339, kept to the microsecond."},
			"endsAt":                {Type: graphql.String, Description: "RFC 3339, after startsAt: the first instant the code no longer applies."},
			"usageLimit":            {Type: graphql.Int, Description: "At least 1: orders that may use the code in all."},
			"usageLimitPerCustomer": {Type: graphql.Int, Description: "At least 1: orders one customer (or guest email) may use it for."},
		}
		if create {
			f["code"] = &graphql.InputObjectFieldConfig{Type: nonNull(graphql.String), Description: "1 to 64 of A-Z, a-z, 0-9, '_' and '-'; unique whatever its case."}
			f["kind"] = &graphql.InputObjectFieldConfig{Type: nonNull(discountKind)}
			return f
		}
		f["code"] = &graphql.InputObjectFieldConfig{Type: graphql.String, Description: "Renames the code (carts that applied the old one no longer match it)."}
		f["kind"] = &graphql.InputObjectFieldConfig{Type: discountKind, Description: "A change to PERCENTAGE or FIXED_AMOUNT needs a value."}
		f["active"] = &graphql.InputObjectFieldConfig{Type: graphql.Boolean, Description: "True brings a deactivated code back."}
		f["startsAt"].Description = `RFC 3339; "" removes the start.`
		f["endsAt"].Description = `RFC 3339, after startsAt; "" removes the end.`
		f["usageLimit"].Description = "At least 1; negative removes the limit."
		f["usageLimitPerCustomer"].Description = "At least 1; negative removes the limit."
		f["appliesTo"].Description = "Replaces both lists; empty lists: the whole order."
		return f
	}
	codeInput := graphql.NewInputObject(graphql.InputObjectConfig{Name: "DiscountCodeInput", Fields: codeFields(true)})
	codeUpdate := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "DiscountCodeUpdate",
		Description: "Fields left out are left as they are; the code's uses never change.",
		Fields:      codeFields(false),
	})

	query.AddFieldConfig("shippingZones", &graphql.Field{
		Type:        nonNull(graphql.NewList(nonNull(zone))),
		Description: "Admins only. Every shipping zone (at most 100), by name, each with its rates (at most 20).",
		Resolve:     b.safe(r.ShippingZones),
	})
	query.AddFieldConfig("taxRates", &graphql.Field{
		Type:        nonNull(graphql.NewList(nonNull(taxRate))),
		Description: "Admins only. Every tax rate (at most 500), by country, region (the country-wide first) and name.",
		Resolve:     b.safe(r.TaxRates),
	})
	query.AddFieldConfig("discountCodes", &graphql.Field{
		Type:        nonNull(graphql.NewList(nonNull(code))),
		Description: "Admins only. Codes in alphabetical order of their upper-cased form.",
		Args: graphql.FieldConfigArgument{
			"first": {Type: graphql.Int, Description: "Page size, 1 to 100 (default 20)."},
			"after": {Type: graphql.String, Description: "The code of the last one of the previous page."},
		},
		Resolve: b.safe(r.DiscountCodes),
	})
	query.AddFieldConfig("discountCode", &graphql.Field{
		Type:        code,
		Description: "Admins only. Null when no code has that id.",
		Args:        graphql.FieldConfigArgument{"discountCodeId": {Type: nonNull(graphql.String)}},
		Resolve:     b.safe(r.DiscountCode),
	})

	mutation.AddFieldConfig("createShippingZone", &graphql.Field{
		Type:        nonNull(zone),
		Description: "Admins only. At most 100 zones. An address no zone covers is offered no shipping method.",
		Args: graphql.FieldConfigArgument{
			"name":      {Type: nonNull(graphql.String), Description: "1 to 100 characters."},
			"countries": {Type: stringList, Description: "At least one ISO 3166-1 alpha-2 code, any case."},
			"regions":   {Type: graphql.NewList(nonNull(graphql.String)), Description: `Regions with their country ("US-CA", "CA-QC", "AU-NSW"), each of a listed country, which they then limit the zone to; left out: the whole of each country.`},
		},
		Resolve: b.safe(r.CreateShippingZone),
	})
	mutation.AddFieldConfig("updateShippingZone", &graphql.Field{
		Type:        zone,
		Description: "Admins only. Arguments left out stay as they are; the regions must still be of the countries. Null when no zone has that id.",
		Args: graphql.FieldConfigArgument{
			"zoneId":    {Type: nonNull(graphql.String)},
			"name":      {Type: graphql.String},
			"countries": {Type: graphql.NewList(nonNull(graphql.String))},
			"regions":   {Type: graphql.NewList(nonNull(graphql.String)), Description: "[]: the whole of each country."},
		},
		Resolve: b.safe(r.UpdateShippingZone),
	})
	mutation.AddFieldConfig("deleteShippingZone", &graphql.Field{
		Type:        nonNull(graphql.Boolean),
		Description: "Admins only. Deletes the zone and its rates; false when no zone has that id. Orders keep what they were charged.",
		Args:        graphql.FieldConfigArgument{"zoneId": {Type: nonNull(graphql.String)}},
		Resolve:     b.safe(r.DeleteShippingZone),
	})
	mutation.AddFieldConfig("createShippingRate", &graphql.Field{
		Type:        nonNull(rate),
		Description: "Admins only. At most 20 rates in a zone.",
		Args: graphql.FieldConfigArgument{
			"zoneId": {Type: nonNull(graphql.String)},
			"input":  {Type: nonNull(rateInput)},
		},
		Resolve: b.safe(r.CreateShippingRate),
	})
	mutation.AddFieldConfig("deleteShippingRate", &graphql.Field{
		Type:        nonNull(graphql.Boolean),
		Description: "Admins only. False when no rate has that id.",
		Args:        graphql.FieldConfigArgument{"shippingMethodId": {Type: nonNull(graphql.String)}},
		Resolve:     b.safe(r.DeleteShippingRate),
	})
	mutation.AddFieldConfig("createTaxRate", &graphql.Field{
		Type:        nonNull(taxRate),
		Description: "Admins only. At most 500 rates; a country's rates are unique by region and name (CONFLICT).",
		Args: graphql.FieldConfigArgument{
			"country":           {Type: nonNull(graphql.String), Description: "An ISO 3166-1 alpha-2 code."},
			"region":            {Type: graphql.String, Description: `"CA" or "US-CA"; left out or "": the whole country.`},
			"rate":              {Type: nonNull(graphql.Float), Description: "A percentage, 0 to 100, at most 3 decimal places: 8.25 is 8.25%."},
			"name":              {Type: nonNull(graphql.String), Description: "1 to 100 characters: the tax line's title."},
			"appliesToShipping": {Type: graphql.Boolean, Description: "Tax shipping at this rate too (default false)."},
		},
		Resolve: b.safe(r.CreateTaxRate),
	})
	mutation.AddFieldConfig("deleteTaxRate", &graphql.Field{
		Type:        nonNull(graphql.Boolean),
		Description: "Admins only. False when no rate has that id.",
		Args:        graphql.FieldConfigArgument{"taxRateId": {Type: nonNull(graphql.String)}},
		Resolve:     b.safe(r.DeleteTaxRate),
	})
	mutation.AddFieldConfig("createDiscountCode", &graphql.Field{
		Type:        nonNull(code),
		Description: "Admins only. The code is active at once (within its dates).",
		Args:        graphql.FieldConfigArgument{"input": {Type: nonNull(codeInput)}},
		Resolve:     b.safe(r.CreateDiscountCode),
	})
	mutation.AddFieldConfig("updateDiscountCode", &graphql.Field{
		Type:        nonNull(code),
		Description: "Admins only. NOT_FOUND when no code has that id.",
		Args: graphql.FieldConfigArgument{
			"discountCodeId": {Type: nonNull(graphql.String)},
			"input":          {Type: nonNull(codeUpdate)},
		},
		Resolve: b.safe(r.UpdateDiscountCode),
	})
	mutation.AddFieldConfig("deactivateDiscountCode", &graphql.Field{
		Type:        nonNull(code),
		Description: "Admins only. The code stays, with its uses, but no cart can apply it. NOT_FOUND when no code has that id.",
		Args:        graphql.FieldConfigArgument{"discountCodeId": {Type: nonNull(graphql.String)}},
		Resolve:     b.safe(r.DeactivateDiscountCode),
	})
}
