"""The gazetteer of Sulawesi Tenggara (shared/places.py): places -> kabupaten/kota."""
import re

import pytest

from shared import places
from shared.places import CAPITALS, KINDS, PLACES, QUALIFIERS, find_place, find_places, place_region
from shared.regions import REGIONS


def _key(name):
    return "".join(re.findall(r"[a-z0-9]+", name))


def test_every_place_lies_in_one_of_the_17_regions():
    assert len(REGIONS) == 17
    assert {place.region for place in PLACES.values()} == set(REGIONS)
    assert {place.kind for place in PLACES.values()} <= KINDS
    assert set(CAPITALS) == set(REGIONS)


def test_names_are_written_plainly():
    for name, place in PLACES.items():
        assert place.name == name
        assert re.fullmatch(r"[a-z0-9]+(?:[ -][a-z0-9]+)*", name), name
        assert len(re.split(r"[ -]", name)) <= 4, name  # find_places looks at most 4 words ahead
        assert name.split()[0] not in QUALIFIERS or name.startswith("pulau "), name


def test_one_name_never_means_two_regions():
    by_key = {}
    for name, place in PLACES.items():
        by_key.setdefault(_key(name), set()).add(place.region)
    assert {key: codes for key, codes in by_key.items() if len(codes) > 1} == {}


def test_a_name_listed_in_two_regions_fails_at_build(monkeypatch):
    monkeypatch.setattr(places, "_DATA", places._DATA + (("7401", "kecamatan", "bau bau"),))
    with pytest.raises(ValueError, match="two regions"):
        places._build()
    monkeypatch.setattr(places, "_DATA", places._DATA + (("7402", "tempat", "raha"),))
    with pytest.raises(ValueError, match="twice"):
        places._build()


@pytest.mark.parametrize("code", sorted(REGIONS))
def test_every_region_has_its_own_name_and_its_capital(code):
    own = REGIONS[code]
    assert place_region(own) == code  # "Konawe Selatan", "Kota Kendari"
    assert place_region(own.removeprefix("Kota ")) == code  # matching needs no "kota"
    assert place_region("Kabupaten " + own) == code or own.startswith("Kota ")
    capital = find_place(CAPITALS[code])
    assert capital is not None and capital.region == code
    assert capital.kind in {"ibu_kota", "kabupaten", "kota"}


@pytest.mark.parametrize("name, code", [
    # the examples
    ("raha", "7402"), ("unaaha", "7403"), ("lasusua", "7408"), ("rumbia", "7406"),
    ("pasarwajo", "7401"), ("wanci", "7407"), ("kendari", "7471"), ("baubau", "7472"),
    ("wawonii", "7412"), ("kabaena", "7406"), ("tomia", "7407"),
    # every other capital
    ("andoolo", "7405"), ("buranga", "7409"), ("wanggudu", "7410"), ("tirawuta", "7411"),
    ("langara", "7412"), ("laworo", "7413"), ("labungkari", "7414"), ("batauga", "7415"),
    ("wangi-wangi", "7407"), ("kolaka", "7404"),
    # a kecamatan of each region
    ("kapontori", "7401"), ("tongkuno", "7402"), ("soropia", "7403"), ("pomalaa", "7404"),
    ("moramo", "7405"), ("poleang timur", "7406"), ("kaledupa selatan", "7407"), ("pakue", "7408"),
    ("kulisusu", "7409"), ("asera", "7410"), ("ladongi", "7411"), ("wawonii timur laut", "7412"),
    ("kusambi", "7413"), ("lakudo", "7414"), ("sampolawa", "7415"), ("mandonga", "7471"),
    ("wolio", "7472"),
    # islands and well-known places
    ("pulau bokori", "7403"), ("hoga", "7407"), ("siompu", "7415"), ("kadatua", "7415"),
    ("binongko", "7407"), ("labengki", "7410"), ("pulau hari", "7405"), ("liwutongkidi", "7415"),
    ("benteng keraton buton", "7472"), ("liang kobori", "7402"), ("danau napabale", "7402"),
    ("pantai nirwana", "7472"), ("tanjung kayu angin", "7404"), ("air terjun moramo", "7405"),
    ("pantai toronipa", "7403"), ("teluk kendari", "7471"), ("pulau makassar", "7472"),
    # short forms
    ("konsel", "7405"), ("kolut", "7408"), ("butur", "7409"), ("konut", "7410"),
    ("koltim", "7411"), ("konkep", "7412"), ("mubar", "7413"), ("buteng", "7414"), ("busel", "7415"),
])
def test_places_map_to_their_region(name, code):
    assert place_region(name) == code


@pytest.mark.parametrize("written", [
    "baubau", "bau-bau", "bau bau", "Bau-Bau", "BAUBAU", "Kota Bau-Bau", "kota baubau", "  Baubau ",
])
def test_case_hyphens_spaces_and_qualifiers_do_not_matter(written):
    assert place_region(written) == "7472"


