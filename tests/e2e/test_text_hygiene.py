"""Text hygiene through the real API, on the real platform over SQLite and over PostgreSQL:
a control character (NUL, a C1 control), a lone surrogate sent as the JSON escape
``"\\ud800"``, a line break in a one-line text are refused with 422 naming the field and
nothing is written; a decomposed "é" is stored composed (NFC); a line break in a long text
(a description, an address) is kept. The same answers on both databases: before, a NUL was
stored by SQLite and failed on PostgreSQL. Also a weak password at sign-up (NIST SP 800-63B).
"""
import json
import os
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text

from platform_fixtures import fresh_vhost, platform_on

pytestmark = pytest.mark.e2e

SERVICES = ("gateway", "catalog", "promotion", "search")
# the server the database tests use (tests/conftest.py reads the same variable)
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/postgres")

NUL, C1, DECOMPOSED, COMPOSED = "\x00", "\x85", "Kafe\u0301", "Kaf\u00e9"


@contextmanager
def postgres_databases(names):
    """A fresh PostgreSQL database per name, dropped afterwards; yields {name: url}."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    databases = {name: f"etalase_t_{name}_{uuid.uuid4().hex[:8]}" for name in names}
    try:
        with admin.connect() as connection:
            for database in databases.values():
                connection.execute(text(f'CREATE DATABASE "{database}"'))
        yield {name: f"{base}/{database}" for name, database in databases.items()}
    finally:
        with admin.connect() as connection:
            for database in databases.values():
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                                   {"n": database})
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def p(request, tmp_path_factory):
    """The real platform on SQLite (the default) or with every service on PostgreSQL."""
    with ExitStack() as stack:
        environment = stack.enter_context(pytest.MonkeyPatch.context())
        if request.param == "postgres":
            if request.config.getoption("--no-postgres"):
                pytest.skip("PostgreSQL disabled with --no-postgres")
            urls = stack.enter_context(postgres_databases(SERVICES))
            for service, url in urls.items():
                environment.setenv(f"{service.upper()}_DATABASE_URL", url)
        else:
            for service in SERVICES:
                environment.delenv(f"{service.upper()}_DATABASE_URL", raising=False)
        amqp_uri = stack.enter_context(fresh_vhost())
        yield stack.enter_context(platform_on(amqp_uri, tmp_path_factory.mktemp(f"var-{request.param}")))


@pytest.fixture(scope="module")
def owner(p):
    return p.sign_up()


@pytest.fixture(scope="module")
def merchant_id(p, owner):
    return p.new_merchant(owner)


def post_raw_json(p, path, headers, body: dict):
    """``body`` as JSON with every non-ASCII character escaped, so a lone surrogate travels
    as the six characters ``\\ud800``, as a client's JSON encoder would send it."""
    return p.http.post(path, headers={**headers, "Content-Type": "application/json"},
                       content=json.dumps(body, ensure_ascii=True).encode("ascii"))


def product(merchant_id, **fields):
    return {"merchant_id": merchant_id, "name": "Kopi Kolaka bubuk", "price": 45000, "stock": 3,
            "category": "kopi-teh", **fields}


def assert_refused(response, field: str) -> str:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and field in error["fields"], error
    return error["fields"][field]


def product_names(p, owner, merchant_id) -> list[str]:
    response = p.http.get(f"/api/v1/merchants/{merchant_id}/products", headers=owner)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


@pytest.mark.parametrize("bad, shown", [(NUL, "U+0000"), (C1, "U+0085"), ("\ud800", "U+D800"), ("\ufffe", "U+FFFE")])
def test_a_product_name_with_a_control_character_is_refused_and_nothing_is_written(p, owner, merchant_id, bad, shown):
    before = product_names(p, owner, merchant_id)
    response = post_raw_json(p, "/api/v1/products", owner, product(merchant_id, name=f"Kopi{bad}Kolaka"))
    assert shown in assert_refused(response, "name")
    response = post_raw_json(p, "/api/v1/products", owner, product(merchant_id, description=f"Enak{bad}sekali"))
    assert shown in assert_refused(response, "description")
    assert product_names(p, owner, merchant_id) == before


