"""The services' messages in English: the services write them in Indonesian through
``shared.messages.t`` (the wire format stays Indonesian), extraction puts every template in
the gateway's catalog, and ``i18n.translate_message`` turns a finished Indonesian sentence
back into its template and fills the English one with the same values.

The messages here are made by the services' own code (validation, import rows, fetch errors),
so a message reworded in a service and not in the catalog fails here."""
import ast
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from services.catalog import fetch, schemas
from services.catalog.imports import rows
from services.catalog.imports.parsing import SheetRow
from services.catalog.models import Merchant
from services.gateway import accounts, api_campaigns, throttle
from services.gateway.site import i18n
from services.promotion import pricing
from services.promotion.campaigns import validation
from services.search import params
from shared.errors import ValidationFailed
from shared.messages import t

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "services" / "catalog").rglob("*.py")), *sorted((ROOT / "services" / "promotion").rglob("*.py")),
           *sorted((ROOT / "services" / "search").rglob("*.py")), *sorted((ROOT / "services" / "gateway").glob("*.py")),
           *sorted((ROOT / "shared").glob("*.py"))]


def refusal(call) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        call()
    return refused.value


def en(text):
    return i18n.translate_message("en", text)


# --- t ---------------------------------------------------------------------------------------


def test_t_fills_named_placeholders_and_keeps_a_percent_sign():
    assert t("paling banyak %(max)s karakter", max=120) == "paling banyak 120 karakter"
    assert t("Diskon %(percent)s%%", percent=20) == "Diskon 20%"
    assert t("wajib diisi") == "wajib diisi"


def test_the_wire_format_stays_indonesian():
    failed = refusal(lambda: schemas.validate_product_create({"merchant_id": "m1", "name": "x" * 121, "price": 5,
                                                              "stock": 1, "category": "tenun"}))
    assert failed.message == "Data tidak valid: periksa kolom yang ditandai."
    assert failed.fields == {"name": "harus 3–120 karakter"}


# --- translate_message -------------------------------------------------------------------------


def test_a_message_without_values_is_looked_up_exactly():
    assert en("Data tidak valid: periksa kolom yang ditandai.") == "The data is not valid: check the marked fields."
    assert en(schemas.REQUIRED) == "required"


def test_a_message_with_values_is_matched_to_its_template_and_filled_in_english():
    failed = refusal(lambda: schemas.validate_product_create({"merchant_id": "m1", "name": "x" * 121, "price": 5,
                                                              "stock": 1, "category": "tenun"}))
    assert en(failed.fields["name"]) == "must be 3–120 characters"
    assert en("paling banyak 2000 karakter") == "at most 2000 characters"
    assert en("Kuota produk kampanye sudah penuh (sisa 3).") == "The campaign's product quota is full (3 left)."
    # a literal percent sign in the template, and two values
    assert en(t("Diskon %(percent)s%%", percent=25)) == "25% off"
    assert en(t("harus tahun antara %(first)s dan %(last)s", first=1945, last=2026)) == \
        "must be a year between 1945 and 2026"


def test_values_that_are_messages_or_category_names_are_translated_too():
    # a status label inside a sentence
    text = t("Keputusan '%(decision)s' tidak berlaku untuk usaha berstatus '%(status)s' (%(label)s).",
             decision="suspended", status="pending", label="menunggu verifikasi")
    assert en(text) == "The decision 'suspended' does not apply to a business with status 'pending' " \
                       "(awaiting verification)."
    # a fetch error inside an import row's photo warning
    with pytest.raises(fetch.FetchError) as refused:
        fetch.fetch_photo("ftp://foto.example/a.jpg")
    warning = t("foto ke-%(n)s (%(url)s): %(problem)s", n=2, url="ftp://foto.example/a.jpg", problem=str(refused.value))
    assert en(warning) == "photo 2 (ftp://foto.example/a.jpg): the photo address must start with http:// or https://"
    # the category a seller probably meant, by its Indonesian name
    suggestion = rows.unknown_category_message("kopi tubruk")
    assert suggestion == "kategori 'kopi tubruk' tidak dikenal; mungkin maksud Anda 'kopi-teh' (Kopi & Teh)"
    assert en(suggestion) == "unknown category 'kopi tubruk'; did you mean 'kopi-teh' (Coffee & Tea)?"


def test_values_with_regex_metacharacters_are_taken_as_they_are():
    ids = "a.b*c, (d)+[e]?, $f^|g\\h"
    assert en(t("tidak ditemukan: %(ids)s", ids=ids)) == f"not found: {ids}"
    url = "https://foto.example/a.jpg?x=(1)&y=[2]"
    assert en(t("foto ke-%(n)s (%(url)s): tidak dapat diproses (%(error)s)", n=1, url=url, error="OSError")) == \
        f"photo 1 ({url}): could not be processed (OSError)"


def test_an_unknown_text_and_indonesian_mode_leave_the_text_as_it_is():
    assert en("Sesuatu yang tidak ada di katalog.") == "Sesuatu yang tidak ada di katalog."
    assert en("Harus bilangan bulat 1 sampai") == "Harus bilangan bulat 1 sampai"  # a template's start is not a match
    assert i18n.translate_message("id", "paling banyak 120 karakter") == "paling banyak 120 karakter"
    assert i18n.translate_message("id", "Data tidak valid.") == "Data tidak valid."
    assert en(None) is None and en(42) == 42 and en("") == ""  # fields may carry ids and numbers


