"""Seeding the platform through the JSON API, and signing in through the form, for the browser tests."""
import io
import uuid

from PIL import Image

PASSWORD = "kain-tenun-123"

# --- seeding through the JSON API ---------------------------------------------------------------

def unique_word(prefix: str) -> str:
    """A word no other product has, all letters (the analyzer splits letters from digits)."""
    return prefix + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])


def jpeg_bytes(color=(180, 120, 60), size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def new_account(platform, role="owner", name="Wa Ode Tester", approved=True):
    """(email, bearer headers) of a fresh account; a promoter is approved by the platform's
    admin unless ``approved`` is False."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@contoh.id"
    created = platform.http.post("/api/v1/accounts", json={"email": email, "password": PASSWORD, "name": name,
                                                           "role": role})
    assert created.status_code == 201, created.text
    if role == "promoter" and approved:
        platform.approve_promoter(created.json()["id"])
    token = platform.http.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json()["token"]
    return email, {"Authorization": f"Bearer {token}"}


def new_admin(platform):
    """(email, password, bearer headers) of an admin made with ``etalase admin create``."""
    email = f"kurator-{uuid.uuid4().hex[:8]}@dinas.example"
    password = "sangat-rahasia-123"
    created = platform.etalase("admin", "create", "--email", email, "--name", "Kurator Dinas", "--password-stdin",
                               stdin=password + "\n")
    assert created.returncode == 0, created.stderr
    token = platform.http.post("/api/v1/sessions", json={"email": email, "password": password}).json()["token"]
    return email, password, {"Authorization": f"Bearer {token}"}


def new_merchant(platform, headers, name="Koperasi Mete Sejahtera", kind="koperasi", region="7402"):
    response = platform.http.post("/api/v1/merchants", headers=headers, json={
        "name": name, "kind": kind, "region": region, "whatsapp": "0812 3456 7890"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def new_product(platform, headers, merchant_id, name, price=15000, category="kopi-teh", **extra):
    body = {"merchant_id": merchant_id, "name": name, "description": extra.pop("description", "Produk uji."),
            "price": price, "stock": extra.pop("stock", 10), "category": category, **extra}
    response = platform.http.post("/api/v1/products", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def add_photo(platform, headers, product_id, alt=""):
    response = platform.http.post(f"/api/v1/products/{product_id}/photos", headers=headers,
                                  data={"alt": alt} if alt else None,
                                  files={"photo": ("foto.jpg", jpeg_bytes(), "image/jpeg")})
    assert response.status_code == 201, response.text


def searchable(platform, ids, **params) -> bool:
    found = {item["id"] for item in platform.search(per_page=50, **params)["items"]}
    return set(ids) <= found


def sign_in(page, email, password=PASSWORD):
    page.goto("/masuk")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()

