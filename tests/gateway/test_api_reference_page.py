"""The API reference page's own files: only Swagger UI's bundle and stylesheet are served
from node_modules, the page keeps the site's CSP, and without the npm package the page says
what to run instead of failing."""
from services.gateway.site import api_docs
from services.gateway.site.render import CONTENT_SECURITY_POLICY


def test_the_page_loads_swagger_ui_from_the_gateway_under_the_sites_policy():
    response = api_docs.page(None)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.get_data(as_text=True)
    assert '<script src="/api/docs/assets/swagger-ui-bundle.js">' in html
    assert "<style" not in html and "<script>" not in html  # no inline code for the policy to refuse
    assert "https://" not in html  # no CDN


def test_only_the_two_viewer_files_are_served():
    bundle = api_docs.asset(None, "swagger-ui-bundle.js")
    assert bundle.status_code == 200 and bundle.headers["Content-Type"].startswith("text/javascript")
    assert api_docs.asset(None, "swagger-ui.css").headers["Content-Type"].startswith("text/css")
    for name in ("package.json", "index.html", "..", "swagger-initializer.js"):
        assert api_docs.asset(None, name).status_code == 404, name


def test_without_the_npm_package_the_page_says_what_to_run(monkeypatch, tmp_path):
    monkeypatch.setattr(api_docs, "SWAGGER_UI_DIR", tmp_path)
    response = api_docs.page(None)
    assert response.status_code == 503
    assert "npm ci" in response.get_data(as_text=True) and response.headers["Retry-After"]
    assert api_docs.asset(None, "swagger-ui.css").status_code == 404
