"""Static files (CSS, JS, icons) from ``services/gateway/static/`` at ``/static/<path>``.

URLs made with ``render.static_url`` carry ``?v=<content hash>``: those answers may be
cached for a year (``immutable``); without the matching hash, for an hour. ETags answer
``If-None-Match`` with 304. Only files inside the static directory are served.
"""
from __future__ import annotations

import mimetypes

from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from services.gateway.site.render import SECURITY_HEADERS, STATIC_DIR, static_version

TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon", ".webp": "image/webp",
         ".txt": "text/plain; charset=utf-8", ".woff2": "font/woff2"}
NOT_FOUND = Response("Tidak ditemukan.", status=404, headers={"Content-Type": "text/plain; charset=utf-8"})


def serve(request, path: str) -> Response:
    full = safe_join(str(STATIC_DIR), path)
    if full is None or path.startswith(".") or "/." in path:
        return NOT_FOUND
    try:
        with open(full, "rb") as handle:
            data = handle.read()
    except (IsADirectoryError, FileNotFoundError, NotADirectoryError, PermissionError):
        return NOT_FOUND
    version = static_version(path)
    etag = f'"{version}"'
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    content_type = TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    cache = ("public, max-age=31536000, immutable" if request.args.get("v") == version
             else "public, max-age=3600")
    headers = {"Content-Type": content_type, "Cache-Control": cache, "ETag": etag,
               "X-Content-Type-Options": SECURITY_HEADERS["X-Content-Type-Options"]}
    if etag in [tag.strip() for tag in (request.headers.get("If-None-Match") or "").split(",")]:
        return Response(status=304, headers=headers)
    return Response(data, status=200, headers=headers)