def test_a_line_break_is_refused_in_a_name_and_kept_in_a_description(p, owner, merchant_id):
    assert_refused(p.http.post("/api/v1/products", headers=owner, json=product(merchant_id, name="Kopi\nKolaka")),
                   "name")
    assert_refused(p.http.post("/api/v1/products", headers=owner, json=product(merchant_id, name="Kopi\tKolaka")),
                   "name")
    created = p.http.post("/api/v1/products", headers=owner,
                          json=product(merchant_id, name="Kopi Kolaka tubruk", description="Baris satu\r\nBaris\tdua"))
    assert created.status_code == 201, created.text
    stored = p.http.get(f"/api/v1/products/{created.json()['id']}").json()
    assert stored["description"] == "Baris satu\nBaris\tdua"


def test_a_decomposed_accent_is_stored_composed(p, owner, merchant_id):
    created = post_raw_json(p, "/api/v1/products", owner, product(merchant_id, name=f"{DECOMPOSED} Wakatobi",
                                                                  description=f"Dari {DECOMPOSED}"))
    assert created.status_code == 201, created.text
    stored = p.http.get(f"/api/v1/products/{created.json()['id']}").json()
    assert stored["name"] == f"{COMPOSED} Wakatobi" and stored["description"] == f"Dari {COMPOSED}"
    patched = p.http.patch(f"/api/v1/products/{stored['id']}", headers={**owner, "If-Match": f'"{stored["version"]}"'},
                           json={"name": f"{DECOMPOSED} Buton"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == f"{COMPOSED} Buton"
    assert_refused(p.http.patch(f"/api/v1/products/{stored['id']}", headers=owner, json={"name": f"Kafe{NUL}"}), "name")


def test_merchant_fields(p, owner):
    base = {"name": "Koperasi Mete Sejahtera", "kind": "koperasi", "region": "7402", "whatsapp": "0812 3456 7890"}
    assert_refused(post_raw_json(p, "/api/v1/merchants", owner, {**base, "name": f"Koperasi{NUL}Mete"}), "name")
    assert_refused(post_raw_json(p, "/api/v1/merchants", owner, {**base, "address": f"Jl. Poros{C1}"}), "address")
    created = p.http.post("/api/v1/merchants", headers=owner,
                          json={**base, "name": f"{DECOMPOSED} Mete", "address": "Jl. Poros Raha\nKel. Laende"})
    assert created.status_code == 201, created.text
    merchant = p.http.get(f"/api/v1/merchants/{created.json()['id']}").json()
    assert merchant["name"] == f"{COMPOSED} Mete" and merchant["address"] == "Jl. Poros Raha\nKel. Laende"


def test_campaign_name_and_description(p):
    promoter = p.sign_up("promoter")
    starts_at = datetime.now(timezone.utc) + timedelta(hours=1)
    body = {"name": "Festival Kopi Kolaka", "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=1)).isoformat(), "discount": {"type": "percent", "value": 10},
            "target": {"regions": ["7404"]}}
    assert_refused(post_raw_json(p, "/api/v1/campaigns", promoter, {**body, "name": f"Festival{NUL}Kopi"}), "name")
    assert_refused(post_raw_json(p, "/api/v1/campaigns", promoter, {**body, "name": "Festival\nKopi"}), "name")
    assert_refused(post_raw_json(p, "/api/v1/campaigns", promoter, {**body, "description": "Diskon\ud800"}),
                   "description")
    created = post_raw_json(p, "/api/v1/campaigns", promoter,
                            {**body, "name": f"Festival {DECOMPOSED}", "description": "Baris satu\nBaris dua"})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == f"Festival {COMPOSED}" and created.json()["description"] == "Baris satu\nBaris dua"


def test_account_fields_and_weak_passwords(p):
    email = f"hygiene-{uuid.uuid4().hex[:8]}@contoh.id"
    good = {"email": email, "password": "kain-tenun-123", "name": "Wa Ode Tester", "role": "owner"}
    assert_refused(post_raw_json(p, "/api/v1/accounts", {}, {**good, "name": f"Wa Ode{NUL}"}), "name")
    assert_refused(post_raw_json(p, "/api/v1/accounts", {}, {**good, "email": f"a{NUL}@contoh.id"}), "email")
    assert_refused(post_raw_json(p, "/api/v1/accounts", {}, {**good, "password": "kain\ud800tenun"}), "password")
    for weak, reason in (("password", "pernah bocor"), ("12345678", "berurutan"), ("aaaaaaaa", "berulang")):
        assert reason in assert_refused(p.http.post("/api/v1/accounts", json={**good, "password": weak}), "password")
    assert "maksimal 256" in assert_refused(p.http.post("/api/v1/accounts", json={**good, "password": "kain " * 60}),
                                            "password")
    created = p.http.post("/api/v1/accounts", json={**good, "name": f"{DECOMPOSED} Tester"})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == f"{COMPOSED} Tester"
    # signing in with a control character or a lone surrogate is refused at the edge, never a 500
    for password in ("kain\ud800tenun", "kain\x00tenun"):
        assert_refused(post_raw_json(p, "/api/v1/sessions", {}, {"email": email, "password": password}), "password")
    assert_refused(post_raw_json(p, "/api/v1/sessions", {}, {"email": f"{email}{NUL}", "password": "x"}), "email")


def test_search_query(p):
    assert_refused(p.http.get("/api/v1/search", params={"q": f"kopi{NUL}"}), "q")
    assert_refused(p.http.get("/api/v1/search", params={"q": f"kopi{C1}"}), "q")
    assert_refused(p.http.get("/api/v1/search", params={"q": "kopi\nkolaka"}), "q")
    assert p.http.get("/api/v1/search", params={"q": f"{DECOMPOSED} kopi"}).status_code == 200


def test_an_import_row_with_a_line_break_in_its_name_fails_alone(p, owner, merchant_id):
    rows = ['sku,nama,deskripsi,harga,stok,kategori',
            'HY-1,"Kopi\nKolaka",Enak,20000,5,kopi-teh',
            f'HY-2,{DECOMPOSED} Raha,"Baris satu\nBaris dua",21000,5,kopi-teh']
    started = p.http.post("/api/v1/imports", headers=owner, data={"merchant_id": merchant_id},
                          files={"file": ("produk.csv", ("\n".join(rows) + "\n").encode(), "text/csv")})
    assert started.status_code == 202, started.text
    deadline, status = time.monotonic() + 60, {}
    while time.monotonic() < deadline:
        status = p.http.get(f"/api/v1/imports/{started.json()['id']}", headers=owner).json()
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert status.get("status") == "done", status
    assert status["counts"]["created"] == 1 and status["counts"]["failed"] == 1
    assert [(e["row"], e["column"]) for e in status["errors"]] == [(2, "nama")]
    assert f"{COMPOSED} Raha" in product_names(p, owner, merchant_id)
    refused = p.http.post("/api/v1/imports", headers=owner, data={"merchant_id": merchant_id},
                          files={"file": ("produk\x85.csv", ("\n".join(rows[:1]) + "\n").encode(), "text/csv")})
    assert refused.status_code == 422 and "file" in refused.json()["error"]["fields"], refused.text


def test_ids_and_parameters_with_a_nul_are_refused_before_any_database_sees_them(p, owner, merchant_id):
    # PostgreSQL refuses a NUL even in a lookup by id: before, these were 5xx there and 404 on SQLite
    response = p.http.get("/api/v1/products/abc%00def")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", response.text
    assert_refused(post_raw_json(p, "/api/v1/products", owner, product(f"{merchant_id}\x00")), "merchant_id")
    assert_refused(p.http.get(f"/api/v1/merchants/{merchant_id}/products", params={"page": "1\x00"}), "page")
    started = p.http.post("/api/v1/imports", headers=owner, data={"merchant_id": f"{merchant_id}\x00"},
                          files={"file": ("produk.csv", b"sku,nama\n", "text/csv")})
    assert_refused(started, "merchant_id")
    assert p.http.get("/produk/abc%00def").status_code == 404
    assert p.http.get("/", params={"q": "kopi\x00"}).status_code == 400
