"""The API documentation page (Swagger UI), served from this host with the strict CSP.

FastAPI's own /docs loads Swagger UI from a CDN and starts it with an inline script; here
the assets come from the `swagger-ui-py` package (Swagger UI 5, which reads OpenAPI 3.1)
and the start-up script is a static file, so the page works offline and needs no
'unsafe-inline'.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.web.templating import static_url


def _assets_dir() -> Path:
    # Located without importing the package, whose adapters import web frameworks.
    spec = find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


ASSETS_DIR = _assets_dir()
ASSETS_URL = "/docs-assets"

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """Swagger UI for /openapi.json."""
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Eenzaamheidswijzer – API</title>
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
</head>
<body>
<main id="swagger-ui" data-openapi-url="/openapi.json"></main>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="{static_url("docs.js")}"></script>
</body>
</html>
"""
    return HTMLResponse(html)
