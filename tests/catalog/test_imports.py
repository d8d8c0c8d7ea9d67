"""Spreadsheet import on a real catalog database (SQLite and PostgreSQL): validation with
exact row/column errors, upsert by SKU, batches of events, limits, ownership, photos."""
import base64
import csv
import gc
import io
import subprocess
import sys
import time
import zipfile

import pytest
from nameko.testing.services import entrypoint_hook
from openpyxl import Workbook, load_workbook
from PIL import Image
from sqlalchemy import func, select

from services import platform as etalase_platform
from services.catalog import domain, fetch, imports
from services.catalog.models import ImportJob, ImportRowError, Product, ProductPhoto
from services.catalog.service import CatalogService
from shared.contracts import ProductsImported
from shared.db import UnitOfWork, make_engine, make_session_factory
from shared.errors import Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from shared.events import Event
from shared.migrations import upgrade
from shared.outbox import PUBLISHED
from shared.taxonomy import leaf_categories

from catalog_helpers import MERCHANT_DATA, OTHER_OWNER, OWNER, PROMOTER, event_of, outbox_rows

HEADER = ["sku", "nama", "deskripsi", "harga", "harga_coret", "stok", "satuan", "kategori", "halal", "status", "tag"]


def good(sku, name=None, price="15000", **extra):
    row = {"sku": sku, "nama": name or f"Keripik Pisang {sku}", "deskripsi": "Renyah", "harga": price,
           "harga_coret": "", "stok": "10", "satuan": "bungkus", "kategori": "camilan", "halal": "ya",
           "status": "", "tag": "oleh-oleh, kendari"}
    row.update(extra)
    return row


def csv_bytes(rows, header=HEADER, delimiter=",", bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header] if isinstance(row, dict) else row)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Produk"
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column) for column in header] if isinstance(row, dict) else row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def no_photos(url):
    raise AssertionError(f"no photo should be fetched here: {url}")


def start(catalog_db, merchant, content, filename="produk.csv", actor=OWNER) -> str:
    with catalog_db() as session:
        result = imports.start_import(session, actor, merchant["id"], filename, base64.b64encode(content).decode())
        session.commit()
    assert result["status"] == "pending"
    return result["id"]


def run_pending(catalog_db, media_root, fetcher=no_photos, **kwargs) -> None:
    uow = UnitOfWork(catalog_db, [])
    try:
        while (job_id := imports.claim_next_job(uow.session)) is not None:
            if imports.run_job(uow, job_id, media_root=media_root, fetcher=fetcher, **kwargs) == "pending":
                break  # stopped: left for the next runner
    finally:
        uow.close()


def import_file(catalog_db, merchant, content, tmp_path, filename="produk.csv", fetcher=no_photos) -> dict:
    job_id = start(catalog_db, merchant, content, filename)
    run_pending(catalog_db, tmp_path / "media", fetcher)
    with catalog_db() as session:
        return imports.get_import(session, OWNER, job_id)


def products(catalog_db) -> dict[str, Product]:
    with catalog_db() as session:
        return {p.sku: p for p in session.scalars(select(Product))}


def import_events(catalog_db) -> list[Event]:
    return [event_of(row) for row in outbox_rows(catalog_db) if row.event_type == "catalog.products_imported"]


