package schema

import (
	"github.com/graphql-go/graphql"

	"shop/docguard"
	"shop/models"
)

// ListSizes says how many items each list field returns at most, for the
// cost of an operation (see docguard): a list field multiplies the cost of
// what is selected under it by its size. maxPage is the server's largest
// page (MAX_PAGE_SIZE). A list field that returns objects must be here, or
// be sized by the field above it (SizedByParent); a test checks it.
func ListSizes(s *graphql.Schema, maxPage int) map[string]docguard.List {
	sizes := map[string]docguard.List{
		// limit left out, or larger than the maximum, is the maximum.
		"Query.getProducts": {Arg: "limit", Default: maxPage, Max: maxPage},
		"Query.getOrders":   {Arg: "limit", Default: maxPage, Max: maxPage},
		// first left out is the default page; larger than the maximum is refused.
		"Query.products":         {Arg: "first", Default: models.DefaultPageFirst, Max: models.MaxPageFirst},
		"Query.orders":           {Arg: "first", Default: models.DefaultPageFirst, Max: models.MaxPageFirst},
		"Order.items":            {Default: models.MaxOrderLines, Max: models.MaxOrderLines},
		"Order.events":           {Default: maxOrderEvents, Max: maxOrderEvents},
		"Query.lowStock":         {Default: models.MaxLowStockResults, Max: models.MaxLowStockResults},
		"Product.stockMovements": {Arg: "first", Default: models.DefaultPageFirst, Max: models.MaxPageFirst},
		"Query.categories":       {Default: models.MaxCategories, Max: models.MaxCategories},
		"Category.children":      {Default: models.MaxSubcategory, Max: models.MaxSubcategory},
		// The dashboard's: a day per row, and a page of customers.
		"Query.salesReport": {Arg: "days", Default: models.DefaultSalesDays, Max: models.MaxSalesDays},
		"Query.customers":   {Arg: "first", Default: models.DefaultPageFirst, Max: models.MaxPageFirst},
	}
	// Introspection's lists are as long as this schema makes them: without
	// a size, __schema { types { fields { type { fields … } } } } nested a
	// few levels would cost nothing and return millions of values.
	for field, n := range introspectionSizes(s) {
		sizes[field] = docguard.List{Default: n, Max: n}
	}
	return sizes
}

// SizedByParent reports the list fields whose length the field above them
// sets (a connection's edges are as many as its first).
func SizedByParent(field string) bool {
	return field == "ProductConnection.edges" || field == "OrderConnection.edges" || field == "StockMovementConnection.edges" ||
		field == "CustomerConnection.edges"
}

func introspectionSizes(s *graphql.Schema) map[string]int {
	n := map[string]int{"__Schema.types": len(s.TypeMap()), "__Schema.directives": len(s.Directives())}
	most := func(field string, v int) { n[field] = max(n[field], v) }
	for _, f := range []string{"__Directive.args", "__Type.interfaces", "__Type.possibleTypes", "__Type.enumValues", "__Type.inputFields", "__Type.fields", "__Field.args"} {
		most(f, 0) // every list of introspection has a size, 1 at least
	}
	for _, d := range s.Directives() {
		most("__Directive.args", len(d.Args))
	}
	for _, t := range s.TypeMap() {
		var fields graphql.FieldDefinitionMap
		switch t := t.(type) {
		case *graphql.Object:
			fields = t.Fields()
			most("__Type.interfaces", len(t.Interfaces()))
		case *graphql.Interface:
			fields = t.Fields()
			most("__Type.possibleTypes", len(s.PossibleTypes(t)))
		case *graphql.Union:
			most("__Type.possibleTypes", len(t.Types()))
		case *graphql.Enum:
			most("__Type.enumValues", len(t.Values()))
		case *graphql.InputObject:
			most("__Type.inputFields", len(t.Fields()))
		}
		most("__Type.fields", len(fields))
		for _, f := range fields {
			most("__Field.args", len(f.Args))
		}
	}
	return n
}
