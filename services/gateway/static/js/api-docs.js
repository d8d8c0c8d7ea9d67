// Starts Swagger UI on /api/docs (a file, not an inline script: the site's CSP allows no inline code).
(function () {
  "use strict";
  var root = document.getElementById("api-reference");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // no call to an outside validator
    defaultModelsExpandDepth: 0
  });
})();
