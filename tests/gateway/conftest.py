import pytest


@pytest.fixture
def web_session(web_config_port):
    """nameko's own ``web_session`` imports ``werkzeug.urls.url_join``, which werkzeug 3
    removed; this is the same session with the standard library's ``urljoin``."""
    from urllib.parse import urljoin

    from requests import Session

    base = f"http://127.0.0.1:{web_config_port}/"

    class WebSession(Session):
        def request(self, method, url, *args, **kwargs):
            kwargs.setdefault("timeout", 30)
            return super().request(method, urljoin(base, url), *args, **kwargs)

    with WebSession() as session:
        yield session
