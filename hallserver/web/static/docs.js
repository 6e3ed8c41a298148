// Starts Swagger UI on /docs (a file, not inline: the page's CSP allows only its own scripts).
// The options are FastAPI's defaults, with the online validator badge off (it would load an
// image from the internet).
/* global SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
