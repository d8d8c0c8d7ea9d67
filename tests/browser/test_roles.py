"""One test per role through its main flow, in a real browser at phone width (390x844)
against the real platform:

- owner: signing up at /daftar, the dashboard, registering a business, adding a product and
  uploading its photo, the product on the dashboard and on its public page, the import page;
- admin (made with ``etalase admin create``): the verification queue, a refused rejection
  without a reason, verifying a business, approving a promoter, the province dashboard;
- promoter: signing up at /daftar, the notice while awaiting approval, then (approved by the
  platform's admin) a campaign with its targeting through the form, its preview, scheduling
  it, the list, cancelling it.

Every page a flow lands on is checked for sideways scrolling and tap targets under 24x24 px
and kept as a screenshot (phone_layout.PhoneFlow: tests/browser/screenshots/<role>-*.png)."""
import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest
from phone_layout import PhoneFlow
from PIL import Image, ImageDraw

from browser_helpers import PASSWORD, new_account, new_admin, new_merchant, new_product, unique_word

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

WITA = timezone(timedelta(hours=8))
PRODUCT_PATH = re.compile(r"^/pemilik/produk/([0-9a-f-]{36})$")
CAMPAIGN_PATH = re.compile(r"^/promotor/kampanye/([0-9a-f-]{36})$")


def path_of(page) -> str:
    return urlparse(page.url).path


