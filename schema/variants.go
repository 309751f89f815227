package schema

import (
	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// variantTypes are the shared types of options and variants.
type variantTypes struct {
	option, selected, variant *graphql.Object
	optionInput, selectedIn   *graphql.InputObject
	variantInput              *graphql.InputObject
}

// newVariantTypes makes the option and variant types.
func newVariantTypes(b builder, r *resolvers.Resolver, product *graphql.Object) variantTypes {
	var t variantTypes
	t.option = graphql.NewObject(graphql.ObjectConfig{
		Name:        "ProductOption",
		Description: "What a product's variants differ by (Size), with its values in display order (S, M, L).",
		Fields: graphql.Fields{
			"name":   field(graphql.NewNonNull(graphql.String), "", func(o *models.ProductOption) any { return o.Name }),
			"values": field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.String))), "", func(o *models.ProductOption) any { return o.Values }),
		},
	})
	t.selected = graphql.NewObject(graphql.ObjectConfig{
		Name:        "SelectedOption",
		Description: "A variant's value of one of its product's options.",
		Fields: graphql.Fields{
			"name":  field(graphql.NewNonNull(graphql.String), "", func(o *models.SelectedOption) any { return o.Name }),
			"value": field(graphql.NewNonNull(graphql.String), "", func(o *models.SelectedOption) any { return o.Value }),
		},
	})
	selectedList := graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t.selected)))
	t.variant = graphql.NewObject(graphql.ObjectConfig{
		Name:        "ProductVariant",
		Description: "What is sold: one combination of its product's option values, with its own SKU, price and stock. A product without options has one variant, \"Default\", whose id is the product's.",
		Fields: graphql.Fields{
			"variantId": field(graphql.NewNonNull(graphql.String), "", func(v *variantOf) any { return v.ID }),
			"sku": field(graphql.String, "Unique among all variants, whatever its case; null when there is none.", func(v *variantOf) any {
				if v.SKU == nil {
					return nil
				}
				return *v.SKU
			}),
			"title": field(graphql.NewNonNull(graphql.String), `Its values joined, like "M / Red"; "Default" for a product without options.`, func(v *variantOf) any { return v.Title }),
			"price": field(graphql.NewNonNull(graphql.Float), "Unit price in the shop's currency, at most 2 decimal places.", func(v *variantOf) any { return v.Price.Float64() }),
			"compareAtPrice": field(graphql.Float, "The price it is shown against (\"was\"); null when there is none.", func(v *variantOf) any {
				if v.CompareAtPrice == nil {
					return nil
				}
				return v.CompareAtPrice.Float64()
			}),
			"stockCount": field(graphql.NewNonNull(graphql.Int), "", func(v *variantOf) any { return v.StockCount }),
			"available":  field(graphql.NewNonNull(graphql.Boolean), "Its product is active and it has stock.", func(v *variantOf) any { return resolvers.VariantAvailable(v) }),
			"options":    field(selectedList, "Its value of each of the product's options, in the product's order.", func(v *variantOf) any { return []models.SelectedOption(v.Options) }),
			"imageUrl": field(graphql.String, "An https URL; null when there is none.", func(v *variantOf) any {
				if v.ImageURL == nil {
					return nil
				}
				return *v.ImageURL
			}),
			"weightGrams": field(graphql.Int, "", func(v *variantOf) any {
				if v.WeightGrams == nil {
					return nil
				}
				return *v.WeightGrams
			}),
			"position": field(graphql.NewNonNull(graphql.Int), "Its place among the product's variants, from 0.", func(v *variantOf) any { return v.Position }),
			"product":  &graphql.Field{Type: graphql.NewNonNull(product), Resolve: b.safe(r.VariantProduct)},
		},
	})
	t.optionInput = graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "ProductOptionInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"name":   {Type: graphql.NewNonNull(graphql.String), Description: "1 to 100 characters, trimmed, unique within the product whatever its case."},
			"values": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.String))), Description: "1 to 100 values of up to 100 characters, trimmed, unique within the option whatever their case."},
		},
	})
	t.selectedIn = graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "SelectedOptionInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"name":  {Type: graphql.NewNonNull(graphql.String)},
			"value": {Type: graphql.NewNonNull(graphql.String)},
		},
	})
	t.variantInput = graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "ProductVariantInput",
		Description: "Fields left out keep their value on an update; on a creation price is needed (createVariant) and stock is 0.",
		Fields: graphql.InputObjectConfigFieldMap{
			"sku":            {Type: graphql.String, Description: "ASCII letters, digits, '-', '_' and '.', up to 64; unique among variants whatever its case. Empty: none."},
			"price":          {Type: graphql.Float},
			"compareAtPrice": {Type: graphql.Float, Description: "0: none."},
			"stockCount":     {Type: graphql.Int, Description: "On an update, recorded in the ledger as the difference."},
			"options":        {Type: graphql.NewList(graphql.NewNonNull(t.selectedIn)), Description: "One value of each of the product's options."},
			"imageUrl":       {Type: graphql.String, Description: "An https URL. Empty: none."},
			"weightGrams":    {Type: graphql.Int, Description: "0 to 1000000000; -1: none."},
		},
	})
	return t
}