def test_mixed_good_and_bad_rows_save_the_good_and_report_the_bad(catalog_db, merchant, tmp_path):
    rows = [
        good("A-1"),                                             # row 2: good
        good("A-2", nama="", harga="murah"),                     # row 3: two problems
        good("A-3", kategori="sepatu"),                          # row 4: unknown category
        good("A-4", price="Rp 25.000", kategori="Kain Tenun"),   # row 5: good (category by name)
        good("A-1", name="Duplikat"),                            # row 6: duplicate SKU
        {},                                                      # row 7: blank, skipped
        good("A-5", halal="mungkin"),                            # row 8
        good("A-6", harga_coret="10000"),                        # row 9: "was" price below price
        good("", name="Tanpa SKU"),                              # row 10
        good("A-7", kategori="makanan-minuman"),                 # row 11: a parent category
        good("A-8", status="dijual"),                            # row 12
    ]
    report = import_file(catalog_db, merchant, csv_bytes(rows), tmp_path)
    assert report["status"] == "done"
    assert report["counts"] == {"total": 10, "created": 2, "updated": 0, "unchanged": 0, "failed": 8, "warnings": 0}
    assert [(e["row"], e["column"]) for e in report["errors"]] == [
        (3, "nama"), (3, "harga"), (4, "kategori"), (6, "sku"), (8, "halal"), (9, "harga_coret"),
        (10, "sku"), (11, "kategori"), (12, "status"),
    ]
    messages = {(e["row"], e["column"]): e["message"] for e in report["errors"]}
    assert messages[(3, "nama")] == "wajib diisi"
    assert messages[(3, "harga")] == "harus berupa angka bulat, mis. 15000"
    assert messages[(4, "kategori")] == "kategori 'sepatu' tidak dikenal; lihat daftar kategori di lembar Petunjuk"
    assert messages[(6, "sku")] == "SKU yang sama sudah ada di baris 2"
    assert messages[(9, "harga_coret")] == "harus lebih besar dari harga"
    assert messages[(11, "kategori")] == "pilih subkategori, bukan kategori induk"
    saved = products(catalog_db)
    assert set(saved) == {"A-1", "A-4"}
    assert saved["A-4"].price == 25_000 and saved["A-4"].category == "tenun"
    assert saved["A-1"].halal is True and saved["A-1"].tags == ["oleh-oleh", "kendari"]
    assert saved["A-1"].status == "published" and saved["A-1"].version == 1 and saved["A-1"].unit == "bungkus"


def test_the_same_file_twice_changes_nothing(catalog_db, merchant, tmp_path):
    content = csv_bytes([good(f"S-{n}") for n in range(5)])
    first = import_file(catalog_db, merchant, content, tmp_path)
    assert first["counts"]["created"] == 5
    versions = {sku: p.version for sku, p in products(catalog_db).items()}
    events = len(outbox_rows(catalog_db))

    second = import_file(catalog_db, merchant, content, tmp_path)
    assert second["counts"] == {"total": 5, "created": 0, "updated": 0, "unchanged": 5, "failed": 0, "warnings": 0}
    assert second["errors"] == []
    assert {sku: p.version for sku, p in products(catalog_db).items()} == versions
    assert len(outbox_rows(catalog_db)) == events


def test_rows_update_by_sku_and_missing_columns_keep_their_values(catalog_db, merchant, tmp_path):
    import_file(catalog_db, merchant, csv_bytes([good("U-1"), good("U-2")]), tmp_path)
    before = products(catalog_db)
    # Only sku, harga and stok: a price update that keeps everything else.
    report = import_file(catalog_db, merchant, csv_bytes([["U-1", "17000", "3"], ["U-2", "15000", "10"]],
                                                          header=["sku", "harga", "stok"]), tmp_path)
    assert report["counts"] == {"total": 2, "created": 0, "updated": 1, "unchanged": 1, "failed": 0, "warnings": 0}
    after = products(catalog_db)
    assert (after["U-1"].price, after["U-1"].stock, after["U-1"].version) == (17_000, 3, 2)
    assert after["U-1"].name == before["U-1"].name and after["U-1"].id == before["U-1"].id
    assert after["U-2"].version == 1
    last = import_events(catalog_db)[-1]
    payload = ProductsImported.model_validate(last.payload)
    assert [(p.sku, p.version, p.price) for p in payload.products] == [("U-1", 2, 17_000)]


def test_a_renamed_product_gets_a_new_slug(catalog_db, merchant, tmp_path):
    import_file(catalog_db, merchant, csv_bytes([good("R-1", name="Kopi Kolaka")]), tmp_path)
    import_file(catalog_db, merchant, csv_bytes([good("R-1", name="Kopi Robusta Kolaka")]), tmp_path)
    product = products(catalog_db)["R-1"]
    assert product.slug == "kopi-robusta-kolaka" and product.version == 2


