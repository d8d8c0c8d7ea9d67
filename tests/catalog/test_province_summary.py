"""The admin's province dashboard (catalog ``province_summary``) on real databases (SQLite
and PostgreSQL): merchants per kabupaten/kota by kind and status, the products buyers can
see, and the koperasi with their RAT status in WITA."""
from datetime import date

import pytest

from services.catalog import domain
from services.catalog.service import CatalogService
from shared.errors import Forbidden
from shared.regions import REGIONS

from catalog_helpers import ADMIN, MERCHANT_DATA, OWNER, PROMOTER, product_data

TODAY = date(2026, 12, 2)


def koperasi(name: str, region: str, last_rat_year) -> dict:
    data = {"name": name, "kind": "koperasi", "region": region, "whatsapp": "0813-4567-8901",
            "legal_number": "518/BH/XXVI/2005", "member_count": 40}
    if last_rat_year is not None:
        data["last_rat_year"] = last_rat_year
    return data


@pytest.fixture
def province(catalog_db):
    with catalog_db() as session:
        tenun = domain.register_merchant(session, OWNER, MERCHANT_DATA)  # umkm, Muna, pending
        mete = domain.register_merchant(session, OWNER, koperasi("Koperasi Mete Muna", "7402", 2026))
        kopi = domain.register_merchant(session, OWNER, koperasi("Koperasi Kopi Kendari", "7471", 2024))
        sagu = domain.register_merchant(session, OWNER, koperasi("Koperasi Sagu Konawe", "7403", None))
        ditolak = domain.register_merchant(session, OWNER, {**MERCHANT_DATA, "name": "Usaha Ditolak",
                                                            "region": "7471"})
        for merchant in (mete, kopi, sagu):
            domain.decide_verification(session, ADMIN, merchant["id"], "verified")
        domain.decide_verification(session, ADMIN, ditolak["id"], "rejected", "Dokumen tidak lengkap.")
        session.flush()
        domain.create_product(session, OWNER, product_data(tenun["id"]))
        domain.create_product(session, OWNER, product_data(tenun["id"], name="Tenun Kedua"))
        domain.create_product(session, OWNER, product_data(tenun["id"], name="Draf", status="draft"))
        domain.create_product(session, OWNER, product_data(mete["id"], name="Mete Sangrai"))
        domain.create_product(session, OWNER, product_data(kopi["id"], name="Kopi Bubuk"))
        domain.create_product(session, OWNER, product_data(ditolak["id"], name="Tidak Tampil"))
        session.commit()
        domain.decide_verification(session, ADMIN, kopi["id"], "suspended", "Laporan pembeli.")
        session.commit()
    return {"tenun": tenun, "mete": mete, "kopi": kopi, "sagu": sagu}


def test_counts_per_region(catalog_db, province):
    with catalog_db() as session:
        summary = domain.province_summary(session, ADMIN, today=TODAY)
    assert summary["year"] == 2026 and summary["today"] == "2026-12-02"
    regions = {entry["code"]: entry for entry in summary["regions"]}
    assert list(regions) == list(REGIONS)  # all 17, in BPS order, even the empty ones
    muna, kendari, konawe = regions["7402"], regions["7471"], regions["7403"]
    assert muna["name"] == "Muna" and muna["merchants"] == 2
    assert muna["kinds"] == {"umkm": 1, "koperasi": 1}
    assert muna["statuses"] == {"pending": 1, "verified": 1, "rejected": 0, "suspended": 0}
    assert muna["products"] == 3  # the draft does not count
    assert kendari["merchants"] == 2 and kendari["statuses"]["suspended"] == 1 and kendari["statuses"]["rejected"] == 1
    assert kendari["products"] == 0  # a suspended or rejected merchant's products are not shown to buyers
    assert konawe["merchants"] == 1 and konawe["products"] == 0
    assert regions["7407"] == {"code": "7407", "name": "Wakatobi", "merchants": 0, "products": 0,
                               "kinds": {"umkm": 0, "koperasi": 0},
                               "statuses": {"pending": 0, "verified": 0, "rejected": 0, "suspended": 0}}
    assert summary["totals"] == {"merchants": 5, "products": 3, "koperasi": 3, "rat_late": 2}


def test_koperasi_rat_status_late_first(catalog_db, province):
    with catalog_db() as session:
        summary = domain.province_summary(session, ADMIN, today=TODAY)
    listed = [(k["name"], k["last_rat_year"], k["rat_status"], k["status"]) for k in summary["koperasi"]]
    assert listed == [
        ("Koperasi Sagu Konawe", None, "late", "verified"),
        ("Koperasi Kopi Kendari", 2024, "late", "suspended"),
        ("Koperasi Mete Muna", 2026, "up_to_date", "verified"),
    ]
    assert summary["koperasi"][0]["region_name"] == "Konawe"


@pytest.mark.parametrize("last, today, expected", [
    (2026, date(2026, 12, 31), "up_to_date"),
    (2025, date(2026, 6, 30), "up_to_date"),  # last year's book closed; this year's RAT due by 30 June
    (2025, date(2026, 7, 1), "late"),
    (2024, date(2026, 1, 2), "late"),
    (None, date(2026, 1, 2), "late"),
])
def test_rat_status(last, today, expected):
    assert domain.rat_status(last, today) == expected


@pytest.mark.parametrize("actor", [OWNER, PROMOTER, None])
def test_only_admins(catalog_db, actor):
    with catalog_db() as session, pytest.raises(Forbidden):
        domain.province_summary(session, actor)


def test_the_rpc(catalog_db, province, monkeypatch):
    """The entry point hands the actor and the session to the domain function."""
    seen = {}
    monkeypatch.setattr(domain, "province_summary", lambda session, actor: seen.setdefault("actor", actor) or {})
    service = CatalogService.__new__(CatalogService)
    service.db = type("Db", (), {"session": object()})()
    CatalogService.province_summary(service, ADMIN)
    assert seen["actor"] == ADMIN
