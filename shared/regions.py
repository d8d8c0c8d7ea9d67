"""The 17 kabupaten/kota of Sulawesi Tenggara, by BPS code."""

REGIONS: dict[str, str] = {
    "7401": "Buton",
    "7402": "Muna",
    "7403": "Konawe",
    "7404": "Kolaka",
    "7405": "Konawe Selatan",
    "7406": "Bombana",
    "7407": "Wakatobi",
    "7408": "Kolaka Utara",
    "7409": "Buton Utara",
    "7410": "Konawe Utara",
    "7411": "Kolaka Timur",
    "7412": "Konawe Kepulauan",
    "7413": "Muna Barat",
    "7414": "Buton Tengah",
    "7415": "Buton Selatan",
    "7471": "Kota Kendari",
    "7472": "Kota Baubau",
}


def region_list() -> list[dict[str, str]]:
    return [{"code": code, "name": name} for code, name in REGIONS.items()]


def region_name(code: str) -> str | None:
    return REGIONS.get(code)