@pytest.mark.parametrize("written, code", [
    ("wangi wangi", "7407"), ("wangiwangi", "7407"), ("Wangi-Wangi Selatan", "7407"),
    ("pasar wajo", "7401"), ("Kabupaten Konawe Selatan", "7405"), ("kab. muna barat", "7413"),
    ("Kab Buton Utara", "7409"), ("kecamatan lasusua", "7408"), ("Kec. Unaaha", "7403"),
    ("pulau muna", "7402"), ("Pulau Kabaena", "7406"), ("Kendári", "7471"), ("UNAAHA", "7403"),
    ("Poli-Polia", "7411"), ("poli polia", "7411"), ("Masjid Al-Alam", "7471"),
])
def test_normalised_lookup(written, code):
    assert place_region(written) == code


@pytest.mark.parametrize("name", [
    "", "   ", "jakarta", "makassar", "kabupaten", "kota", "pulau", "hari", "bau", "wangi", "lea",
    # left out on purpose: ambiguous or everyday words (see the module's docstring)
    "bone", "pasir putih", "batu putih", "gu", "lawa", "wakorumba", "rawa aopa", "mekongga",
    "haluoleo", "taipa", "pulau ular",
])
def test_unknown_and_ambiguous_names_have_no_region(name):
    assert place_region(name) is None


@pytest.mark.parametrize("words, code, length", [
    (["muna", "barat"], "7413", 2),
    (["muna"], "7402", 1),
    (["buton", "utara"], "7409", 2),
    (["buton", "tengah"], "7414", 2),
    (["konawe", "selatan"], "7405", 2),
    (["konawe", "kepulauan"], "7412", 2),
    (["kolaka", "timur"], "7411", 2),
    (["wawonii", "timur", "laut"], "7412", 3),
    (["benteng", "keraton", "buton"], "7472", 3),  # not Kabupaten Buton
    (["kabupaten", "kolaka", "utara"], "7408", 3),
    (["kab", "muna", "barat"], "7413", 3),
    (["kota", "kendari"], "7471", 2),
    (["pulau", "hari"], "7405", 2),
    (["bau", "bau"], "7472", 2),
    (["bau-bau"], "7472", 1),
    (["wangi", "wangi", "selatan"], "7407", 3),
    (["wangi-wangi", "selatan"], "7407", 2),
])
def test_the_longest_name_wins(words, code, length):
    assert [(start, n, region) for start, n, region, _ in find_places(words)] == [(0, length, code)]


def test_find_places_in_a_query_with_product_words():
    words = "kain tenun khas kabupaten muna barat murah".split()
    [(start, length, region, place)] = find_places(words)
    assert (start, length, region) == (3, 3, "7413")
    assert place.name == "muna barat" and place.kind == "kabupaten"
    assert words[start:start + length] == ["kabupaten", "muna", "barat"]


def test_find_places_left_to_right_without_overlap():
    words = ["kopi", "kolaka", "dan", "madu", "konawe", "utara", "dari", "pulau", "kabaena", "raha"]
    assert [(start, length, region) for start, length, region, _ in find_places(words)] == [
        (1, 1, "7404"), (4, 2, "7410"), (7, 2, "7406"), (9, 1, "7402"),
    ]
    # Adjacent places stay apart, and a shorter name never hides inside a longer one.
    assert [region for _, _, region, _ in find_places(["muna", "barat", "buton"])] == ["7413", "7401"]
    assert [region for _, _, region, _ in find_places(["buton", "kolaka", "timur"])] == ["7401", "7411"]


def test_find_places_folds_its_words():
    found = find_places(["Madu", "Kab.", "Konawe", "Selatan", "ASLI"])
    assert [(start, length, region) for start, length, region, _ in found] == [(1, 3, "7405")]
    assert [region for _, _, region, _ in find_places(["Bau-Bau"])] == ["7472"]


def test_find_places_without_places():
    assert find_places([]) == []
    assert find_places("kopi bubuk robusta 250g".split()) == []
    assert find_places(["kota"]) == []  # a qualifier alone is no place
    assert find_places(["kabupaten", "kota", "tua"]) == []
    assert find_places(["-", "raha"]) == [(1, 1, "7402", PLACES["raha"])]


def test_a_variant_spelling_returns_the_regions_own_place():
    """"bau-bau" is listed as written, but a match gives the city's own name, so a caller
    that looks for the name in listing text looks for "baubau" (not the word "bau")."""
    assert "bau-bau" in PLACES
    assert find_place("bau-bau") == PLACES["baubau"]
    assert find_place("Pasar Wajo") == PLACES["pasarwajo"]


@pytest.mark.parametrize("written, code", [
    ("kepulauan wakatobi", "7407"), ("Kepulauan Kabaena", "7406"), ("kepulauan tomia", "7407"),
])
def test_kepulauan_before_a_name_adds_nothing_to_it(written, code):
    assert place_region(written) == code


def test_kepulauan_after_a_name_stays_part_of_it():
    assert [(start, length, code) for start, length, code, _place in find_places(["konawe", "kepulauan"])] == [
        (0, 2, "7412")]
    assert [(start, length, code) for start, length, code, _place in find_places(["tiworo", "kepulauan"])] == [
        (0, 2, "7413")]
    assert place_region("kepulauan") is None
