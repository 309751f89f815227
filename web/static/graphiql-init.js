// Starts GraphiQL against this server's /graphql. Kept out of the HTML so
// the page can be served with a Content-Security-Policy that forbids inline
// scripts.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var endpoint = new URL("/graphql", window.location.href);
  var socketURL = new URL(endpoint.toString());
  socketURL.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  // Subscriptions run over graphql-transport-ws on the same /graphql, through
  // the npm graphql-ws client (graphqlWs, /assets/graphql-ws.min.js). A
  // browser's WebSocket can't send headers, so the Headers tab's
  // Authorization travels in connection_init's payload instead; a different
  // Authorization there opens a new socket with it on the next run.
  var current = { authorization: null, client: null, fetcher: null };
  function fetcherFor(authorization) {
    if (current.fetcher && current.authorization === authorization) return current.fetcher;
    if (current.client) current.client.dispose();
    var client = graphqlWs.createClient({
      url: socketURL.toString(),
      connectionParams: authorization ? { Authorization: authorization } : {},
      // A socket dropped on the way (a server restarting closes with 1001)
      // is opened again; a refused token (4401) ends the run with its
      // close code shown, as graphql-ws never retries that one: paste a
      // fresh token and run again.
      retryAttempts: 3,
    });
    current = {
      authorization: authorization,
      client: client,
      fetcher: GraphiQL.createFetcher({ url: endpoint.toString(), wsClient: { subscribe: subscribeShowingErrors(client) } }),
    };
    return current.fetcher;
  }
  // subscribeShowingErrors is client.subscribe, with a subscription's end
  // in error (the server's errors, or the socket closed, as by 4401) passed
  // on as a last result holding the errors: GraphiQL's toolkit turns an
  // error into a rejected promise no one handles, which the console
  // reports as uncaught, though the result pane shows it.
  function subscribeShowingErrors(client) {
    return function (payload, sink) {
      return client.subscribe(payload, {
        next: function (value) { sink.next(value); },
        complete: function () { sink.complete(); },
        error: function (err) {
          var errors;
          if (Array.isArray(err)) errors = err;
          else if (err && typeof err.code === "number") errors = [{ message: "The socket closed (" + err.code + ")" + (err.reason ? ": " + err.reason : ".") }];
          else errors = [{ message: String((err && err.message) || err) }];
          sink.next({ errors: errors });
          sink.complete();
        },
      });
    };
  }
  function authorizationOf(headers) {
    for (var name in headers || {}) {
      if (name.toLowerCase() === "authorization") return String(headers[name]);
    }
    return "";
  }
  var fetcher = function (graphQLParams, opts) {
    return fetcherFor(authorizationOf(opts && opts.headers))(graphQLParams, opts);
  };

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
