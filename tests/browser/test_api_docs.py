"""The API reference page, /api/docs: Swagger UI from the platform's own files, under the
site's Content-Security-Policy unchanged, rendering the served OpenAPI document."""
import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_the_api_reference_renders_every_operation_with_no_console_error(page, running_platform, outside,
                                                                        screenshot):
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    response = page.goto("/api/docs")
    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe" not in policy

    page.locator(".opblock").first.wait_for()
    operations = sum(len(item) for item in running_platform.http.get("/api/v1/openapi.json").json()["paths"].values())
    assert page.locator(".opblock").count() == operations
    assert page.get_by_text("Etalase Sultra API").first.is_visible()

    # One operation opened shows its parameters and the error schema it shares with all.
    page.locator("#operations-products-post_api_v1_products .opblock-summary").click()
    page.get_by_text("Idempotency-Key").first.wait_for()
    screenshot(page, "api-docs")

    violations = [text for text in problems if re.search(r"Content.Security.Policy|Refused to", text)]
    assert violations == []
    assert problems == []
    assert outside.blocked == []