def submit(page, button):
    """Click a submit button; the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        button.click()
    return navigation.value


def sign_in(page, email, password=PASSWORD):
    page.goto("/masuk")
    form = page.locator("main form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Kata sandi").fill(password)
    submit(page, form.get_by_role("button", name="Masuk"))


def sign_up(page, flow, name, role_label) -> str:
    """Register at /daftar as ``role_label`` (the radio's label); the new account's email."""
    email = f"akun-{uuid.uuid4().hex[:8]}@contoh.id"
    page.goto("/daftar")
    flow.check("register")
    form = page.locator("main form")
    form.get_by_label("Nama").fill(name)
    form.get_by_label("Email").fill(email)
    form.get_by_label("Kata sandi").fill(PASSWORD)
    form.get_by_label(role_label).check()
    submit(page, form.get_by_role("button", name="Daftar"))
    return email


def account_id(platform, email) -> str:
    """The id of the account signed up with ``email``, as the platform's admin lists it."""
    for number in range(1, 50):
        items = platform.http.get("/api/v1/admin/accounts", headers=platform.admin_headers(),
                                  params={"page": number, "per_page": 100}).json()["items"]
        found = [item["id"] for item in items if item["email"] == email]
        if found or not items:
            break
    assert found, f"no account {email}"
    return found[0]


def png_file(tmp_path) -> str:
    image = Image.new("RGB", (640, 480), (30, 110, 160))
    ImageDraw.Draw(image).ellipse((160, 80, 480, 400), fill=(240, 200, 40))
    path = tmp_path / "madu-hutan.png"
    image.save(path, "PNG")
    return str(path)


def test_owner_registers_a_business_and_adds_a_product_with_a_photo(page, running_platform, tmp_path):
    flow = PhoneFlow(page, "owner")
    sign_up(page, flow, "La Ode Pemilik", "Pemilik UMKM / pengurus koperasi")
    assert path_of(page) == "/pemilik"
    assert page.get_by_text("Anda belum mendaftarkan usaha.").is_visible()
    flow.check("dashboard-empty")

    # register the business through its form
    with page.expect_navigation():
        page.get_by_role("link", name="Daftarkan usaha").click()
    assert path_of(page) == "/pemilik/usaha/baru"
    flow.check("business-form")
    business = unique_word("Madu Hutan ")
    form = page.locator("main form")
    form.get_by_label("Nama usaha").fill(business)
    form.get_by_label("Koperasi", exact=True).check()
    form.get_by_label("Kabupaten/kota").select_option(label="Kolaka Utara")
    form.get_by_label("Nomor WhatsApp").fill("0813-4000-1234")
    form.get_by_label("Deskripsi").fill("Madu hutan dari lereng Mekongga.")
    form.get_by_label("Tahun RAT terakhir").fill(str(datetime.now(WITA).year - 1))
    submit(page, form.get_by_role("button", name="Daftarkan", exact=True))
    assert re.fullmatch(r"/pemilik/usaha/[0-9a-f-]{36}", path_of(page)), page.url
    assert page.get_by_role("heading", level=1).inner_text() == business
    assert "Menunggu verifikasi Dinas" in page.locator("main").inner_text()
    flow.check("business")

    # add a product through the form on the dashboard's link
    page.goto("/pemilik")
    section = page.get_by_role("region", name=business)
    assert section.get_by_text("Belum ada produk.").is_visible()
    flow.check("dashboard-business")
    with page.expect_navigation():
        section.get_by_role("link", name="Tambah produk").click()
    assert path_of(page) == "/pemilik/produk/baru"
    product = unique_word("Madu Mekongga ")
    form = page.locator("main form")
    assert form.get_by_label("Tayangkan sekarang").is_checked()
    form.get_by_label("Nama produk").fill(product)
    form.get_by_label("Deskripsi").fill("Madu hutan murni, 500 ml.")
    form.get_by_label("Harga (Rp)").fill("85.000")
    form.get_by_label("Harga coret (Rp)").fill("Rp 100.000")
    form.get_by_label("SKU").fill("MDU-500")
    form.get_by_label("Stok").fill("12")
    form.get_by_label("Satuan").fill("botol")
    form.get_by_label("Kategori").select_option(label="Madu")
    form.get_by_label("Tag").fill("madu, oleh-oleh")
    # its first photo in the same submit (a PNG made here), with the text a screen reader reads
    form.get_by_label("Foto (JPEG, PNG atau WebP").set_input_files(png_file(tmp_path))
    form.get_by_label("Keterangan foto").fill("Botol madu hutan Mekongga")
    flow.check("product-form")
    submit(page, form.get_by_role("button", name="Tambah produk"))

    found = PRODUCT_PATH.match(path_of(page))
    assert found, page.url
    product_id = found.group(1)
    assert page.get_by_role("status").inner_text() == "Produk dan fotonya ditambahkan."
    assert page.get_by_role("heading", level=1).inner_text() == f"Ubah produk: {product}"
    assert page.get_by_label("Harga (Rp)").input_value() == "85000"
    assert page.get_by_label("Harga coret (Rp)").input_value() == "100000"
    assert page.get_by_label("SKU").input_value() == "MDU-500"
    photos = page.get_by_role("region", name="Foto produk")
    thumbnail = photos.get_by_role("img", name="Botol madu hutan Mekongga")
    assert thumbnail.is_visible()
    thumbnail.scroll_into_view_if_needed()  # it loads lazily
    assert thumbnail.evaluate("img => img.complete ? img.naturalWidth > 0 : new Promise(done => "
                              "img.addEventListener('load', () => done(img.naturalWidth > 0)))"), \
        "the thumbnail does not load"
    flow.check("product-edit")

    # a second photo through the photo form below
    photos.get_by_label("Foto (JPEG, PNG atau WebP").set_input_files(png_file(tmp_path))
    photos.get_by_label("Keterangan foto").fill("Label botol madu")
    submit(page, photos.get_by_role("button", name="Unggah foto"))
    assert PRODUCT_PATH.match(path_of(page)) and urlparse(page.url).fragment == "foto"
    assert page.get_by_role("status").inner_text() == "Foto ditambahkan."
    assert photos.get_by_role("img", name="Label botol madu").is_visible()
    flow.check("product-photos")

    # the dashboard lists it, published, at its price
    page.goto("/pemilik")
    row = page.get_by_role("region", name=business).get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=product))
    assert row.count() == 1
    cells = row.get_by_role("cell").all_inner_texts()
    assert cells[0] == "Tayang" and cells[1] == "Rp 85.000" and cells[2] == "12 botol", cells
    assert row.get_by_role("link", name=f"Ubah {product}").get_attribute("href") == f"/pemilik/produk/{product_id}"
    assert page.get_by_role("region", name=business).get_by_text("1 produk").is_visible()
    flow.check("products-list")

    # and its public page shows it with the photo and its alt text
    response = page.goto(f"/produk/{product_id}")
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == product
    assert page.locator(".price.big").inner_text().strip() == "Rp 85.000"
    photo = page.get_by_role("img", name="Botol madu hutan Mekongga")
    assert photo.count() == 1
    photo.scroll_into_view_if_needed()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the public photo does not load"
    assert page.get_by_role("heading", name=business).is_visible()
    flow.check("public-product")

    # the spreadsheet import page, from the dashboard
    page.goto("/pemilik")
    with page.expect_navigation():
        page.get_by_role("region", name=business).get_by_role("link", name="Impor dari spreadsheet").click()
    assert path_of(page) == "/pemilik/impor"
    assert page.locator("main form input[type=file]").count() == 1
    flow.check("import")
    flow.done()


