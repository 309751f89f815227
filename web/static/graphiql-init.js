// Starts GraphiQL against this server's /graphql. Kept out of the HTML so
// the page can be served with a Content-Security-Policy that forbids inline
// scripts.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var endpoint = new URL("/graphql", window.location.href).toString();
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var defaultQuery =
    "# Welcome to shop's GraphiQL. Press the run button (or Ctrl-Enter).\n" +
    "{\n  getProducts(limit: 10) {\n    productId\n    price\n    stockCount\n    lastUpdated\n  }\n}\n";
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      query: params.get("query") || undefined,
      variables: params.get("variables") || undefined,
      defaultEditorToolsVisibility: true,
    })
  );
})();