def test_csv_with_semicolons_and_a_bom(catalog_db, merchant, tmp_path):
    content = csv_bytes([good("B-1", deskripsi="Manis; gurih, renyah")], delimiter=";", bom=True)
    report = import_file(catalog_db, merchant, content, tmp_path)
    assert report["counts"]["created"] == 1, report
    assert products(catalog_db)["B-1"].description == "Manis; gurih, renyah"


def test_formula_looking_cells_are_plain_text(catalog_db, merchant, tmp_path):
    content = csv_bytes([good("F-1", deskripsi="=HYPERLINK(\"http://jahat.example\",\"klik\")", tag="=1+1")])
    report = import_file(catalog_db, merchant, content, tmp_path)
    assert report["counts"]["created"] == 1, report
    product = products(catalog_db)["F-1"]
    assert product.description.startswith("=HYPERLINK(") and product.tags == ["=1+1"]


def test_not_utf8_csv_is_refused_naming_file(catalog_db, merchant):
    with catalog_db() as session, pytest.raises(ValidationFailed) as refused:
        imports.start_import(session, OWNER, merchant["id"], "produk.csv",
                             base64.b64encode("sku,nama\nX,Kue Bagéa\n".encode("latin-1")).decode())
    assert "UTF-8" in refused.value.fields["file"]


def test_xlsx_with_typed_cells(catalog_db, merchant, tmp_path):
    rows = [["X-1", "Madu Hutan Konawe", None, 85000, None, 12.0, "botol", "madu", True, "published", None],
            [1002, "Gula Aren Muna", "Cetak", 20000.0, 25000, 0, None, "bumbu-rempah", "tidak", "draft", "gula"],
            ["X-3", "Jahe Merah", None, 12000.5, None, 1, None, "herbal-jamu", None, None, None]]
    report = import_file(catalog_db, merchant, xlsx_bytes(rows), tmp_path, filename="produk.xlsx")
    assert report["format"] == "xlsx"
    assert report["counts"] == {"total": 3, "created": 2, "updated": 0, "unchanged": 0, "failed": 1, "warnings": 0}
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(4, "harga")]
    saved = products(catalog_db)
    assert saved["X-1"].halal is True and saved["X-1"].stock == 12 and saved["X-1"].unit == "botol"
    assert saved["1002"].status == "draft" and saved["1002"].compare_at_price == 25000 and saved["1002"].unit == "pcs"


def test_the_template_has_the_columns_an_example_and_a_guide(catalog_db, merchant, tmp_path):
    template = imports.build_template()
    workbook = load_workbook(io.BytesIO(template))
    assert workbook.sheetnames == ["Produk", "Petunjuk"]
    rows = list(workbook["Produk"].iter_rows(values_only=True))
    assert list(rows[0]) == list(imports.COLUMN_NAMES) and len(rows) == 2
    guide = "\n".join(" ".join(str(c) for c in row if c is not None) for row in workbook["Petunjuk"].iter_rows(values_only=True))
    for slug in leaf_categories():
        assert slug in guide
    for column in imports.COLUMN_NAMES:
        assert column in guide
    assert "WAJIB" in guide and "Kolom" in guide

    # The template as downloaded imports its example row; its example photo fails politely.
    def unreachable(url):
        raise fetch.FetchError("nama host tidak ditemukan")

    report = import_file(catalog_db, merchant, template, tmp_path, filename="template.xlsx", fetcher=unreachable)
    assert report["counts"]["created"] == 1 and report["counts"]["failed"] == 0
    assert report["counts"]["warnings"] == 1 and report["errors"] == []
    assert [(w["row"], w["column"]) for w in report["warnings"]] == [(2, "foto")]



