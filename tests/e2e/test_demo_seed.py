"""`etalase seed` on a running platform: the demo products reach search with their drawn
illustrations, and the pages show them from /media/ like uploaded photos."""
import html
import re

import pytest

pytestmark = pytest.mark.e2e

CARD_IMAGE = re.compile(r'<li class="card">\s*<img src="([^"]+)" alt="([^"]*)"')


def test_demo_products_show_their_illustrations(running_platform):
    p = running_platform
    seeded = p.etalase("seed")
    assert seeded.returncode == 0, seeded.stderr
    assert "'photos': 222" in seeded.stdout, seeded.stdout

    def kasuami_with_photo():
        items = p.search(q="kasuami kukus kerucut")["items"]
        return any(item["name"] == "Kasuami Kukus Kerucut" and item.get("photo") for item in items)

    assert p.wait_until(kasuami_with_photo, timeout=90), "the demo products never reached search with their photos"

    page = p.http.get("/", params={"q": "kasuami kukus kerucut"})
    assert page.status_code == 200
    cards = CARD_IMAGE.findall(page.text)
    src, alt = next((src, alt) for src, alt in cards if "Kasuami Kukus Kerucut" in html.unescape(alt))
    assert src.startswith("/media/products/") and src.endswith("-320.webp")
    assert html.unescape(alt) == "Ilustrasi Kasuami Kukus Kerucut (gambar contoh, bukan foto produk)"

    image = p.http.get(src)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/webp"
    assert image.content[:4] == b"RIFF" and image.content[8:12] == b"WEBP"
