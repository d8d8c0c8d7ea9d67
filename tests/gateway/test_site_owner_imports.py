"""The owner's import status page: failed rows and rows saved with warnings are counted and
listed apart, and the page reloads itself while the import runs."""
import pytest
from sqlalchemy import select

from services.gateway.models import Account

from gateway_fakes import FakeCatalog, FakePromotion
from gateway_helpers import assert_html_page, register_on_site

JOB = {
    "id": "imp1", "merchant_id": "m1", "filename": "produk.csv", "format": "csv", "status": "done", "error": None,
    "total_rows": 4, "processed_rows": 4,
    "counts": {"total": 4, "created": 3, "updated": 0, "unchanged": 0, "failed": 1, "warnings": 2},
    "errors": [{"row": 3, "column": "harga", "message": "harus berupa angka bulat, mis. 15000"}],
    "errors_truncated": False,
    "warnings": [{"row": 2, "column": "foto", "message": "foto <a.png> tidak dapat diambil"},
                 {"row": 5, "column": "foto", "message": "foto b.png tidak dapat diambil"}],
    "warnings_truncated": False,
    "created_at": "2026-12-01T00:00:00Z", "started_at": "2026-12-01T00:00:01Z", "finished_at": "2026-12-01T00:00:02Z",
}


@pytest.fixture
def owner(start_gateway, web_session, fakes):
    session_factory = start_gateway(FakeCatalog, FakePromotion)
    assert register_on_site(web_session, "imports@example.com").status_code == 303
    with session_factory() as session:
        owner_id = session.scalars(select(Account.id).where(Account.email == "imports@example.com")).one()
    fakes.catalog.add_imports({**JOB, "owner_id": owner_id},
                              {**JOB, "id": "running", "status": "running", "processed_rows": 1, "errors": [],
                               "warnings": [], "finished_at": None, "owner_id": owner_id})
    return web_session


def test_failed_rows_and_warnings_are_counted_and_listed_apart(owner):
    html = assert_html_page(owner.get("/pemilik/impor/imp1"))
    assert "<dt>Baris gagal</dt><dd>1</dd>" in html and "<dt>Tersimpan dengan peringatan</dt><dd>2</dd>" in html
    failed, warnings = html.split("<h2>Peringatan</h2>")
    assert "harus berupa angka bulat" in failed and "tidak dapat diambil" not in failed
    assert "foto &lt;a.png&gt; tidak dapat diambil" in warnings and "foto b.png" in warnings
    assert 'http-equiv="refresh"' not in html  # a finished import stays put


def test_a_running_import_reloads_itself(owner):
    html = assert_html_page(owner.get("/pemilik/impor/running"))
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "<h2>Peringatan</h2>" not in html