def test_the_template_offers_drop_down_lists_for_category_halal_and_status():
    workbook = load_workbook(io.BytesIO(imports.build_template()))
    sheet = workbook["Produk"]
    header = [cell.value for cell in sheet[1]]
    lists = {}
    for validation in sheet.data_validations.dataValidation:
        [cells] = str(validation.sqref).split()
        column = header[ord(cells[0]) - ord("A")]
        lists[column] = validation
        assert validation.type == "list" and cells.endswith(str(imports.MAX_ROWS + 1))
    assert set(lists) == {"kategori", "halal", "status"}
    assert lists["halal"].formula1 == '"ya,tidak"' and lists["status"].formula1 == '"tayang,draf,arsip"'
    # the category list points at the slugs listed on the guide sheet, all of them and only them
    sheet_name, cells = lists["kategori"].formula1.split("!")
    first, last = (int(ref.split("$")[-1]) for ref in cells.split(":"))
    slugs = [workbook["Petunjuk"].cell(row=n, column=1).value for n in range(first, last + 1)]
    assert sheet_name == "'Petunjuk'" and sorted(slugs) == sorted(leaf_categories())


def test_indonesian_status_words_and_category_suggestions(catalog_db, merchant, tmp_path):
    rows = [
        good("S-1", status="tayang"), good("S-2", status="draf"), good("S-3", status="arsip"),
        good("S-4", status="Tayang"),
        good("S-5", kategori="madu hutan"),    # row 6: a word of a category's name
        good("S-6", kategori="camilann"),      # row 7: a typo
        good("S-7", kategori="sepeda motor"),  # row 8: nothing close
    ]
    report = import_file(catalog_db, merchant, csv_bytes(rows), tmp_path)
    assert report["counts"]["created"] == 4 and report["counts"]["failed"] == 3
    messages = {(e["row"], e["column"]): e["message"] for e in report["errors"]}
    assert messages == {
        (6, "kategori"): "kategori 'madu hutan' tidak dikenal; mungkin maksud Anda 'madu' (Madu)",
        (7, "kategori"): "kategori 'camilann' tidak dikenal; mungkin maksud Anda 'camilan' (Camilan & Kue Kering)",
        (8, "kategori"): "kategori 'sepeda motor' tidak dikenal; lihat daftar kategori di lembar Petunjuk",
    }
    saved = products(catalog_db)
    assert [saved[sku].status for sku in ("S-1", "S-2", "S-3", "S-4")] == ["published", "draft", "archived", "published"]

def test_a_file_over_the_size_limit_is_refused_and_nothing_is_stored(catalog_db, merchant):
    content = csv_bytes([good("L-1")]) + b"#" * imports.MAX_FILE_BYTES
    with catalog_db() as session, pytest.raises(PayloadTooLarge) as refused:
        imports.start_import(session, OWNER, merchant["id"], "besar.csv", base64.b64encode(content).decode())
    assert "file" in refused.value.fields
    with catalog_db() as session:
        assert session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_a_file_over_the_row_limit_is_refused(catalog_db, merchant):
    rows = [[f"R-{n}", "Kue", "", "1000", "", "1", "", "camilan", "", "", ""] for n in range(imports.MAX_ROWS + 1)]
    with catalog_db() as session, pytest.raises(PayloadTooLarge) as refused:
        imports.start_import(session, OWNER, merchant["id"], "banyak.csv", base64.b64encode(csv_bytes(rows)).decode())
    assert "10.000" in refused.value.fields["file"]


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("content", [
    b"ini bukan file excel sama sekali",
    b"PK\x03\x04" + b"\x00" * 200,
    _zip({"hello.txt": b"hai"}),
    _zip({"[Content_Types].xml": b"<garbage", "xl/workbook.xml": b"\x00\x01\x02"}),
], ids=["not-a-zip", "broken-zip", "zip-without-workbook", "garbage-workbook"])
def test_a_malformed_xlsx_is_refused_naming_file(catalog_db, merchant, content):
    with catalog_db() as session, pytest.raises(ValidationFailed) as refused:
        imports.start_import(session, OWNER, merchant["id"], "produk.xlsx", base64.b64encode(content).decode())
    assert set(refused.value.fields) == {"file"}


def test_a_file_without_sku_column_or_rows_is_refused(catalog_db, merchant):
    with catalog_db() as session:
        for content in (csv_bytes([["Kue"]], header=["nama"]), csv_bytes([]), b"\n\n"):
            with pytest.raises(ValidationFailed) as refused:
                imports.start_import(session, OWNER, merchant["id"], "p.csv", base64.b64encode(content).decode())
            assert "file" in refused.value.fields


