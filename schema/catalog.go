package schema

import (
	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// addCategories adds the category tree: the Category type, Product.category,
// the categories query (anyone) and its mutations (admins).
func addCategories(b builder, r *resolvers.Resolver, product *graphql.Object, query, mutation *graphql.Object) {
	var category *graphql.Object
	category = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Category",
		Description: "A group of products. A product is in at most one category; a category may sit under one parent.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"id":   field(graphql.NewNonNull(graphql.String), "", func(n *models.CategoryNode) any { return n.ID }),
				"name": field(graphql.NewNonNull(graphql.String), "", func(n *models.CategoryNode) any { return n.Name }),
				"slug": field(graphql.NewNonNull(graphql.String), "The name in lower-case ASCII letters and digits joined by '-', unique: for URLs. Accents are dropped and Latin letters spelt in ASCII (\"Straße Café\" → \"strasse-cafe\"); letters with no ASCII form add 10 hex digits of the name's hash. Set when the category is created or renamed.", func(n *models.CategoryNode) any { return n.Slug }),
				"parent": field(category, "Null for a top-level category.", func(n *models.CategoryNode) any {
					if n.Parent == nil {
						return nil
					}
					return n.Parent
				}),
				"children": field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(category))), "Its subcategories, by name.", func(n *models.CategoryNode) any {
					if n.Children == nil {
						return []*models.CategoryNode{}
					}
					return n.Children
				}),
				"productCount": field(graphql.NewNonNull(graphql.Int), "Products in it and in its subcategories (for shoppers, active ones only).", func(n *models.CategoryNode) any { return n.ProductCount }),
			}
		}),
	})
	product.AddFieldConfig("category", &graphql.Field{
		Type:        category,
		Description: "Null when the product is in no category.",
		Resolve:     b.safe(r.ProductCategory),
	})
	query.AddFieldConfig("categories", &graphql.Field{
		Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(category))),
		Description: "Every category (at most 200), depth first, siblings by name.",
		Resolve:     b.safe(r.Categories),
	})
	mutation.AddFieldConfig("createCategory", &graphql.Field{
		Type:        graphql.NewNonNull(category),
		Description: "Admins only. The name (1 to 100 characters) makes the slug, which must be unique. At most 5 levels, and 50 subcategories under one category.",
		Args: graphql.FieldConfigArgument{
			"name":     {Type: graphql.NewNonNull(graphql.String)},
			"parentId": {Type: graphql.String, Description: "Left out: a top-level category."},
		},
		Resolve: b.safe(r.CreateCategory),
	})
	mutation.AddFieldConfig("updateCategory", &graphql.Field{
		Type:        category,
		Description: "Admins only. Null when no category has that id. A category can't move under itself or one of its subcategories.",
		Args: graphql.FieldConfigArgument{
			"id":       {Type: graphql.NewNonNull(graphql.String)},
			"name":     {Type: graphql.String},
			"parentId": {Type: graphql.String, Description: `Left out: unchanged; "": make it top-level.`},
		},
		Resolve: b.safe(r.UpdateCategory),
	})
	mutation.AddFieldConfig("deleteCategory", &graphql.Field{
		Type:        graphql.NewNonNull(graphql.Boolean),
		Description: "Admins only. False when no category has that id; refused (CONFLICT) while it has products or subcategories.",
		Args:        graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.String)}},
		Resolve:     b.safe(r.DeleteCategory),
	})
}

// searchTypes are the products connection's filter and sort.
func searchTypes() (*graphql.InputObject, *graphql.Enum) {
	option := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "OptionFilterInput",
		Description: "One of a product's options (Size) and the values, any of which matches (M, L).",
		Fields: graphql.InputObjectConfigFieldMap{
			"name":   {Type: graphql.NewNonNull(graphql.String), Description: "The option's name, whatever its case; 1 to 100 characters, trimmed."},
			"values": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.String))), Description: "1 to 100 values, whatever their case; each 1 to 100 characters, trimmed."},
		},
	})
	filter := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "ProductFilter",
		Description: "Fields left out match every product. The price range, inStock and options, given together, must all hold for one variant of the product.",
		Fields: graphql.InputObjectConfigFieldMap{
			"query":      {Type: graphql.String, Description: "Words to find in the name, description or SKU (the product's, or any of its variants'), all of them, with stemming (\"mugs\" finds \"mug\"). At most 200 characters and 10 words."},
			"categoryId": {Type: graphql.String, Description: "Products in this category or any of its subcategories."},
			"minPrice":   {Type: graphql.Float, Description: "Products with a variant priced at least this (any variant: the product's price, its lowest available one, may be lower)."},
			"maxPrice":   {Type: graphql.Float, Description: "Products with a variant priced at most this."},
			"inStock":    {Type: graphql.Boolean, Description: "True: only products with stock (a variant with stock)."},
			"maxStock":   {Type: graphql.Int, Description: "Only products with at most this many units in stock (0: out of stock), 0 to 1000000000, as stock counts."},
			"options": {Type: graphql.NewList(graphql.NewNonNull(option)), Description: "Products with a variant in stock that has, for each option given, one of its values: " +
				"[{name: \"Size\", values: [\"M\", \"L\"]}, {name: \"Colour\", values: [\"Red\"]}] is a medium or large red one. At most 3 options, each named once."},
		},
	})
	sort := graphql.NewEnum(graphql.EnumConfig{
		Name: "ProductSort",
		Values: graphql.EnumValueConfigMap{
			"OLDEST":     {Value: string(models.SortOldest), Description: "Oldest first (the default)."},
			"NEWEST":     {Value: string(models.SortNewest)},
			"PRICE_ASC":  {Value: string(models.SortPriceAsc)},
			"PRICE_DESC": {Value: string(models.SortPriceDesc)},
			"NAME":       {Value: string(models.SortName)},
			"RELEVANCE":  {Value: string(models.SortRelevance), Description: "Best match first; needs filter.query. The score reads only the product and the query, not the rest of the catalog (PostgreSQL: ts_rank; SQLite: each occurrence of a query word counts 4 in the name, 2 in the SKU, 1 in the description, at most 3 there; ties by id), so pages hold their place while products are added."},
		},
	})
	return filter, sort
}