def test_fields_and_badges():
    assert i18n.translate_fields("en", {"name": "wajib diisi", "room": 3}) == {"name": "required", "room": 3}
    assert i18n.translate_fields("en", None) == {}
    badge = pricing.BADGE_SEPARATOR.join([pricing.FEATURED_BADGE, t("Hemat %(amount)s", amount="Rp 5.000")])
    assert i18n.translate_badge("en", badge) == "Featured · Save Rp 5.000"
    assert i18n.translate_badge("id", badge) == badge


def test_campaign_and_import_messages_made_by_the_services():
    failed = refusal(lambda: validation.validate_campaign({"name": "ab", "discount": {"type": "percent", "value": 95},
                                                           "target": {"regions": ["9999"]}}, now=None, check_start=False))
    english = i18n.translate_fields("en", failed.fields)
    assert english["name"] == "A campaign name is required, 3 to 120 characters."
    assert english["discount.value"] == "A percentage discount must be from 1 to 90."
    assert english["target.regions"] == "Unknown regency/city: 9999 (use the BPS code, e.g. 7402)."
    assert en(failed.message) == "The campaign data is not valid."

    plan = rows.plan_row(SheetRow(3, {"sku": "A-1", "nama": "Ko", "harga": "lima ribu", "stok": "2",
                                      "kategori": "kopi-teh", "halal": "mungkin"}), Merchant(id="m1", kind="umkm"), None)
    assert [(column, en(message)) for column, message in plan.errors] == [
        ("nama", "must be 3–120 characters"), ("harga", "must be a whole number, e.g. 15000"),
        ("halal", "enter ya (yes) or tidak (no)")]


def test_the_gateways_own_messages_and_the_search_services():
    """The gateway's accounts, throttle and JSON API, and the search service's query checks:
    Indonesian on the wire as before, English on the pages."""
    failed = refusal(lambda: accounts.validate_account("bukan-email", "pendek", "A", "admin"))
    assert failed.message == "Data akun tidak valid."
    assert failed.fields == {"email": "Format email tidak valid.", "password": "Kata sandi minimal 8 karakter.",
                             "name": "Nama harus 2 sampai 100 karakter.",
                             "role": "Peran harus salah satu dari: owner, promoter."}
    assert i18n.translate_fields("en", failed.fields) == {
        "email": "This is not a valid email address.", "password": "The password must be at least 8 characters.",
        "name": "The name must be 2 to 100 characters.", "role": "The role must be one of: owner, promoter."}
    assert en(accounts.SIGN_IN_FAILED) == "Wrong email or password."
    assert en(throttle.TooManyRequests().message) == "Too many failed sign-in attempts. Please try again later."
    assert en(accounts.NOT_APPROVED_MESSAGES[accounts.SUSPENDED]) == \
        "An admin suspended your promoter account; campaigns cannot be scheduled."
    # a status label inside a sentence, translated as a value
    text = t("Keputusan '%(decision)s' tidak berlaku untuk promotor berstatus '%(status)s' (%(label)s).",
             decision="reinstated", status="pending", label=accounts.STATUS_LABELS["pending"])
    assert en(text) == "The decision 'reinstated' does not apply to a promoter with the status 'pending' " \
                       "(awaiting approval)."
    # a JSON type name inside a sentence
    body = refusal(lambda: api_campaigns.campaign_body({"name": 3, "budget": "banyak", "x": 1}, create=True))
    assert body.fields == {"name": "Harus berupa teks.", "budget": "Harus berupa bilangan bulat atau null.",
                           "x": "Kolom tidak dikenal."}
    assert i18n.translate_fields("en", body.fields) == {
        "name": "Must be text.", "budget": "Must be a whole number or null.", "x": "Unknown field."}

    search = refusal(lambda: params.parse_search_query(q="kopi", page="30", per_page="50"))
    assert (search.message, search.fields) == ("Parameter pencarian tidak valid.", {
        "page": "Halaman terlalu jauh: hanya 1000 hasil teratas yang dapat dibuka. Perjelas kata kunci."})
    assert en(search.message) == "Invalid search parameters."
    assert en(search.fields["page"]) == \
        "That page is too far: only the top 1000 results can be opened. Try more specific keywords."
    assert en(refusal(lambda: params.parse_search_query(halal="mungkin")).fields["halal"]) == \
        "Must be one of: yes, no, true, false, 1, 0."
    assert en(refusal(lambda: params.parse_suggest_prefix("")).fields["q"]) == "Must be 1 to 50 characters long."


# --- extraction ----------------------------------------------------------------------------------


def t_calls(path: Path) -> list[str]:
    """The literal templates of the ``t(...)`` calls in a source file."""
    templates = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t" and node.args:
            assert isinstance(node.args[0], ast.Constant), f"{path}:{node.lineno}: t() takes a literal template"
            templates.append(node.args[0].value)
    return templates


def test_every_message_written_through_t_is_in_the_catalogs_with_an_english_translation():
    with (ROOT / "services" / "gateway" / "locale" / "messages.pot").open("rb") as handle:
        extracted = {message.id for message in read_po(handle) if message.id}
    with i18n.catalog_path("en").open("rb") as handle:
        english = {message.id: message.string for message in read_po(handle) if message.id and not message.context}
    templates = {template for path in SOURCES for template in t_calls(path)}
    assert len(templates) > 150  # the services' messages are really found
    assert sorted(templates - extracted) == []
    assert [template for template in templates if not english.get(template)] == []