def test_rows_travel_in_batches_of_one_chunk_each(catalog_db, merchant, tmp_path):
    total = imports.FIRST_CHUNK_ROWS + imports.CHUNK_ROWS + 50  # a small first chunk, then full ones
    report = import_file(catalog_db, merchant, csv_bytes([good(f"N-{n:04d}") for n in range(total)]), tmp_path)
    assert report["counts"]["created"] == total
    events = import_events(catalog_db)
    assert [(e.aggregate_id, e.aggregate_version) for e in events] == [(report["id"], 1), (report["id"], 2), (report["id"], 3)]
    batches = [ProductsImported.model_validate(e.payload) for e in events]
    assert [len(b.products) for b in batches] == [imports.FIRST_CHUNK_ROWS, imports.CHUNK_ROWS, 50]
    assert [b.batch for b in batches] == [1, 2, 3]
    assert all(b.import_id == report["id"] and b.merchant_id == merchant["id"] for b in batches)
    assert {p.version for b in batches for p in b.products} == {1}
    assert len({p.id for b in batches for p in b.products}) == total
    # No per-row events.
    assert {row.event_type for row in outbox_rows(catalog_db)} == {"catalog.merchant_registered", "catalog.products_imported"}


def test_chunks_fall_at_the_same_rows_whatever_the_start():
    first, size = imports.FIRST_CHUNK_ROWS, imports.CHUNK_ROWS
    total = first + 2 * size + 7
    assert imports.chunk_bounds(total) == [(1, 0, first), (2, first, first + size),
                                           (3, first + size, first + 2 * size), (4, first + 2 * size, total)]
    assert imports.chunk_bounds(total, first + size) == imports.chunk_bounds(total)[2:]  # resumed on a bound
    # Resumed between bounds (a job begun with other chunk sizes): that chunk ends short, no row twice.
    assert imports.chunk_bounds(total, first + 10) == [(2, first + 10, first + size), *imports.chunk_bounds(total)[2:]]
    assert imports.chunk_bounds(first - 1) == [(1, 0, first - 1)]
    assert imports.chunk_bounds(total, total) == []


def test_a_stopped_import_resumes_where_it_was(catalog_db, merchant, tmp_path):
    total = imports.FIRST_CHUNK_ROWS + 350
    job_id = start(catalog_db, merchant, csv_bytes([good(f"P-{n:03d}", harga="x" if n == 1 else "15000")
                                                    for n in range(total)]))
    calls = []
    run_pending(catalog_db, tmp_path, should_stop=lambda: calls.append(1) or len(calls) > 1)  # stop after one chunk
    with catalog_db() as session:
        job = session.get(ImportJob, job_id)
        first = imports.FIRST_CHUNK_ROWS
        assert (job.status, job.processed_rows, job.created_count, job.failed_count) == ("pending", first, first - 1, 1)
    run_pending(catalog_db, tmp_path)
    with catalog_db() as session:
        report = imports.get_import(session, OWNER, job_id)
        assert session.get(ImportJob, job_id).content is None  # the file is dropped once processed
    assert report["status"] == "done" and report["processed_rows"] == total
    assert (report["counts"]["created"], report["counts"]["failed"]) == (total - 1, 1)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "harga")]
    assert [e.aggregate_version for e in import_events(catalog_db)] == [1, 2]


def test_the_objects_alive_before_the_chunks_are_frozen_while_they_run(catalog_db, merchant, tmp_path):
    assert gc.get_freeze_count() == 0
    start(catalog_db, merchant, csv_bytes([good(f"G-{n}") for n in range(imports.FIRST_CHUNK_ROWS + 1)]))
    frozen = []
    run_pending(catalog_db, tmp_path, progress=lambda done, total: frozen.append(gc.get_freeze_count()))
    assert len(frozen) == 2 and all(count > 0 for count in frozen)  # left out of full collections
    assert gc.get_freeze_count() == 0  # and collected as before once the job is done

    # A process that freezes what it keeps itself is left to it.
    start(catalog_db, merchant, csv_bytes([good("G-X")]))
    gc.freeze()
    try:
        run_pending(catalog_db, tmp_path)
        assert gc.get_freeze_count() > 0  # not unfrozen by the job
    finally:
        gc.unfreeze()


