"""The API reference page, ``/api/docs``: Swagger UI over ``/api/v1/openapi.json``.

Swagger UI comes from npm (``swagger-ui-dist``, pinned in package.json/package-lock.json;
``make run`` installs it), served from ``node_modules`` by this module, never a CDN. It runs
under the site's own Content-Security-Policy unchanged: its script and stylesheet are files,
and the page's start-up code is ``static/js/api-docs.js``, not an inline script
(docs/decisions/openapi.md).
"""
from __future__ import annotations

import os
from pathlib import Path

from werkzeug.wrappers import Response

from services.gateway.site.render import HTML_HEADERS, SECURITY_HEADERS, static_url

# node_modules beside the source (make run); an installed copy (the container image) says where
# its copy is with GATEWAY_API_DOCS_ASSETS.
REPO_DIR = Path(__file__).resolve().parents[3]
SWAGGER_UI_DIR = Path(os.environ.get("GATEWAY_API_DOCS_ASSETS") or REPO_DIR / "node_modules" / "swagger-ui-dist")
ASSETS = {"swagger-ui.css": "text/css; charset=utf-8", "swagger-ui-bundle.js": "text/javascript; charset=utf-8"}
MISSING = ("Tampilan referensi API belum terpasang: jalankan `npm ci` (make run melakukannya). "
           "Spesifikasinya tetap ada di /api/v1/openapi.json.")

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Etalase Sultra API reference</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<noscript><p>The reference needs JavaScript; the document itself is
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></noscript>
<div id="api-reference" data-spec-url="/api/v1/openapi.json"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="{init}"></script>
</body>
</html>
"""


def page(request) -> Response:
    if not (SWAGGER_UI_DIR / "swagger-ui-bundle.js").is_file():
        return Response(MISSING, status=503, headers={**SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8",
                                                      "Retry-After": "60"})
    headers = {**HTML_HEADERS, "Cache-Control": "public, max-age=300"}
    headers.pop("Vary", None)
    return Response(PAGE.replace("{init}", static_url("js/api-docs.js")), status=200, headers=headers)


def asset(request, name: str) -> Response:
    content_type = ASSETS.get(name)
    path = SWAGGER_UI_DIR / name
    if content_type is None or not path.is_file():
        return Response("Tidak ditemukan.", status=404, headers={"Content-Type": "text/plain; charset=utf-8",
                                                                 "X-Content-Type-Options": "nosniff"})
    return Response(path.read_bytes(), status=200, headers={
        "Content-Type": content_type, "Cache-Control": "public, max-age=86400",
        "X-Content-Type-Options": "nosniff"})