def test_admin_verifies_a_pending_business_and_approves_a_promoter(page, running_platform):
    _, owner = new_account(running_platform, name="Pemilik Tenun")
    business = unique_word("Tenun Masalili ")
    merchant_id = new_merchant(running_platform, owner, name=business, kind="umkm", region="7403")
    promoter = unique_word("Asosiasi Tenun ")
    new_account(running_platform, role="promoter", name=promoter, approved=False)
    email, password, _ = new_admin(running_platform)
    flow = PhoneFlow(page, "admin")

    page.goto("/masuk")
    flow.check("signin")
    sign_in(page, email, password)
    assert path_of(page) == "/admin"
    assert page.get_by_role("heading", level=1).inner_text() == "Verifikasi Usaha"
    tabs = page.get_by_role("navigation", name="Status usaha")
    assert tabs.get_by_role("link", name="Menunggu verifikasi").get_attribute("aria-current") == "page"
    entry = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=business, exact=True))
    assert entry.count() == 1
    assert "Konawe" in entry.inner_text()
    assert entry.get_by_text("Belum ada dokumen legalitas.").is_visible()
    flow.check("queue")

    # rejecting needs a reason: the browser asks for it first...
    reason = entry.get_by_label("Alasan (wajib)")
    reject = entry.get_by_role("button", name="Tolak")
    reject.click()
    assert path_of(page) == "/admin" and reason.evaluate("e => e.validity.valueMissing")
    # ...and without the browser's check the page says so next to the field
    reason.evaluate("e => e.removeAttribute('required')")
    response = submit(page, reject)
    assert response.status == 422
    entry = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=business, exact=True))
    reason = entry.get_by_label("Alasan (wajib)")
    assert reason.get_attribute("aria-invalid") == "true"
    error_id = reason.get_attribute("aria-describedby")
    assert page.locator(f"#{error_id}").inner_text() == "Alasan wajib diisi untuk menolak atau membekukan usaha."
    flow.check("queue-reason-missing")

    # verify it: it leaves the pending tab and shows under verified
    submit(page, entry.get_by_role("button", name="Verifikasi", exact=True))
    query = parse_qs(urlparse(page.url).query)
    assert path_of(page) == "/admin" and query == {"status": ["pending"], "done": ["verified"], "usaha": [merchant_id]}
    assert page.get_by_role("status").inner_text() == f"Keputusan disimpan: {business} terverifikasi."
    assert page.get_by_role("heading", name=business, exact=True).count() == 0
    flow.check("queue-decided")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Status usaha").get_by_role("link", name="Terverifikasi").click()
    entry = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=business, exact=True))
    assert entry.count() == 1
    assert entry.get_by_role("button", name="Bekukan").is_visible()
    assert running_platform.http.get(f"/api/v1/merchants/{merchant_id}").json()["status"] == "verified"
    flow.check("queue-verified")

    # the promoters awaiting approval: approve one
    with page.expect_navigation():
        page.get_by_role("navigation", name="Admin").get_by_role("link", name="Promotor").click()
    assert path_of(page) == "/admin/promotor"
    entry = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=promoter, exact=True))
    assert entry.count() == 1
    flow.check("promoters")
    submit(page, entry.get_by_role("button", name=f"Setujui {promoter}"))
    assert path_of(page) == "/admin/promotor"
    assert promoter in page.get_by_role("status").inner_text()
    assert page.get_by_role("heading", name=promoter, exact=True).count() == 0  # no longer pending
    flow.check("promoters-decided")

    # the province dashboard
    with page.expect_navigation():
        page.get_by_role("navigation", name="Admin").get_by_role("link", name="Dasbor provinsi").click()
    assert path_of(page) == "/admin/dasbor"
    assert page.get_by_role("heading", level=1).inner_text() == "Dasbor Provinsi"
    konawe = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Konawe", exact=True))
    assert konawe.count() >= 1
    flow.check("dashboard")
    flow.done()


def wita_input(moment: datetime) -> str:
    return moment.astimezone(WITA).strftime("%Y-%m-%dT%H:%M")