def test_errors_are_capped(catalog_db, merchant, tmp_path):
    rows = [good(f"E-{n}", kategori="tidak-ada") for n in range(imports.MAX_REPORTED_ERRORS + 20)]
    report = import_file(catalog_db, merchant, csv_bytes(rows), tmp_path)
    assert report["counts"]["failed"] == imports.MAX_REPORTED_ERRORS + 20
    assert len(report["errors"]) == imports.MAX_REPORTED_ERRORS and report["errors_truncated"] is True
    with catalog_db() as session:
        assert session.scalar(select(func.count()).select_from(ImportRowError)) == imports.MAX_REPORTED_ERRORS + 1


def test_a_deleted_products_sku_is_a_row_error(catalog_db, merchant, tmp_path):
    import_file(catalog_db, merchant, csv_bytes([good("D-1")]), tmp_path)
    with catalog_db() as session:
        domain.delete_product(session, OWNER, products(catalog_db)["D-1"].id)
        session.commit()
    report = import_file(catalog_db, merchant, csv_bytes([good("D-1")]), tmp_path)
    assert report["counts"]["failed"] == 1
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(2, "sku")]


def test_member_business_is_for_koperasi_only(catalog_db, merchant, tmp_path):
    report = import_file(catalog_db, merchant, csv_bytes([good("K-1", anggota="UD Sinar Muna")], header=HEADER + ["anggota"]), tmp_path)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(2, "anggota")]


# --- ownership -------------------------------------------------------------------------


def test_only_the_owner_of_the_merchant_may_import_or_read(catalog_db, merchant, tmp_path):
    content = base64.b64encode(csv_bytes([good("O-1")])).decode()
    with catalog_db() as session:
        with pytest.raises(Forbidden):
            imports.start_import(session, OTHER_OWNER, merchant["id"], "p.csv", content)
        with pytest.raises(Forbidden):
            imports.start_import(session, PROMOTER, merchant["id"], "p.csv", content)
        with pytest.raises(ValidationFailed) as unknown:
            imports.start_import(session, OWNER, "tidak-ada", "p.csv", content)
        assert "merchant_id" in unknown.value.fields
        with pytest.raises(ValidationFailed) as missing:
            imports.start_import(session, OWNER, merchant["id"], "p.csv", "")
        assert "file" in missing.value.fields
        assert session.scalar(select(func.count()).select_from(ImportJob)) == 0
    job_id = start(catalog_db, merchant, csv_bytes([good("O-1")]))
    with catalog_db() as session:
        with pytest.raises(NotFound):
            imports.get_import(session, OTHER_OWNER, job_id)
        with pytest.raises(NotFound):
            imports.get_import(session, OWNER, "tidak-ada")
        assert imports.get_import(session, OWNER, job_id)["status"] == "pending"


# --- photos ----------------------------------------------------------------------------


def png_bytes(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "PNG")
    return buffer.getvalue()


