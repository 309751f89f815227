package schema

import (
	"github.com/graphql-go/graphql"

	"shop/models"
)

// edge and pageInfo are the Relay shapes of a page, built from the
// models' pages when a connection's fields are asked for.
type edge struct {
	cursor string
	node   any
}

// edgeType is a connection's edge object: a node of type node and its cursor.
func edgeType(name string, node *graphql.Object) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name: name,
		Fields: graphql.Fields{
			"cursor": field(graphql.NewNonNull(graphql.String), "", func(e *edge) any { return e.cursor }),
			"node":   field(graphql.NewNonNull(node), "", func(e *edge) any { return e.node }),
		},
	})
}

type pageInfo struct {
	hasNext bool
	end     *string
}

func productEdges(pg models.ProductPage) []edge {
	out := make([]edge, len(pg.Products))
	for i := range pg.Products {
		out[i] = edge{cursor: pg.Cursor(i), node: &pg.Products[i]}
	}
	return out
}

func orderEdges(pg models.OrderPage) []edge {
	out := make([]edge, len(pg.Orders))
	for i := range pg.Orders {
		out[i] = edge{cursor: models.OrderCursor(pg.Orders[i]).Encode(), node: &pg.Orders[i]}
	}
	return out
}

// info needs only the last item's cursor, so it makes just that one.
func info(hasNext bool, n int, last func() string) pageInfo {
	pi := pageInfo{hasNext: hasNext}
	if n > 0 {
		end := last()
		pi.end = &end
	}
	return pi
}

// connectionTypes builds PageInfo and the connection and edge types for
// products and orders.
func connectionTypes(b builder, product, order *graphql.Object) (productConn, orderConn, pageInfoType *graphql.Object) {
	pageInfoType = graphql.NewObject(graphql.ObjectConfig{
		Name: "PageInfo",
		Fields: graphql.Fields{
			"hasNextPage": field(graphql.NewNonNull(graphql.Boolean), "True when there are more items after this page.", func(p *pageInfo) any { return p.hasNext }),
			"endCursor": field(graphql.String, "Pass as `after` to get the next page; null on an empty page.", func(p *pageInfo) any {
				if p.end == nil {
					return nil
				}
				return *p.end
			}),
		},
	})
	productEdge, orderEdge := edgeType("ProductEdge", product), edgeType("OrderEdge", order)
	productConn = graphql.NewObject(graphql.ObjectConfig{
		Name: "ProductConnection",
		Fields: graphql.Fields{
			"edges": field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(productEdge))), "", func(pg *models.ProductPage) any {
				return productEdges(*pg)
			}),
			"pageInfo": field(graphql.NewNonNull(pageInfoType), "", func(pg *models.ProductPage) any {
				return info(pg.HasNext, len(pg.Products), func() string { return pg.Cursor(len(pg.Products) - 1) })
			}),
		},
	})
	orderConn = graphql.NewObject(graphql.ObjectConfig{
		Name: "OrderConnection",
		Fields: graphql.Fields{
			"edges": field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(orderEdge))), "", func(pg *models.OrderPage) any {
				return orderEdges(*pg)
			}),
			"pageInfo": field(graphql.NewNonNull(pageInfoType), "", func(pg *models.OrderPage) any {
				return info(pg.HasNext, len(pg.Orders), func() string { return models.OrderCursor(pg.Orders[len(pg.Orders)-1]).Encode() })
			}),
		},
	})
	return productConn, orderConn, pageInfoType
}
