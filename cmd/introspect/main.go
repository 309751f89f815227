// Command introspect prints the introspection result of the schema the
// server serves, as JSON. web/schema.mjs turns it into schema.graphql with
// graphql-js and checks it against the contract (make schema, make test).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/testutil"

	"shop/resolvers"
	"shop/schema"
)

func main() {
	// The schema's shape does not depend on its data, so no services are
	// needed: introspection never calls a resolver of the shop.
	s, err := schema.New(resolvers.New(resolvers.Services{}, nil), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "introspect:", err)
		os.Exit(1)
	}
	res := graphql.Do(graphql.Params{Schema: s, RequestString: testutil.IntrospectionQuery})
	if len(res.Errors) > 0 {
		fmt.Fprintln(os.Stderr, "introspect:", res.Errors)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "introspect:", err)
		os.Exit(1)
	}
}