def test_photo_urls_are_fetched_once_and_a_bad_photo_is_a_row_error(catalog_db, merchant, tmp_path):
    fetched = []

    def fetcher(url):
        fetched.append(url)
        if "rusak" in url:
            raise fetch.FetchError("alamat foto mengarah ke jaringan yang tidak diizinkan (10.0.0.1)")
        return fetch.FetchedPhoto(url=url, content_type="image/png", data=png_bytes())

    header = HEADER + ["foto"]
    rows = [good("G-1", foto="https://cdn.contoh.example/a.png\nhttps://cdn.contoh.example/b.png"),
            good("G-2", foto="https://cdn.contoh.example/rusak.png https://cdn.contoh.example/c.png")]
    report = import_file(catalog_db, merchant, csv_bytes(rows, header=header), tmp_path, fetcher=fetcher)
    # a photo that cannot be fetched does not fail its row: a warning, counted and listed apart
    assert report["counts"] == {"total": 2, "created": 2, "updated": 0, "unchanged": 0, "failed": 0, "warnings": 1}
    assert report["errors"] == [] and [(w["row"], w["column"]) for w in report["warnings"]] == [(3, "foto")]
    assert "10.0.0.1" in report["warnings"][0]["message"] and report["warnings_truncated"] is False
    with catalog_db() as session:
        by_sku = {p.sku: p for p in session.scalars(select(Product))}
        assert len(by_sku["G-1"].photos) == 2 and len(by_sku["G-2"].photos) == 1
        variants = by_sku["G-1"].photos[0].variants
        assert all((tmp_path / "media" / path).is_file() for path in variants.values())
    snapshot = ProductsImported.model_validate(import_events(catalog_db)[0].payload).products[0]
    assert len(snapshot.photos) == 2

    fetched.clear()
    again = import_file(catalog_db, merchant, csv_bytes(rows, header=header), tmp_path, fetcher=fetcher)
    assert fetched == []  # the products have photos: nothing is fetched again
    assert again["counts"]["unchanged"] == 2
    with catalog_db() as session:
        assert session.scalar(select(func.count()).select_from(ProductPhoto)) == 3


# --- in the catalog service, and from the command line ----------------------------------


def test_the_service_imports_in_the_background_and_keeps_answering(catalog_config, catalog_db, merchant,
                                                                 container_factory):
    container = container_factory(CatalogService)
    container.start()
    content = base64.b64encode(csv_bytes([good(f"C-{n:04d}") for n in range(1000)])).decode()
    with entrypoint_hook(container, "start_import") as start_import:
        job = start_import(OWNER, merchant["id"], "produk.csv", content)
    assert job["status"] == "pending"

    report, seen = None, []  # (status, processed rows) of each answer
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with entrypoint_hook(container, "get_import") as get_import:
            report = get_import(OWNER, job["id"])
        seen.append((report["status"], report["processed_rows"]))
        if report["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert report["status"] == "done", report
    assert report["counts"]["created"] == 1000
    # Answered while the rows were processed: chunks, each committed (not one transaction).
    assert any(status == "running" and 0 < processed < 1000 for status, processed in seen), seen
    with entrypoint_hook(container, "import_template") as template:
        assert base64.b64decode(template()).startswith(b"PK")

    # The relay publishes the batches like any other event.
    batches = len(imports.chunk_bounds(1000))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = [row for row in outbox_rows(catalog_db) if row.event_type == "catalog.products_imported"]
        if len(rows) == batches and all(row.status == PUBLISHED for row in rows):
            break
        time.sleep(0.1)
    assert batches > 1 and len(rows) == batches and all(row.status == PUBLISHED for row in rows)


def test_the_command_line_imports_with_a_progress_bar(tmp_path):
    var = tmp_path / "var"
    url = f"sqlite:///{var / 'catalog.db'}"
    var.mkdir()
    upgrade("catalog", url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        merchant = domain.register_merchant(session, OWNER, MERCHANT_DATA)
        session.commit()
    engine.dispose()
    spreadsheet = tmp_path / "produk.csv"
    spreadsheet.write_bytes(csv_bytes([good("CLI-1"), good("CLI-2", harga="mahal"), good("CLI-3")]))

    env = etalase_platform.child_env({"ETALASE_VAR_DIR": str(var)})
    command = [sys.executable, "-m", "services.cli", "import", str(spreadsheet), "--merchant", merchant["id"]]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "3 baris, 2 dibuat, 0 diperbarui, 0 tidak berubah, 1 gagal" in result.stdout
    assert "baris 3, kolom harga: harus berupa angka bulat" in result.stdout

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert "0 dibuat, 0 diperbarui, 2 tidak berubah, 1 gagal" in again.stdout

    missing = subprocess.run([*command[:-1], "tidak-ada"], env=env, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and "tidak ditemukan" in missing.stderr and "Traceback" not in missing.stderr
