// gatehouse's GraphiQL: every asset comes from this server, nothing from a
// CDN. Headers (Authorization: Bearer …) are set in the Headers pane and
// kept in this browser's storage.
(function () {
  var url = location.protocol + "//" + location.host + "/graphql";
  var fetcher = GraphiQL.createFetcher({ url: url });
  var initial = [
    "# Welcome to gatehouse. Register a customer, then send its token",
    "# as {\"Authorization\": \"Bearer …\"} in the Headers pane below.",
    "mutation Register {",
    "  register(actor: CUSTOMER, provider: \"emailpass\",",
    "    input: {email: \"ada@example.com\", password: \"correct horse battery\"}) {",
    "    ticket { accessToken refreshToken userId }",
    "    errors { code message field }",
    "  }",
    "}",
    ""
  ].join("\n");
  ReactDOM.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: initial,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true
    }),
    document.getElementById("graphiql")
  );
})();
