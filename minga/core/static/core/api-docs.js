// Start Swagger UI on /api/v1/docs. Settings come from the page (no inline script); "Try it out" from a
// signed-in browser uses the session, so unsafe requests carry the CSRF token.
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrfToken = document.body.dataset.csrfToken;
  settings.dom_id = "#swagger-ui";
  settings.presets = [SwaggerUIBundle.presets.apis];
  settings.requestInterceptor = function (request) {
    if (csrfToken && !/^(GET|HEAD|OPTIONS)$/i.test(request.method || "GET")) {
      request.headers["X-CSRFToken"] = csrfToken;
    }
    return request;
  };
  window.ui = SwaggerUIBundle(settings);
})();
