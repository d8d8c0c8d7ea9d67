"""Places of Sulawesi Tenggara and the kabupaten/kota each lies in: a small gazetteer.

A buyer writes "kopi Raha", "tenun Kabaena" or "madu Konut": this module says which of the
17 regions of ``shared.regions`` each place belongs to, so search can prefer products of
that region.

Where the data comes from: compiled from general knowledge of the BPS kode wilayah and the
Permendagri list of kecamatan (the 2022 state of 17 kabupaten/kota and about 220 kecamatan),
then reviewed by hand against public kecamatan lists. The codes are **BPS** codes, as in
``shared.regions`` (7401 Buton, 7402 Muna, 7403 Konawe, 7404 Kolaka); the Kemendagri codes
number the same regions differently (74.01 is Kolaka there) and must not be mixed in.
Extend it by review, one checked line at a time; never generate it at run time. A wrong
mapping is worse than a missing one: a name we are not sure of stays out.

Left out on purpose (ambiguous, or a common word that would pull unrelated queries):
- "bone" (kecamatan in Muna; also Kabupaten Bone in Sulawesi Selatan, and an English word)
- "pasir putih" (kecamatan in Muna), "batu putih" (kecamatan in Kolaka Utara): everyday
  phrases ("pantai pasir putih") and place names all over Indonesia
- "gu" (kecamatan in Buton Tengah): two letters, a fragment of anything
- "lawa" (kecamatan in Muna Barat): also a dish (lawa ikan) sold as a product
- "wakorumba" alone: Wakorumba Selatan is Muna, Wakorumba Utara is Buton Utara
- "rawa aopa", "taman nasional rawa aopa watumohai": the park spans Konawe Selatan,
  Bombana, Kolaka and Kolaka Timur
- "mekongga": the mountains lie on the Kolaka / Kolaka Utara line
- "haluoleo", "halu oleo": the airport is in Konawe Selatan, the university in Kendari
- "taipa" (a beach in Konawe Utara, and the well-known one in Palu), "pulau ular" (Buton
  Selatan, and one off Bima)
- "bau", "wangi", "lea", "wua": what "bau-bau", "wangi-wangi", "lea-lea" and "wua-wua"
  become when a tokenizer collapses reduplication; alone they are ordinary words
- villages (desa/kelurahan): too many share names across regions ("bungi", "barangka" and
  "nambo" are also villages in Buton); a kecamatan name wins over a village elsewhere

Resolved by the most common meaning:
- "buton" (the island holds Buton, Buton Tengah, Buton Selatan, Buton Utara and Baubau) and
  "muna" (the island holds Muna and Muna Barat) mean the kabupaten of that name
- "kendari" (until 2004 Konawe was "Kabupaten Kendari") means Kota Kendari
- "rumbia" is the capital of Bombana, though it is also the sago palm (sagu rumbia) and a
  kecamatan in Jeneponto (Sulawesi Selatan) and Lampung Tengah
- "parigi" (Muna) and "lembo" (Konawe Utara) also name places in Sulawesi Tengah
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, get_args

from shared.regions import REGIONS

Kind = Literal["kabupaten", "kota", "ibu_kota", "kecamatan", "pulau", "tempat", "singkatan"]
KINDS: Final = frozenset(get_args(Kind))


@dataclass(frozen=True)
class Place:
    name: str  # as people write it: lowercase ASCII, spaces and hyphens as written
    region: str  # BPS code, one of shared.regions.REGIONS
    kind: Kind


# The seat of each kabupaten/kota (Kolaka, Kendari and Baubau are seats of their own name).
CAPITALS: Final[dict[str, str]] = {
    "7401": "pasarwajo",
    "7402": "raha",
    "7403": "unaaha",
    "7404": "kolaka",
    "7405": "andoolo",
    "7406": "rumbia",
    "7407": "wangi-wangi",
    "7408": "lasusua",
    "7409": "buranga",
    "7410": "wanggudu",
    "7411": "tirawuta",
    "7412": "langara",
    "7413": "laworo",
    "7414": "labungkari",
    "7415": "batauga",
    "7471": "kendari",
    "7472": "baubau",
}

# One line per region and kind: (BPS code, kind, names separated by commas). Each name is
# listed once, under the kind that says most about it: "kabaena" is an island and a
# kecamatan, it is listed as an island. The kabupaten/kota's own names come from REGIONS.
_DATA: Final[tuple[tuple[str, Kind, str], ...]] = (
    # 7401 Buton
    ("7401", "ibu_kota", "pasarwajo, pasar wajo"),
    ("7401", "kecamatan", "kapontori, lasalimu, lasalimu selatan, siontapina, siotapina, wabula, wolowa"),
    ("7401", "tempat", "lambusango, hutan lambusango, kabungka"),
    # 7402 Muna
    ("7402", "ibu_kota", "raha"),
    ("7402", "kecamatan", "batalaiworu, batukara, duruka, kabangka, kabawo, katobu, kontu kowuna, "
                          "kontunaga, lasalepa, lohia, maligano, marobo, napabalano, parigi, pasikolaga, "
                          "tongkuno, tongkuno selatan, towea, wakorumba selatan, watopute"),
    ("7402", "tempat", "liang kobori, liang kabori, danau napabale, napabale, pantai meleura, meleura"),
    # 7403 Konawe
    ("7403", "ibu_kota", "unaaha"),
    ("7403", "kecamatan", "abuki, amonggedo, anggaberi, anggalomoare, asinua, besulutu, bondoala, kapoiala, "
                          "lalonggasumeeto, lambuya, latoma, meluhu, morosi, onembute, padangguni, "
                          "pondidaha, puriala, routa, sampara, soropia, tongauna, tongauna utara, uepai, "
                          "wawotobi, wonggeduku, wonggeduku barat"),
    ("7403", "pulau", "bokori, saponda"),
    ("7403", "tempat", "pantai toronipa, toronipa, pantai batu gong"),
    # 7404 Kolaka
    ("7404", "kecamatan", "baula, iwoimendaa, latambaga, polinggona, pomalaa, samaturu, tanggetada, toari, "
                          "watubangga, wolo, wundulako"),
    ("7404", "pulau", "padamarang, lambasina"),
    ("7404", "tempat", "tanjung kayu angin, tamborasi, sungai tamborasi, pantai tamborasi"),
    # 7405 Konawe Selatan
    ("7405", "ibu_kota", "andoolo"),
    ("7405", "kecamatan", "andoolo barat, angata, baito, basala, benua, buke, kolono, kolono timur, konda, "
                          "laeya, lainea, lalembuu, landono, laonti, moramo, moramo utara, mowila, palangga, "
                          "palangga selatan, ranomeeto, ranomeeto barat, sabulakoa, tinanggea, wolasi"),
    ("7405", "pulau", "pulau hari"),
    ("7405", "tempat", "air terjun moramo"),
    # 7406 Bombana
    ("7406", "ibu_kota", "rumbia"),
    ("7406", "kecamatan", "kabaena barat, kabaena selatan, kabaena tengah, kabaena timur, kabaena utara, "
                          "lantari jaya, masaloka raya, mata oleo, mata usu, poleang, poleang barat, "
                          "poleang selatan, poleang tengah, poleang tenggara, poleang timur, poleang utara, "
                          "rarowatu, rarowatu utara, rumbia tengah, tontonunu"),
    ("7406", "pulau", "kabaena, masaloka, sagori"),
    ("7406", "tempat", "tangkeno"),
    # 7407 Wakatobi
    ("7407", "ibu_kota", "wangi-wangi, wanci"),
    ("7407", "kecamatan", "wangi-wangi selatan, kaledupa selatan, tomia timur, togo binongko"),
    ("7407", "pulau", "kaledupa, tomia, binongko, hoga, kapota, runduma"),
    ("7407", "tempat", "bajo mola"),
    # 7408 Kolaka Utara
    ("7408", "ibu_kota", "lasusua"),
    ("7408", "kecamatan", "katoi, kodeoha, lambai, ngapa, pakue, pakue tengah, pakue utara, porehu, "
                          "rante angin, tiwu, tolala, watunohu, wawo"),
    # 7409 Buton Utara
    ("7409", "ibu_kota", "buranga"),
    ("7409", "kecamatan", "bonegunu, kambowa, kulisusu, kulisusu barat, kulisusu utara, wakorumba utara"),
    ("7409", "tempat", "ereke"),
    # 7410 Konawe Utara
    ("7410", "ibu_kota", "wanggudu"),
    ("7410", "kecamatan", "andowia, asera, landawe, langgikima, lasolo, lasolo kepulauan, lembo, molawe, "
                          "motui, oheo, sawa, wawolesea, wiwirano"),
    ("7410", "pulau", "labengki"),
    # 7411 Kolaka Timur
    ("7411", "ibu_kota", "tirawuta"),
    ("7411", "kecamatan", "aere, dangia, ladongi, lalolae, lambandia, loea, mowewe, poli-polia, tinondo, "
                          "ueesi, uluiwoi"),
    ("7411", "tempat", "rate-rate"),
    # 7412 Konawe Kepulauan
    ("7412", "ibu_kota", "langara"),
    ("7412", "kecamatan", "wawonii barat, wawonii selatan, wawonii tengah, wawonii tenggara, "
                          "wawonii timur, wawonii timur laut, wawonii utara"),
    ("7412", "pulau", "wawonii"),
    # 7413 Muna Barat
    ("7413", "ibu_kota", "laworo"),
    ("7413", "kecamatan", "barangka, kusambi, maginti, napano kusambi, sawerigadi, tiworo kepulauan, "
                          "tiworo selatan, tiworo tengah, tiworo utara, wadaga"),
    # 7414 Buton Tengah
    ("7414", "ibu_kota", "labungkari"),
    ("7414", "kecamatan", "lakudo, mawasangka, mawasangka tengah, mawasangka timur, sangia wambulu, "
                          "talaga raya"),
    ("7414", "pulau", "pulau talaga"),
    ("7414", "tempat", "goa maobu, gua maobu"),
    # 7415 Buton Selatan
    ("7415", "ibu_kota", "batauga"),
    ("7415", "kecamatan", "lapandewa, sampolawa, siompu barat"),
    ("7415", "pulau", "siompu, kadatua, batu atas, liwutongkidi"),
    # 7471 Kota Kendari
    ("7471", "kecamatan", "abeli, baruga, kadia, kambu, kendari barat, mandonga, nambo, poasia, puuwatu, "
                          "wua-wua"),
    ("7471", "tempat", "teluk kendari, masjid al-alam, kendari beach, bungkutoko"),
    # 7472 Kota Baubau
    ("7472", "kota", "bau-bau"),
    ("7472", "kecamatan", "batupoaro, betoambari, bungi, kokalukuna, lea-lea, murhum, sorawolio, wolio"),
    ("7472", "pulau", "pulau makassar"),
    ("7472", "tempat", "benteng keraton buton, keraton buton, benteng keraton wolio, keraton wolio, "
                       "pantai nirwana, pantai kamali, pantai lakeba, goa lakasa, gua lakasa, "
                       "air terjun tirta rimba"),
    # Short forms actually written in Sultra (media, plates of offices, everyday speech).
    ("7405", "singkatan", "konsel"),
    ("7408", "singkatan", "kolut"),
    ("7409", "singkatan", "butur"),
    ("7410", "singkatan", "konut"),
    ("7411", "singkatan", "koltim"),
    ("7412", "singkatan", "konkep"),
    ("7413", "singkatan", "mubar"),
    ("7414", "singkatan", "buteng"),
    ("7415", "singkatan", "busel"),
)

# Words that may stand before a place name and add nothing to it ("kab. Muna", "Kota Kendari",
# "Pulau Kabaena", "Kepulauan Wakatobi"); a name that itself starts with one ("pulau hari") is stored whole.
QUALIFIERS: Final = frozenset({"kabupaten", "kab", "kota", "kecamatan", "kec", "pulau", "kepulauan"})

_WORD = re.compile(r"[a-z0-9]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _words(text: str) -> list[str]:
    """Folded words of ``text``; hyphens, dots and spaces all separate words."""
    return _WORD.findall(_fold(text))


def _key(words: Sequence[str]) -> str:
    """The lookup key of a name: its words run together, so that "bau bau", "bau-bau" and
    "baubau" (or "pasar wajo" and "pasarwajo") are one name."""
    return "".join(words)


def _own_places() -> list[Place]:
    """Each region by its own name: "Kota Kendari" is written "kendari"."""
    places = []
    for code, name in REGIONS.items():
        city = name.startswith("Kota ")
        plain = name.removeprefix("Kota ").lower()
        places.append(Place(plain, code, "kota" if city else "kabupaten"))
    return places


def _build() -> tuple[dict[str, Place], dict[str, Place], int]:
    places: dict[str, Place] = {}
    for place in _own_places():
        places[place.name] = place
    for region, kind, names in _DATA:
        for name in (n.strip() for n in names.split(",")):
            if name in places:
                raise ValueError(f"place {name!r} is listed twice")
            places[name] = Place(name, region, kind)
    by_key: dict[str, Place] = {}
    longest = 1
    for name, place in places.items():
        words = _words(name)
        key = _key(words)
        known = by_key.setdefault(key, place)
        if known.region != place.region:
            raise ValueError(f"{name!r} and {known.name!r} are one name in two regions")
        longest = max(longest, len(words))
    return places, by_key, longest


_TABLES = _build()
PLACES: Final[dict[str, Place]] = _TABLES[0]  # every name as written -> its place
_BY_KEY: Final[dict[str, Place]] = _TABLES[1]  # name key -> the first-listed place (own names first)
_MAX_WORDS: Final[int] = _TABLES[2]  # the most words a place name has


def find_place(name: str) -> Place | None:
    """The place ``name`` names, ignoring case, accents, hyphens and spaces ("Bau-Bau",
    "bau bau", "baubau") and a leading "kabupaten", "kab.", "kota", "kecamatan", "kec." or
    "pulau"; None for a name the gazetteer does not hold."""
    words = _words(name)
    while words:
        place = _BY_KEY.get(_key(words))
        if place is not None or words[0] not in QUALIFIERS:
            return place
        words = words[1:]
    return None


def place_region(name: str) -> str | None:
    """The BPS code of the region ``name`` lies in (see ``find_place``)."""
    place = find_place(name)
    return place.region if place is not None else None


def _match_at(words: Sequence[str], start: int) -> tuple[int, Place] | None:
    """The longest place name that starts at ``words[start]``: (its length in words, place)."""
    if not words[start]:
        return None
    for length in range(min(_MAX_WORDS, len(words) - start), 0, -1):
        place = _BY_KEY.get(_key(words[start:start + length]))
        if place is not None:
            return length, place
    return None


def find_places(words: Sequence[str]) -> list[tuple[int, int, str, Place]]:
    """The places named in a query's words, left to right and without overlap, each as
    (start, length in words, region code, place). At each word the longest name wins
    ("muna barat" is Muna Barat, not Muna); a qualifier before a name ("kabupaten",
    "kota", "pulau", ...) is part of the match.

    Words should be split before any reduplication is collapsed: "bau-bau" may come as one
    word or as "bau", "bau"; "bau" alone is not a place."""
    folded = [_key(_words(word)) for word in words]
    found: list[tuple[int, int, str, Place]] = []
    i = 0
    while i < len(folded):
        match = _match_at(folded, i)
        if folded[i] in QUALIFIERS and i + 1 < len(folded):
            after = _match_at(folded, i + 1)
            if after is not None and (match is None or after[0] + 1 > match[0]):
                match = (after[0] + 1, after[1])
        if match is None:
            i += 1
            continue
        length, place = match
        found.append((i, length, place.region, place))
        i += length
    return found