def test_promoter_signs_up_is_approved_and_creates_previews_schedules_and_cancels_a_campaign(page,
                                                                                             running_platform):
    _, owner = new_account(running_platform, name="Pemilik Tenun Buton")
    merchant_id = new_merchant(running_platform, owner, name="Tenun Buton Indah", kind="umkm", region="7472")
    product = new_product(running_platform, owner, merchant_id, unique_word("Sarung Tenun "), price=250000,
                          category="tenun")
    flow = PhoneFlow(page, "promoter")
    email = sign_up(page, flow, "Dinas Pariwisata", "Promotor (Dinas, asosiasi, komunitas)")
    assert path_of(page) == "/promotor"
    assert "menunggu persetujuan admin" in page.locator("#approval-notice").inner_text()
    flow.check("awaiting-approval")

    running_platform.approve_promoter(account_id(running_platform, email))
    page.reload()
    assert path_of(page) == "/promotor"
    assert page.get_by_role("heading", level=1).inner_text() == "Kampanye Saya"
    assert page.locator("#approval-notice").count() == 0
    flow.check("campaigns-approved")
    with page.expect_navigation():
        page.get_by_role("link", name="Buat kampanye baru").click()
    assert path_of(page) == "/promotor/kampanye/baru"
    flow.check("campaign-form")

    name = unique_word("Pekan Tenun ")
    starts = datetime.now(WITA) + timedelta(minutes=10)
    form = page.locator("main form")
    form.get_by_label("Nama kampanye").fill(name)
    form.get_by_label("Deskripsi (opsional)").fill("Diskon kain tenun selama sepekan.")
    form.get_by_label("Mulai (WITA)").fill(wita_input(starts))
    form.get_by_label("Selesai (WITA)").fill(wita_input(starts + timedelta(days=7)))
    form.get_by_label("Jenis diskon").select_option(label="Persen (%)")
    form.get_by_label("Besar diskon").fill("20")
    categories = form.get_by_role("group", name="Kategori", exact=True)
    categories.locator("summary", has_text="Kerajinan Tangan").click()  # checkboxes grouped by parent
    categories.get_by_label("Kain Tenun", exact=True).check()
    flow.check("campaign-form-filled")
    submit(page, form.get_by_role("button", name="Simpan draf dan lihat pratinjau"))

    found = CAMPAIGN_PATH.match(path_of(page))
    assert found, page.url + "\n" + page.locator("main").inner_text()[:2000]
    campaign_url = path_of(page)
    assert page.get_by_role("heading", level=1).inner_text() == name
    facts = page.locator("main dl")
    assert "Draf" in facts.inner_text() and "20%" in facts.inner_text()
    assert "WITA" in facts.inner_text()
    assert "Kategori: Kain Tenun" in facts.inner_text()  # the name, not the slug

    # the preview lists the owner's product at its promotion price (it may take a moment
    # for the promotion service to learn about a new product)
    preview = page.get_by_role("region", name="Pratinjau produk")
    for _ in range(30):
        if preview.get_by_role("link", name=product["name"]).count():
            break
        page.wait_for_timeout(500)
        page.reload()
    row = preview.get_by_role("row").filter(has=page.get_by_role("link", name=product["name"]))
    assert row.count() == 1, preview.inner_text()
    assert row.get_by_role("cell").all_inner_texts()[:2] == ["Rp 250.000", "Rp 200.000"]
    assert row.get_by_role("link").get_attribute("href") == f"/produk/{product['id']}"
    flow.check("campaign-preview")

    # schedule it
    submit(page, page.get_by_role("button", name="Jadwalkan"))
    assert path_of(page) == campaign_url
    assert "Terjadwal" in page.locator("main dl").inner_text()
    assert page.get_by_role("button", name="Jadwalkan").count() == 0
    flow.check("campaign-scheduled")
    # a scheduled campaign is still edited in the page
    with page.expect_navigation():
        page.get_by_role("link", name="Ubah kampanye").click()
    assert path_of(page) == campaign_url + "/ubah"
    form = page.locator("main form")
    assert form.get_by_label("Nama kampanye").input_value() == name
    flow.check("campaign-edit")
    form.get_by_label("Deskripsi (opsional)").fill("Diskon kain tenun selama dua pekan.")
    submit(page, form.get_by_role("button", name="Simpan perubahan"))
    assert path_of(page) == campaign_url
    assert "Diskon kain tenun selama dua pekan." in page.locator("main").inner_text()
    flow.check("campaign-edited")

    # the list shows it as scheduled
    with page.expect_navigation():
        page.get_by_role("link", name="← Semua kampanye").click()
    assert path_of(page) == "/promotor"
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name))
    assert row.count() == 1
    assert "Terjadwal" in row.inner_text()
    flow.check("campaign-list")

    # cancel it
    with page.expect_navigation():
        row.get_by_role("link", name=name).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Batalkan kampanye").click()
    assert path_of(page) == campaign_url + "/batal"  # it asks first, saying what will happen
    assert "Terjadwal" in page.locator("main dl").inner_text()
    assert "tidak ada harga yang berubah" in page.locator("main").inner_text()
    flow.check("campaign-cancel")
    submit(page, page.get_by_role("button", name="Ya, batalkan kampanye"))
    assert path_of(page) == campaign_url
    assert "Dibatalkan" in page.locator("main dl").inner_text()
    assert "Kampanye dibatalkan. Tidak ada harga produk yang berubah." in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Batalkan kampanye").count() == 0
    flow.check("campaign-cancelled")
    page.goto("/promotor?status=cancelled")
    assert page.get_by_role("row").filter(has=page.get_by_role("link", name=name)).count() == 1
    flow.check("campaign-list-cancelled")
    flow.done()
