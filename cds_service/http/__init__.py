"""What the server exposes over HTTP: hook and DTR routes, discovery, OpenAPI, the demo page."""