// variantOf is what ProductVariant's fields read: a variant with its
// product's active flag.
type variantOf = resolvers.VariantOf

// addVariants adds options and variants: Product.options and .variants,
// the variant's own ledger, the order line's snapshot, the inputs, the
// query and the admins' mutations.
func addVariants(b builder, r *resolvers.Resolver, t variantTypes, product, orderItem, movementConn *graphql.Object, query, mutation *graphql.Object) {
	product.AddFieldConfig("options", field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t.option))), "What its variants differ by; empty for a product with one variant.", func(p *models.Product) any {
		if p.Options == nil {
			return []models.ProductOption{}
		}
		return []models.ProductOption(p.Options)
	}))
	product.AddFieldConfig("variants", &graphql.Field{
		Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t.variant))),
		Description: "What is sold, by position: one for a product without options. The product's price is the lowest among its available variants (among all when none is), its stockCount their sum.",
		Resolve:     b.safe(r.ProductVariants),
	})
	t.variant.AddFieldConfig("stockMovements", &graphql.Field{
		Type:        movementConn,
		Description: "The variant's stock ledger, oldest first (admins).",
		Args: graphql.FieldConfigArgument{
			"first": {Type: graphql.Int, Description: "Page size, 1 to 100 (default 20)."},
			"after": {Type: graphql.String, Description: "The endCursor of the previous page."},
		},
		Resolve: b.safe(r.VariantStockMovements),
	})
	orderItem.AddFieldConfig("variantId", field(graphql.NewNonNull(graphql.String), "The variant bought (a line from before variants names its product's default variant, whose id is the product's).", func(i *models.OrderItem) any { return i.VariantID }))
	orderItem.AddFieldConfig("sku", field(graphql.String, "The variant's SKU when the order was placed.", func(i *models.OrderItem) any {
		if i.SKU == nil {
			return nil
		}
		return *i.SKU
	}))
	orderItem.AddFieldConfig("title", field(graphql.NewNonNull(graphql.String), "The variant's title when the order was placed: renaming or deleting it later leaves this as it was.", func(i *models.OrderItem) any { return i.Title }))
	orderItem.AddFieldConfig("options", field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t.selected))), "The variant's values when the order was placed.", func(i *models.OrderItem) any {
		if i.Options == nil {
			return []models.SelectedOption{}
		}
		return []models.SelectedOption(i.Options)
	}))

	query.AddFieldConfig("getVariantById", &graphql.Field{
		Type:        t.variant,
		Description: "Null when no variant has that id (or its product is inactive, to a shopper).",
		Args:        graphql.FieldConfigArgument{"variantId": {Type: graphql.NewNonNull(graphql.String)}},
		Resolve:     b.safe(r.GetVariantByID),
	})
	query.AddFieldConfig("lowStockVariants", &graphql.Field{
		Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t.variant))),
		Description: "Variants with at most threshold units (default 5) in stock, fewest first, at most 200 (admins).",
		Args:        graphql.FieldConfigArgument{"threshold": {Type: graphql.Int}},
		Resolve:     b.safe(r.LowStockVariants),
	})
	optionsArg := graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t.optionInput)))
	mutation.AddFieldConfig("createVariant", &graphql.Field{
		Type:        graphql.NewNonNull(t.variant),
		Description: "Adds a variant to a product (admins): one value of each of its options (a combination it has no variant for), a price; stock 0 when left out. At most 250 variants.",
		Args: graphql.FieldConfigArgument{
			"productId": {Type: graphql.NewNonNull(graphql.String)},
			"input":     {Type: graphql.NewNonNull(t.variantInput)},
		},
		Resolve: b.safe(r.CreateVariant),
	})
	mutation.AddFieldConfig("updateVariant", &graphql.Field{
		Type:        t.variant,
		Description: "Changes what input sets (admins). Null when no variant has that id.",
		Args: graphql.FieldConfigArgument{
			"variantId": {Type: graphql.NewNonNull(graphql.String)},
			"input":     {Type: graphql.NewNonNull(t.variantInput)},
		},
		Resolve: b.safe(r.UpdateVariant),
	})
	mutation.AddFieldConfig("deleteVariant", &graphql.Field{
		Type:        graphql.NewNonNull(graphql.Boolean),
		Description: "Admins. False when no variant has that id. A product's last variant can't be deleted (delete the product). Orders keep their lines.",
		Args:        graphql.FieldConfigArgument{"variantId": {Type: graphql.NewNonNull(graphql.String)}},
		Resolve:     b.safe(r.DeleteVariant),
	})
	mutation.AddFieldConfig("setProductOptions", &graphql.Field{
		Type:        graphql.NewNonNull(product),
		Description: "Replaces a product's options (admins): at most 3, values and options may be reordered or added (existing variants take a new option's first value); a value a variant uses can't be dropped, nor an option that tells variants apart.",
		Args: graphql.FieldConfigArgument{
			"productId": {Type: graphql.NewNonNull(graphql.String)},
			"options":   {Type: optionsArg},
		},
		Resolve: b.safe(r.SetProductOptions),
	})
	mutation.AddFieldConfig("generateVariants", &graphql.Field{
		Type:        graphql.NewNonNull(product),
		Description: "Creates a variant for every combination of the product's options that has none, each with price and stockCount (admins).",
		Args: graphql.FieldConfigArgument{
			"productId":  {Type: graphql.NewNonNull(graphql.String)},
			"price":      {Type: graphql.NewNonNull(graphql.Float)},
			"stockCount": {Type: graphql.NewNonNull(graphql.Int)},
		},
		Resolve: b.safe(r.GenerateVariants),
	})
}

// addVariantInputs adds options and variants to createProduct's input and
// a variant to an order line.
func addVariantInputs(t variantTypes, productInput, orderItemInput *graphql.InputObject) {
	productInput.AddFieldConfig("options", &graphql.InputObjectFieldConfig{Type: graphql.NewList(graphql.NewNonNull(t.optionInput)),
		Description: "At most 3. Without variants, a variant is made of every combination, each with price and stockCount."})
	productInput.AddFieldConfig("variants", &graphql.InputObjectFieldConfig{Type: graphql.NewList(graphql.NewNonNull(t.variantInput)),
		Description: "Each with one value of each option; price and stockCount default to the input's. Left out, with no options: one variant from price and stockCount."})
	orderItemInput.AddFieldConfig("variantId", &graphql.InputObjectFieldConfig{Type: graphql.String,
		Description: "The variant bought, of the product named (VARIANT_REQUIRED when the product has several and none is named)."})
}
