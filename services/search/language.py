"""Query understanding: how a buyer's words become what the engine looks for.

The engine asks ``plan_query(text, vocabulary)`` and gets a ``QueryPlan``: one group per
meaningful query word, each group the alternatives that satisfy that word (the word's own
analyzed term, spelling variants, synonyms, English equivalents, typo corrections), each
with a weight <= 1.0. A document matches when it matches at least one alternative of every
group (AND across groups, OR within a group). Both engines use the same plan.

Where the alternatives come from:
- spelling variants: already folded together by ``analysis`` (kripik -> keripik);
- synonyms: ``synonyms.txt`` next to this module, editable by an admin and reloaded when
  its mtime changes or on ``reload_synonyms()`` (the ``reload_synonyms`` RPC);
- English words tourists type: ``ENGLISH`` below (one way: cashew -> mete);
- typos: Damerau-Levenshtein against the vocabulary (``Speller``), only for words the
  index does not know or barely knows;
- kinds of things: ``hypernyms.txt`` next to this module (a family word -> the items it
  covers: camilan -> keripik, rempeyek, ...): the family word's group also accepts its
  members, weighted below the word itself;
- places: ``shared.places`` (kabupaten/kota, capitals, kecamatan, islands, well-known
  places). A place in the query becomes a *place group*: a product of that region, or one
  whose text names the place, satisfies it. It ranks such products first but never empties
  the results: a place alone is not required when the query names a product too.

Matching is not all-or-nothing: each group is a concept; a document must cover a minimum
number of the query's concepts that relaxes with the query's length (``minimum_match``), and
ranking puts documents that cover more concepts first. A fragment of one or two characters
("mi", "2") is a *soft* group: it adds to the score of what the other words found, never
matches on its own.

This module owns language only; engines own matching, filtering and ranking.
"""
from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol

from services.search.analysis import VARIANTS, analyze, fold, is_measure, is_negated, query_terms, surface_forms
from shared.places import PLACES, find_places
from shared.taxonomy import ALL_SLUGS

log = logging.getLogger(__name__)


class Vocabulary(Protocol):
    """The terms an index holds, so a plan only proposes corrections that can match.

    Optional: ``__len__`` (the number of distinct terms), or ``terms()`` returning a sized
    view (a dict's keys). With it the typo index notices a grown vocabulary at once;
    without it, it looks again every ``Speller.RESCAN_SECONDS``.
    """

    def __contains__(self, term: str) -> bool: ...

    def document_frequency(self, term: str) -> int: ...

    def terms(self) -> Iterable[str]: ...


PLACE_PREFIX = "region:"  # the index term every document carries for its region ("region:7402")


def place_term(region: str) -> str:
    return PLACE_PREFIX + region


def place_region(term: str) -> str | None:
    """The region code of a place term, or None for an ordinary term."""
    return term[len(PLACE_PREFIX):] if term.startswith(PLACE_PREFIX) else None


CATEGORY_PREFIX = "category:"  # the index terms of a document's leaf and parent category


def category_term(slug: str) -> str:
    return CATEGORY_PREFIX + slug


def category_slug(term: str) -> str | None:
    """The category slug of a category term, or None for an ordinary term."""
    return term[len(CATEGORY_PREFIX):] if term.startswith(CATEGORY_PREFIX) else None


HEAD_PREFIX = "head:"  # the index term of the first term of a product's name: what the product is


def name_head_term(term: str) -> str:
    return HEAD_PREFIX + term


def name_head_of(term: str) -> str | None:
    """The name's first term a head term stands for, or None for an ordinary term."""
    return term[len(HEAD_PREFIX):] if term.startswith(HEAD_PREFIX) else None


NAME_PREFIX = "name:"  # the index terms of a product's name: what the seller calls it


def name_term(term: str) -> str:
    return NAME_PREFIX + term


def name_term_of(term: str) -> str | None:
    """The term a name term says the name holds, or None for an ordinary term."""
    return term[len(NAME_PREFIX):] if term.startswith(NAME_PREFIX) else None


@dataclass(frozen=True)
class Alternative:
    term: str  # an analyzed term, as the index stores it (or a place term, "region:7402")
    weight: float = 1.0  # 1.0 for the word itself; lower for synonyms and typo corrections
    kind: str = "exact"  # exact | variant | synonym | english | typo | hypernym | category | family | head | place


CONCEPT, PLACE, SOFT = "concept", "place", "soft"


def minimum_match(concepts: int) -> int:
    """How many of ``concepts`` query concepts a document must cover: all of one or two, then
    three in four ("2<75%" in Elasticsearch's terms): 3 -> 2, 4 -> 3, 5 -> 3, 6 -> 4."""
    if concepts <= 2:
        return concepts
    return max(2, (3 * concepts) // 4)


@dataclass(frozen=True)
class QueryPlan:
    groups: list[list[Alternative]] = field(default_factory=list)
    region_hint: str | None = None  # "khas Muna" -> "7402": a region the buyer asked for
    corrected: str | None = None  # the query as the plan understood it, for "did you mean"
    roles: tuple[str, ...] = ()  # per group: CONCEPT (default), PLACE or SOFT

    @property
    def empty(self) -> bool:
        return not self.groups

    def role(self, index: int) -> str:
        return self.roles[index] if index < len(self.roles) else CONCEPT

    def matching(self) -> tuple[list[int], int]:
        """(the groups that decide whether a document matches, how many of them it must
        match). Concepts when the query has any; else its places (any one); else its soft
        groups (a query of only short words: "mi")."""
        for role, need_all in ((CONCEPT, False), (PLACE, False), (SOFT, True)):
            indexes = [i for i in range(len(self.groups)) if self.role(i) == role]
            if indexes:
                if role == PLACE:
                    return indexes, 1
                return indexes, (len(indexes) if need_all else minimum_match(len(indexes)))
        return [], 0

    def partial_matching(self) -> tuple[list[int], int, list[int]]:
        """What a *partial* match covers, for when too few documents cover ``matching()``'s
        minimum (engine.FEW_MATCHES): (the deciding groups, how many of them, the groups of
        which it must cover at least one). One concept fewer than the minimum (at least one),
        and never a size alone: "beras 1kg" may show other beras, not every 1 kg product."""
        deciding, need = self.matching()
        naming = [index for index in deciding if not all(_is_amount(alt.term) for alt in self.groups[index])]
        return deciding, max(1, need - 1), naming

    def places(self) -> list[int]:
        """The place groups: what decides when the query's words find nothing at all ("nginep
        di wakatobi" with no listing saying the first word still shows Wakatobi's products)."""
        return [i for i in range(len(self.groups)) if self.role(i) == PLACE]

    def counted(self) -> list[int]:
        """The groups whose coverage ranks documents: concepts and places (not soft ones)."""
        return [i for i in range(len(self.groups)) if self.role(i) != SOFT]

    def coverage_ranks(self, relaxed: bool) -> bool:
        """Whether documents can differ in how many counted groups they cover, so that coverage
        must rank them: the match was ``relaxed`` (not every deciding group required), or some
        counted group does not decide (a place beside the words). Both engines ask this."""
        return relaxed or not set(self.counted()) <= set(self.matching()[0])

    def terms(self) -> list[str]:
        """Every alternative term once (for highlighting)."""
        return list(dict.fromkeys(alt.term for group in self.groups for alt in group))


def _is_amount(term: str) -> bool:
    """A measure ("1000g") or a bare number: says how much, not what."""
    return is_measure(term) or term.replace(".", "", 1).isdigit()


# Weights: an exact word beats an English equivalent, which beats a synonym (a near
# meaning), which beats a guessed typo correction.
WEIGHT_ENGLISH = 0.9
WEIGHT_TYPED_ENGLISH = 0.5
WEIGHT_SYNONYM = 0.8
WEIGHT_TYPO = {1: 0.7, 2: 0.5}
MAX_CORRECTIONS = 3  # per word: more guesses only add noise
RARE_DF = 2  # a known word this rare may still be a typo of a common one...
RARE_RATIO = 20  # ...when the correction is at least this much more common

# English words and phrases tourists type -> the Indonesian words sellers write. One way:
# a buyer typing "mete" does not need "cashew". Phrases are matched before single words.
ENGLISH: dict[str, list[str]] = {
    "cashew": ["mete"], "cashew nut": ["mete"], "cashew nuts": ["mete"], "nut": ["kacang"], "peanut": ["kacang"],
    "sarong": ["sarung"], "silver": ["perak"], "honey": ["madu"], "coffee": ["kopi"],
    "seaweed": ["rumput laut"], "woven": ["tenun", "anyaman"], "weaving": ["tenun"], "weave": ["tenun"],
    "handwoven": ["tenun", "anyaman"], "textile": ["kain"], "fabric": ["kain"],
    "cloth": ["kain"], "chips": ["keripik"], "chip": ["keripik"], "crackers": ["kerupuk"],
    "cracker": ["kerupuk"], "chocolate": ["cokelat"], "cocoa": ["kakao", "cokelat"],
    "cacao": ["kakao"], "salted fish": ["ikan asin"], "dried fish": ["ikan kering"],
    "fish": ["ikan"], "coconut oil": ["minyak kelapa"], "coconut": ["kelapa"], "oil": ["minyak"],
    "pepper": ["lada", "merica"], "clove": ["cengkeh"], "sago": ["sagu"], "nutmeg": ["pala"],
    "souvenir": ["oleh-oleh"], "souvenirs": ["oleh-oleh"], "gift": ["oleh-oleh", "cendera mata"],
    "palm sugar": ["gula aren"], "brown sugar": ["gula merah"], "sugar": ["gula"],
    "rice": ["beras"], "brown rice": ["beras merah"], "black rice": ["beras hitam"],
    "sticky rice": ["ketan"], "corn": ["jagung"], "cassava": ["singkong"], "banana": ["pisang"],
    "tea": ["teh"], "ginger": ["jahe"], "turmeric": ["kunyit"], "squid": ["cumi"],
    "octopus": ["gurita"], "anchovy": ["teri"], "anchovies": ["teri"], "shrimp": ["udang"],
    "shredded fish": ["abon ikan"], "chili sauce": ["sambal"], "chilli sauce": ["sambal"],
    "spicy": ["pedas"], "cake": ["kue"], "cookies": ["kue kering"], "cookie": ["kue kering"],
    "soap": ["sabun"], "patchouli": ["nilam"], "jewelry": ["perhiasan"], "jewellery": ["perhiasan"],
    "necklace": ["kalung"], "ring": ["cincin"], "bracelet": ["gelang"], "earrings": ["anting"],
    "earring": ["anting"], "brooch": ["bros"], "bag": ["tas"], "shirt": ["kemeja"],
    "scarf": ["syal", "selendang"], "shawl": ["selendang"], "wallet": ["dompet"],
    "pottery": ["gerabah"], "clay": ["tanah liat"], "basket": ["bakul", "anyaman"],
    "mat": ["tikar"], "carving": ["ukir"], "carved": ["ukir"], "wood": ["kayu"],
    "woodcarving": ["ukir kayu"], "black pepper": ["lada hitam"], "white pepper": ["lada putih"],
    "white": ["putih"], "black": ["hitam"], "red": ["merah"], "sweet": ["manis"],
    "wild honey": ["madu hutan"], "forest honey": ["madu hutan"], "fried": ["goreng"],
    "smoked": ["asap"], "dried": ["kering"], "salted": ["asin"], "powder": ["bubuk"],
    "ground coffee": ["kopi bubuk"], "beans": ["biji"], "bean": ["biji"], "raw": ["mentah"],
    "jam": ["selai"], "syrup": ["sirup"], "drink": ["minuman"], "snack": ["camilan"],
    "snacks": ["camilan"], "herbal": ["jamu"], "copra": ["kopra"], "cinnamon": ["kayu manis"],
    # services and tourism
    "hotel": ["penginapan"], "lodging": ["penginapan"], "accommodation": ["penginapan"],
    "guesthouse": ["penginapan"], "room": ["kamar"], "boat": ["perahu"], "hire": ["sewa"],
    "rent": ["sewa"], "rental": ["sewa"], "tour": ["tur"], "tours": ["tur"], "guide": ["pemandu"],
    "tour guide": ["pemandu wisata"], "dive": ["selam"], "diving": ["selam"], "scuba": ["selam"],
    "island": ["pulau"], "beach": ["pantai"], "cave": ["gua", "liang"], "waterfall": ["air terjun"],
    "lake": ["danau"], "hiking": ["pendakian"], "trekking": ["pendakian"], "climb": ["pendakian"],
    "fishing": ["mancing"], "car": ["mobil"], "driver": ["sopir"], "motorbike": ["motor"],
    "scooter": ["motor"], "package": ["paket"], "day trip": ["trip sehari"],
    # more goods
    "moringa": ["kelor"], "cajuput": ["kayu putih"], "skipjack": ["cakalang"], "crab": ["kepiting"],
    "clam": ["kerang"], "clams": ["kerang"], "sea cucumber": ["teripang"], "dried shrimp": ["ebi"],
    "shrimp paste": ["terasi"], "shredded": ["abon"], "smoked fish": ["ikan asap"], "vanilla": ["vanili"],
    "coconut sugar": ["gula kelapa"], "coconut palm": ["kelapa"], "hat": ["topi"], "sandals": ["sandal"], "shoes": ["sepatu"],
    "tablecloth": ["taplak"], "pillow": ["bantal"], "handicraft": ["kerajinan"], "handicrafts": ["kerajinan"],
    "craft": ["kerajinan"], "crafts": ["kerajinan"], "traditional": ["tradisional"], "homemade": ["rumahan"],
    # household goods and what they are made of (the families alat rumah, dapur, alat makan)
    "rattan": ["rotan"], "bamboo": ["bambu"], "tray": ["nampan", "baki"], "plate": ["piring"],
    "bowl": ["mangkuk"], "spoon": ["sendok"], "cup": ["cangkir"], "broom": ["sapu"], "chair": ["kursi"],
    "table": ["meja"], "cupboard": ["lemari"], "shelf": ["rak"], "furniture": ["mebel"],
    "fish floss": ["abon ikan"], "floss": ["abon"], "meat floss": ["abon"],
    "organic": ["organik"], "fresh": ["segar"], "frozen": ["beku"], "sauce": ["saus"], "chili": ["cabai"],
    "chilli": ["cabai"], "garlic": ["bawang putih"], "shallot": ["bawang merah"], "shallots": ["bawang merah"],
    "onion": ["bawang"], "vegetable": ["sayur"], "vegetables": ["sayur"], "fruit": ["buah"], "fruits": ["buah"],
    "spices": ["rempah"], "spice": ["rempah"], "seasoning": ["bumbu"], "herbs": ["herbal"], "scrub": ["lulur"],
    "massage oil": ["minyak urut"], "essential oil": ["minyak atsiri"], "weaving cloth": ["kain tenun"],
    "sarongs": ["sarung"], "batik": ["batik"], "cakes": ["kue"], "candy": ["permen", "manisan"], "peanuts": ["kacang tanah"],
    "sweet potato": ["ubi jalar"], "tapioca": ["tapioka"], "flour": ["tepung"], "salt": ["garam"],
    "egg": ["telur"], "eggs": ["telur"], "milk": ["susu"], "juice": ["jus"], "bread": ["roti"],
    "noodles": ["mi"], "noodle": ["mi"], "sambal": ["sambal"], "jerky": ["dendeng"],
    "english": ["inggris"], "island hopping": ["keliling pulau"], "dive course": ["kursus selam"],
    "diving course": ["kursus selam"], "learn to dive": ["kursus selam"], "course": ["kursus"],
    "beginner": ["pemula"], "beginners": ["pemula"], "stingless bee honey": ["madu kelulut"],
    "t-shirt": ["kaos"], "tshirt": ["kaos"], "tee": ["kaos"], "painting": ["lukisan"], "mask": ["topeng"],
    "fan": ["kipas"], "slippers": ["sandal"], "pants": ["celana"], "trousers": ["celana"], "dress": ["gaun"],
    "cap": ["topi"], "key chain": ["gantungan kunci"], "keychain": ["gantungan kunci"], "vase": ["vas"],
    "statue": ["patung"], "replica": ["miniatur"], "miniature": ["miniatur"], "snorkelling": ["snorkeling"],
    "motorcycle": ["motor"],
    "bike": ["sepeda"], "bicycle": ["sepeda"], "lime": ["jeruk nipis"], "orange": ["jeruk"],
    "mango": ["mangga"], "candlenut": ["kemiri"], "lemongrass": ["serai"],
    "live": ["hidup"], "roasted": ["sangrai", "panggang"], "roast": ["sangrai", "panggang"],
    "mud crab": ["kepiting bakau"], "giant clam": ["kima"], "pearl": ["mutiara"], "pearls": ["mutiara"], "machete": ["parang"], "knife": ["pisau"], "galangal": ["lengkuas"], "tamarind": ["asam jawa"], "vinegar": ["cuka"], "dried squid": ["cumi kering"],
    # the catalogs' own frequent product and place words (2026-12-04), in dictionary English
    # seafood and fish
    "cuttlefish": ["sotong", "cumi"], "dried cuttlefish": ["cumi kering"], "mackerel": ["tenggiri", "kembung"],
    "mackerel tuna": ["tongkol"], "snapper": ["kakap"], "grouper": ["kerapu"], "milkfish": ["bandeng"],
    "rabbitfish": ["baronang"], "prawn": ["udang"], "tiger prawn": ["udang windu"], "swimming crab": ["rajungan"],
    "snakehead": ["gabus"],
    # meat, dairy, cooked dishes
    "chicken": ["ayam"], "duck": ["bebek"], "goat": ["kambing"], "beef": ["daging sapi"], "meat": ["daging"],
    "meatball": ["bakso"], "meatballs": ["bakso"], "cheese": ["keju"], "cooked rice": ["nasi"],
    "coconut milk": ["santan"],
    # fruit, vegetables, plants
    "pineapple": ["nanas"], "guava": ["jambu"], "passion fruit": ["markisa"], "soursop": ["sirsak"],
    "breadfruit": ["sukun"], "jackfruit": ["nangka"], "papaya": ["pepaya"], "sapodilla": ["sawo"],
    "tomato": ["tomat"], "tomatoes": ["tomat"], "spinach": ["bayam"], "taro": ["talas"], "noni": ["mengkudu"],
    "sesame": ["wijen"], "aromatic ginger": ["kencur"], "java turmeric": ["temulawak"], "leaf": ["daun"],
    "leaves": ["daun"], "flower": ["bunga"], "seed": ["biji"], "seeds": ["biji"], "pandanus": ["pandan"],
    # sweets
    "sweets": ["permen", "manisan"], "candied": ["manisan"],
    # how it is made or sold
    "steamed": ["kukus"], "grilled": ["bakar"], "baked": ["panggang"], "boiled": ["rebus"], "peeled": ["kupas"],
    "mixed": ["campur"], "crispy": ["renyah"], "liquid": ["cair"], "pure": ["murni"], "instant": ["instan"],
    "whole": ["utuh"], "processed": ["olahan"], "food": ["makanan"], "staple food": ["makanan pokok"],
    "bottle": ["botol"], "jar": ["toples"], "sack": ["karung"], "small": ["kecil"], "large": ["besar"],
    "big": ["besar"], "green": ["hijau"], "yellow": ["kuning"], "blue": ["biru"], "purple": ["ungu"],
    "fragrant": ["wangi"], "young": ["muda"], "wild": ["liar"],
    # materials and crafts
    "silk": ["sutra"], "cotton": ["katun"], "leather": ["kulit"], "stone": ["batu"], "brass": ["kuningan"],
    "gold": ["emas"], "teak": ["jati"], "thread": ["benang"], "yarn": ["benang"], "embroidery": ["bordir"],
    "embroidered": ["bordir"], "hand woven": ["tenun", "anyaman"], "coconut shell": ["batok kelapa", "tempurung kelapa"],
    "coir": ["sabut"], "charcoal": ["arang"], "kite": ["layangan"], "pendant": ["liontin"], "prayer mat": ["sajadah"],
    "prayer rug": ["sajadah"], "cutting board": ["talenan"], "chopping board": ["talenan"], "mortar": ["cobek", "ulekan"],
    "pestle": ["ulekan"], "stove": ["tungku"], "steamer": ["kukusan", "dandang"], "jug": ["kendi"], "lamp": ["lampu"],
    "ashtray": ["asbak"], "decoration": ["hiasan", "pajangan"], "ornament": ["hiasan", "pajangan"],
    "wall decoration": ["hiasan dinding"], "accessories": ["aksesori"], "accessory": ["aksesori"],
    "clothing": ["pakaian"], "clothes": ["pakaian", "baju"], "women": ["wanita"], "men": ["pria"],
    "children": ["anak"], "kids": ["anak"], "baby": ["bayi"], "body care": ["perawatan tubuh"], "hair": ["rambut"],
    "face": ["wajah"], "face mask": ["masker"],
    # places and tourism
    "village": ["kampung", "desa"], "traditional house": ["rumah adat"], "fort": ["benteng"], "fortress": ["benteng"],
    "palace": ["keraton"], "bay": ["teluk"], "mountain": ["gunung"], "river": ["sungai"], "forest": ["hutan"],
    "hot spring": ["air panas"], "airport": ["bandara"], "harbour": ["pelabuhan"], "harbor": ["pelabuhan"],
    "port": ["pelabuhan"], "pier": ["dermaga"], "jetty": ["dermaga"], "culture": ["budaya"], "cultural": ["budaya"],
    "history": ["sejarah"], "historical": ["sejarah"], "half day": ["setengah hari"], "pick up": ["jemput"],
    "pickup": ["jemput"], "charter": ["carter"], "fisherman": ["nelayan"], "breakfast": ["sarapan"], "night": ["malam"],
    "ship": ["kapal"], "wildlife reserve": ["suaka margasatwa"],
    "chili paste": ["sambal"], "chilli paste": ["sambal"], "virgin coconut oil": ["minyak kelapa murni"], "virgin": ["murni"],
    "sugar palm": ["aren"], "areca nut": ["pinang"], "betel nut": ["pinang"], "betel": ["sirih"], "betel leaf": ["daun sirih"],
    "aloe vera": ["lidah buaya"], "aloe": ["lidah buaya"], "tempeh": ["tempe"], "fermented": ["fermentasi"],
}

DEFAULT_SYNONYMS_PATH = Path(__file__).with_name("synonyms.txt")
_MAX_PHRASE = 3  # longest phrase (in terms) the synonym and English tables hold


def _key(phrase: str) -> tuple[str, ...]:
    """A phrase as the analyzed terms the query side produces."""
    return tuple(analyze(phrase))


# --- synonyms ------------------------------------------------------------------------


class Synonyms:
    """Groups of phrases that mean the same, read from a plain text file:

        # a comment
        gula merah, gula aren
        ikan kering, ikan asin

    Every phrase of a group stands for every other (both ways). ``refresh()`` re-reads the
    file when its mtime changed (at most once a second, so a query costs no stat call);
    ``reload()`` re-reads it now. A broken file keeps the last good list.
    """

    CHECK_SECONDS = 1.0
    DEFAULT_PATH = DEFAULT_SYNONYMS_PATH

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else self.DEFAULT_PATH
        self._mtime: float | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self.table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        self.groups = 0
        self.reload()

    def reload(self) -> int:
        """Read the file now; returns the number of groups."""
        with self._lock:
            try:
                mtime = self.path.stat().st_mtime
                text = self.path.read_text(encoding="utf-8")
            except OSError:
                log.warning("synonym file %s not readable; keeping %d groups", self.path, self.groups)
                self._checked = time.monotonic()
                return self.groups
            self.table, self.groups = self.parse(text)
            self._mtime = mtime
            self._checked = time.monotonic()
            return self.groups

    def refresh(self) -> None:
        """Reload when the file changed since the last read."""
        now = time.monotonic()
        if now - self._checked < self.CHECK_SECONDS:
            return
        self._checked = now
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return
        if mtime != self._mtime:
            self.reload()

    def alternatives(self, key: tuple[str, ...]) -> list[tuple[str, ...]]:
        self.refresh()
        return self.table.get(key, [])

    @staticmethod
    def parse(text: str) -> tuple[dict[tuple[str, ...], list[tuple[str, ...]]], int]:
        return parse_synonyms(text)


class Hypernyms(Synonyms):
    """Families of products, read from a plain text file (reloaded like the synonyms):

        # family: the items it covers
        camilan: keripik, rempeyek, bagea
        bumbu dapur: kunyit, jahe, serai

    One way: a buyer asking for the family wants its items; one asking for keripik does not
    want every camilan. A family may be a phrase (its deciding word in brackets, else the
    first); items are single words or a category written "@slug" (anything else is skipped
    with a warning)."""

    DEFAULT_PATH = Path(__file__).with_name("hypernyms.txt")

    @staticmethod
    def parse(text: str) -> tuple[dict[tuple[str, ...], list[tuple[str, ...]]], int]:
        return parse_hypernyms(text)


# How buyers name a family: a generic word and a domain ("alat masak", "peralatan masak",
# "perlengkapan masak", "perabot masak", "perkakas masak" are one family; so are "kebutuhan
# dapur", "keperluan dapur" and "bahan dapur"). The generic words of each kind read as one, in
# the family list and in a query, so one line covers every phrasing. (The analyzer's roots:
# peralatan -> ralat, perlengkapan -> lengkap, perabot(an) -> rabot, perkakas -> kakas.)
FAMILY_GENERIC_WORDS: dict[str, str] = {
    **{term: "alat" for term in analyze("alat peralatan perlengkapan perabot perabotan perkakas")},
    **{term: "bahan" for term in analyze("bahan kebutuhan keperluan")},
}


def family_key(terms) -> tuple[str, ...]:
    """A family phrase with its generic words read as one ("peralatan masak" -> alat masak)."""
    return tuple(FAMILY_GENERIC_WORDS.get(term, term) for term in terms)


def parse_hypernyms(text: str) -> tuple[dict[tuple[str, ...], list[tuple[str, ...]]], int]:
    """(family phrase -> [its head, then its items], as one-term keys; number of families).
    The head is the word of the phrase that decides a match, written in brackets
    ("makanan [laut]") or else the first word."""
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        family_text, items_text = line.split(":", 1)
        family = family_key(_key(family_text.replace("[", " ").replace("]", " ")))
        if not family:
            continue
        marked = family_key(_key(family_text[family_text.find("[") + 1:family_text.find("]")])) if "[" in family_text else ()
        head = marked[:1] if marked and marked[0] in family else family[:1]
        entry = table.setdefault(family, [head])
        for item_text in items_text.split(","):
            item_text = item_text.strip()
            if item_text.startswith("@"):  # a category: every product in it belongs
                slug = item_text[1:]
                if slug in ALL_SLUGS:
                    entry.append((category_term(slug),))
                else:
                    log.warning("hypernym item %r of %r names no category; skipped", item_text, family_text)
                continue
            item = _key(item_text)
            if len(item) != 1:
                if item:
                    log.warning("hypernym item %r of %r is not one word; skipped", item_text.strip(), family_text)
                continue
            if item not in entry:
                entry.append(item)
    table = {family: entry for family, entry in table.items() if len(entry) > 1}
    return table, len(table)


def parse_synonyms(text: str) -> tuple[dict[tuple[str, ...], list[tuple[str, ...]]], int]:
    """(phrase -> the other phrases of its groups, number of groups)."""
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    groups = 0
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        phrases = list(dict.fromkeys(k for k in (_key(p) for p in line.split(",")) if k))
        if len(phrases) < 2:
            continue
        groups += 1
        for phrase in phrases:
            others = table.setdefault(phrase, [])
            others += [o for o in phrases if o != phrase and o not in others]
    return table, groups


def load_synonyms(path: str | os.PathLike) -> Synonyms:
    return Synonyms(path)


_synonyms: Synonyms | None = None


def default_synonyms() -> Synonyms:
    global _synonyms
    if _synonyms is None:
        _synonyms = Synonyms(os.environ.get("SEARCH_SYNONYMS_PATH") or DEFAULT_SYNONYMS_PATH)
    return _synonyms


_hypernyms: Hypernyms | None = None


def default_hypernyms() -> Hypernyms:
    global _hypernyms
    if _hypernyms is None:
        _hypernyms = Hypernyms(os.environ.get("SEARCH_HYPERNYMS_PATH") or None)
    return _hypernyms


def reload_synonyms() -> int:
    """Re-read the default synonym and hypernym files (the admin's "reload"); returns the
    synonym file's group count."""
    default_hypernyms().reload()
    return default_synonyms().reload()


_ENGLISH_TABLE: dict[tuple[str, ...], list[tuple[str, ...]]] = {}


def _english() -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    if not _ENGLISH_TABLE:
        for phrase, targets in ENGLISH.items():
            key = _key(phrase)
            # "sarong" is already folded to "sarung" by the analyzer: nothing to add.
            others = [_key(t) for t in targets if _key(t) != key]
            if others:
                _ENGLISH_TABLE[key] = others
    return _ENGLISH_TABLE


# --- typos -----------------------------------------------------------------------------


def max_edits(term: str) -> int:
    """One edit for words of 4+ letters, two for 8+; short words are never corrected."""
    if len(term) >= 8:
        return 2
    return 1 if len(term) >= 4 else 0


# A three-letter word the index does not know is mostly a longer word typed without a vowel
# ("asn" for asin, "kpi" for kopi): it may be corrected by one inserted letter, never by a
# substitution (which would make every three-letter word a typo of another).
SHORT_TYPO_LENGTH = 3


def damerau_levenshtein(a: str, b: str, limit: int = 2) -> int:
    """Edit distance with adjacent transpositions (optimal string alignment); anything
    above ``limit`` comes back as ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def _deletes(word: str, depth: int) -> set[str]:
    """Every string ``word`` becomes with 1..depth characters deleted."""
    found: set[str] = set()
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


class Speller:
    """Typo corrections from a deletion neighbourhood (SymSpell-style): every vocabulary
    term is filed under itself and its 1-deletions; a query word looks up itself and its
    deletions (1 or 2, by length), and Damerau-Levenshtein confirms each candidate.

    Filing only 1-deletions keeps the index at ~11 keys per term (2-deletions would be ~56:
    37 s and 890 MB for 100,000 ten-letter terms, against ~4 s and ~150 MB), at a price:
    of the two-edit typos, those needing two deletions on the vocabulary side (two
    substituted or two missing letters) are not found; one-edit typos always are.

    Built lazily from the vocabulary and topped up when the vocabulary grows (terms that
    left the index stay filed but are skipped: their document frequency is 0)."""

    RESCAN_SECONDS = 30.0
    YIELD_EVERY = 2000  # terms filed between cooperative yields (a green thread must not hog)

    def __init__(self):
        # delete-key -> one term (most keys) or a tuple of terms: fewer objects than lists.
        self._deletes: dict[str, str | tuple[str, ...]] = {}
        self._known: set[str] = set()
        self._size = -1
        self._scanned = 0.0
        # The other spellings of a word (analysis.VARIANTS) are words a buyer misspells too:
        # "kasoame" is one letter from kasoami, which the index keeps as kasuami.
        for variant in SPELLING_VARIANTS:
            self._file(variant)

    def _file(self, term: str) -> None:
        # A term within one edit of a 4+ letter word has 3+ letters. Shorter terms are
        # never a correction.
        if len(term) < 3 or not term.isalpha():
            return
        self._known.add(term)
        index = self._deletes
        for key in {term} | _deletes(term, 1):
            held = index.get(key)
            if held is None:
                index[key] = term
            elif isinstance(held, str):
                index[key] = (held, term)
            else:
                index[key] = held + (term,)

    def sync(self, vocabulary: Vocabulary) -> None:
        terms = vocabulary.terms()
        # A dict's keys view (or the vocabulary itself) knows its size for free.
        sized = vocabulary if hasattr(vocabulary, "__len__") else terms
        size = len(sized) if hasattr(sized, "__len__") else None
        now = time.monotonic()
        if size is not None and size == self._size:
            return
        # A growing index changes size with every product: look again at most every
        # second (sized) or every RESCAN_SECONDS (unsized).
        wait = 1.0 if size is not None else self.RESCAN_SECONDS
        if self._size >= 0 and now - self._scanned < wait:
            return
        filed = 0
        for term in list(terms):  # a copy: filing yields, and the index may change meanwhile
            if term not in self._known:
                self._file(term)
                filed += 1
                if filed % self.YIELD_EVERY == 0:
                    time.sleep(0)  # under eventlet: let other green threads run
        self._size = size if size is not None else 0
        self._scanned = now

    def corrections(self, word: str, vocabulary: Vocabulary) -> list[tuple[str, int, int]]:
        """(term, edits, document frequency) of the closest known terms, best first."""
        edits = max_edits(word)
        short = len(word) == SHORT_TYPO_LENGTH and word not in vocabulary
        if short:
            edits = 1
        if not edits or not word.isalpha():
            return []
        self.sync(vocabulary)
        seen: set[str] = set()
        found: list[tuple[str, int, int]] = []
        for key in {word} | _deletes(word, edits):
            held = self._deletes.get(key, ())
            for term in (held,) if isinstance(held, str) else held:
                if term in seen or term == word:
                    continue
                seen.add(term)
                if short and len(term) != len(word) + 1:
                    continue  # a missing letter only
                distance = damerau_levenshtein(word, term, edits)
                if distance > edits:
                    continue
                term = SPELLING_VARIANTS.get(term, term)
                if term == word or any(term == other for other, _d, _df in found):
                    continue
                df = vocabulary.document_frequency(term)
                if df > 0:
                    found.append((term, distance, df))
        # Fewest edits first, then the more common word, then alphabetical (stable plans).
        found.sort(key=lambda c: (c[1], -c[2], c[0]))
        return found[:MAX_CORRECTIONS]


# variant spelling -> the term the index keeps for it ("kasoami" -> "kasuami")
SPELLING_VARIANTS: dict[str, str] = {variant: analyze(variant)[0] for variant in VARIANTS
                                     if variant.isalpha() and len(analyze(variant)) == 1 and analyze(variant)[0] != variant}

_spellers: "weakref.WeakKeyDictionary[object, Speller]" = weakref.WeakKeyDictionary()
_spellers_by_id: dict[int, tuple[object, Speller]] = {}


def speller_for(vocabulary: Vocabulary) -> Speller:
    """One Speller per vocabulary object (an index keeps its own, rebuilt with it)."""
    try:
        speller = _spellers.get(vocabulary)
        if speller is None:
            speller = _spellers[vocabulary] = Speller()
        return speller
    except TypeError:  # not weak-referenceable (a plain dict or set): keep it alive by id
        held = _spellers_by_id.get(id(vocabulary))
        if held is None or held[0] is not vocabulary:
            held = _spellers_by_id[id(vocabulary)] = (vocabulary, Speller())
        return held[1]


# --- the plan --------------------------------------------------------------------------


def _lookup(table: dict, terms: list[str], start: int) -> tuple[int, list]:
    """Longest phrase of ``table`` at ``terms[start:]``: (length, value) or (0, [])."""
    for length in range(min(_MAX_PHRASE, len(terms) - start), 0, -1):
        key = tuple(terms[start:start + length])
        value = table.get(key)
        if value:
            return length, value
        if length == 1 and key[0].endswith("s") and len(key[0]) > 3:
            value = table.get((key[0][:-1],))  # English plural: "cashews" -> "cashew"
            if value:
                return 1, value
    return 0, []


def _known(term: str, vocabulary: Vocabulary | None, kind: str) -> bool:
    # Without a vocabulary: English words are taken as absent from listings (they mostly
    # are), Indonesian synonyms as present.
    if vocabulary is None:
        return kind != "english"
    return term in vocabulary


def _phrase_groups(phrase: list[str], targets: list[tuple[str, ...]], kind: str, weight: float,
                   vocabulary: Vocabulary | None) -> list[list[Alternative]]:
    """Groups for a phrase and its equivalents.

    Same length: position by position, OR within (gula merah ~ gula aren -> [gula], [merah | aren]).
    Another length (seaweed ~ rumput laut): a group cannot hold a phrase, so the phrase is
    replaced by the equivalent's words when the index does not know the typed words, and
    kept as typed otherwise."""
    typed_known = all(_known(term, vocabulary, kind) for term in phrase)
    if kind == "english":
        if not typed_known:
            # Nobody lists in English: the Indonesian words are the query, each of them when
            # there are several of one length ("pepper": lada or merica; "woven": tenun or anyaman).
            groups = [[Alternative(term, weight, kind)] for term in targets[0]]
            for target in targets[1:]:
                if len(target) == len(targets[0]):
                    for group, term in zip(groups, target):
                        if all(alt.term != term for alt in group):
                            group.append(Alternative(term, weight, kind))
            return groups
        # The typed English word is known (a "Comb Honey" somewhere) but a buyer typing it
        # mostly wants the Indonesian listings: the typed word counts for less.
        groups = [[Alternative(term, WEIGHT_TYPED_ENGLISH)] for term in phrase]
    else:
        groups = [[Alternative(term)] for term in phrase]
    replacement: tuple[str, ...] | None = None
    for target in targets:
        if len(target) == len(phrase):
            if kind == "english":
                target = target[::-1]  # modifier first in English, last in Indonesian: coconut oil ~ minyak kelapa
            for group, term in zip(groups, target):
                if all(alt.term != term for alt in group):
                    group.append(Alternative(term, weight, kind))
        elif replacement is None:
            replacement = target
    same_length = any(len(t) == len(phrase) for t in targets)
    if replacement is not None and not typed_known and not same_length:
        return [[Alternative(term, weight, kind)] for term in replacement]
    if replacement is not None and kind == "english" and not same_length:
        # A known English word whose Indonesian is a phrase ("seaweed" ~ rumput laut): the
        # Indonesian words are the query, and the English word, where a listing says it,
        # satisfies each of them.
        return [[Alternative(term, weight, kind)] + [Alternative(typed, WEIGHT_TYPED_ENGLISH) for typed in phrase]
                for term in replacement]
    if len(phrase) > 1:
        # A phrase of known words whose equivalent is one word (ubi kayu ~ singkong): that word
        # satisfies every group of the phrase, so a listing that says it covers the whole phrase.
        for target in targets:
            if len(target) == 1:
                for group in groups:
                    if all(alt.term != target[0] for alt in group):
                        group.append(Alternative(target[0], weight, kind))
    return groups


# Places whose own name a listing would say (a cave, a beach, an island), and the generic
# words of such names that say nothing about which one.
NAMED_PLACE_KINDS = frozenset({"tempat", "pulau"})
WEIGHT_NAMED_PLACE_REGION = 0.5  # a product of the named place's kabupaten, not naming the place
PLACE_GENERIC_TERMS = frozenset(analyze(
    "pulau pantai danau gua goa liang benteng air terjun teluk tanjung gunung bukit taman nasional "
    "laut selat desa kampung kota selatan utara barat timur tengah kepulauan besar kecil"))
WEIGHT_HYPERNYM = 0.6  # an item of the family the buyer named: below the family word itself
WEIGHT_FAMILY_CATEGORY = 0.5  # any product of a category the family covers (its name need not say it)
WEIGHT_FAMILY_WORD = 0.5  # the family's categories (or word) again, for listings in it (see plan_query)
WEIGHT_FAMILY_HEAD = 0.5  # a listing whose name starts with the family word or an item: it is one (see plan_query)
WEIGHT_SOFT = 0.3  # a soft word (a fragment, a qualifier) adds this share of a word's score
SOFT_LENGTH = 2  # a term this short (a fragment, "2", "mi") never matches on its own
# Words that say how good, how new, how cheap or how it is sold, or what kind of thing in
# general, not what it is: a listing rarely says them, so they add to the score and never
# decide a match ("gula aren asli tanpa campuran" is gula aren; "alat mandi" is mandi).
SOFT_TERMS = frozenset(analyze(
    "asli murni original ori premium super terbaik bagus enak lezat berkualitas kualitas mantap spesial "
    "special istimewa tanpa campuran pilihan unggulan favorit baru lokal alami natural sehat "
    "jual beli cari murah harga grosir eceran online ready stok promo diskon terdekat dekat kirim ongkir "
    "perlengkapan peralatan alat perkakas keperluan kebutuhan aneka macam jenis berbagai produk barang buat untuk biar supaya "
    "tradisional daerah sultra sulawesi tenggara indonesia nusantara etnik unik handmade buatan tangan "
    "kemasan bungkus pack pak toples box dus ukuran size varian masak"))
# Words of purpose ("lauk buat bekal", "minuman biar badan hangat"; agar and utk are stopwords).
PURPOSE_TERMS = frozenset(analyze("buat untuk biar supaya"))
# Where a thing is used: after a family ("kebutuhan pokok dapur", "rempah dapur", "oleh2 buat
# kantor") it says where the buyer needs it, not a second kind of thing (dapur alone is the
# family of kitchen tools, which a buyer of staples or spices does not want).
USE_PLACE_TERMS = frozenset(analyze("dapur rumah kantor"))


def plan_query(text: str | None, vocabulary: Vocabulary | None = None, *,
               synonyms: Synonyms | None = None, hypernyms: Hypernyms | None = None) -> QueryPlan:
    """The plan of ``text``. Without a vocabulary nothing is typo-corrected (and English or
    synonym phrases of another length are not replaced)."""
    words = place_words(text)
    places = find_places(words)
    # Place names leave the text: each becomes one place group (its region, or its name in
    # a listing's text); the other words are planned as before.
    in_place = {i for start, length, _region, _place in places for i in range(start, start + length)}
    rest = " ".join(word for i, word in enumerate(words) if i not in in_place)
    terms = query_terms(rest)
    if not terms and not places:
        return QueryPlan()
    synonyms = synonyms if synonyms is not None else default_synonyms()
    hypernyms = hypernyms if hypernyms is not None else default_hypernyms()
    english = _english()
    groups: list[list[Alternative]] = []
    roles: list[str] = []
    corrections: dict[str, str] = {}
    typed_forms: dict[str, str] | None = None
    # (the family's soft groups an item named elsewhere cancels, its concept group, its heads)
    family_heads: list[tuple[list[int], int, set[str]]] = []
    family_end = -1  # where the last family phrase ended
    i = 0
    while i < len(terms):
        if terms[i] in USE_PLACE_TERMS and (family_end == i or (family_end == i - 1 and terms[i - 1] in PURPOSE_TERMS)):
            groups.append([Alternative(terms[i], WEIGHT_SOFT)])
            roles.append(SOFT)
            i += 1
            continue
        length, targets = _lookup(english, terms, i)
        kind, weight = "english", WEIGHT_ENGLISH
        # The Indonesian for an English phrase is said in more than one way ("brown sugar" is
        # gula merah, which sellers also write gula aren): its synonyms are equivalents too.
        # They count as a synonym of the equivalent does, below the equivalent itself; only those
        # of the equivalent's length ("giant clam" is kima, not its longer kerang raksasa).
        direct_terms = {term for target in targets for term in target}
        targets = list(dict.fromkeys(targets + [other for target in targets for other in synonyms.alternatives(target)
                                                if len(other) == len(target)]))
        synonym_length = 0
        for n in range(min(_MAX_PHRASE, len(terms) - i), 0, -1):
            if synonyms.alternatives(tuple(terms[i:i + n])):
                synonym_length = n
                break
        if synonym_length > length:
            length = synonym_length
            targets = synonyms.alternatives(tuple(terms[i:i + length]))
            kind, weight = "synonym", WEIGHT_SYNONYM
        family_length, items = _lookup(hypernyms.table, list(family_key(terms)), i)
        if (family_length < 3 and i + 2 < len(terms) and terms[i + 1] in PURPOSE_TERMS
                and family_key((terms[i], terms[i + 2])) in hypernyms.table):
            # "lauk buat bekal" is the family "lauk bekal": the word of purpose joins its phrase
            family_length, items = 3, hypernyms.table[family_key((terms[i], terms[i + 2]))]
        if family_length < 2 and i + 1 < len(terms) and family_key((terms[i + 1], terms[i])) in hypernyms.table:
            # "olahan ikan" is "ikan olahan": a two-word family in either order
            family_length, items = 2, hypernyms.table[family_key((terms[i + 1], terms[i]))]
        if family_length and family_length >= length:
            # "bumbu dapur": the head word's group also takes every item of the family; the
            # rest of the family phrase only adds to the score.
            family = terms[i:i + family_length]
            head_term, members = items[0][0], items[1:]
            # A phrase's head alone is weak evidence ("ringan" of makanan ringan is also "light"):
            # it counts like an item. A one-word family's word counts in full.
            head = [Alternative(head_term, 1.0 if family_length == 1 else WEIGHT_HYPERNYM)]
            # A family named by generic words only ("alat masak": alat and masak say what kind of
            # use, not what thing) is its items: "Siap Masak" or "Sewa Alat Snorkel" is none.
            generic_head = head_term in SOFT_TERMS or head_term in FAMILY_GENERIC_WORDS
            if generic_head:
                head = []
            elif family_length == length == 1:
                head = _phrase_groups(family, targets, kind, weight, vocabulary)[0]
            # An item the buyer also typed ("paket wisata": paket is an item of wisata) is its own
            # concept: as an item too, a "Paket Sinonggi" would cover the query twice over.
            typed = set(terms) - set(family)
            head += [_family_item(item[0]) for item in members
                     if item[0] not in typed and all(alt.term != item[0] for alt in head)]
            concept_index = len(groups)
            groups.append(head)
            roles.append(CONCEPT)
            # A listing in the family's categories, or else one that says the family word
            # itself, belongs to the family for sure: it scores once more, on top of its best
            # alternative, and so ranks above one that only names an item or the word in passing.
            # (Not for a one-word family without categories: its word already counts in full, and
            # counting it twice would rank every description that says it in passing first.)
            # A listing whose name says the family word is one too, wherever it is filed ("Paket
            # Oleh-Oleh Sultra" under bumbu, "Tas Tenun Oleh-Oleh" under aksesori): the seller
            # said so in the name, not in passing in the description.
            categories = [item[0] for item in members if category_slug(item[0]) is not None]
            if categories or (family_length > 1 and not generic_head):
                family_group = [Alternative(term, WEIGHT_FAMILY_WORD, "family") for term in categories or [head_term]]
                if categories and not generic_head:
                    family_group.append(Alternative(name_term(head_term), WEIGHT_FAMILY_WORD, "family"))
                groups.append(family_group)
                roles.append(SOFT)
            # A product name says what the product is first ("Kuali Tanah Liat" is a kuali, "Bumbu
            # Dapur" is no kitchen tool, "Keripik Talas" is a keripik): a listing whose name starts
            # with the family word (or the phrase's first word) or an item is one of the family,
            # wherever the seller filed it: it scores once more, less than a word match does.
            heads = list(dict.fromkeys([term for term in (family[0], head_term)
                                        if term not in SOFT_TERMS and term not in FAMILY_GENERIC_WORDS]
                                       + [item[0] for item in members if category_slug(item[0]) is None]))
            family_heads.append(([len(groups)], concept_index, set(heads)))
            groups.append([Alternative(name_head_term(term), WEIGHT_FAMILY_HEAD, "head") for term in heads])
            roles.append(SOFT)
            for term in family:
                if FAMILY_GENERIC_WORDS.get(term, term) != head_term:  # "peralatan" is the head "alat"
                    groups.append([Alternative(term, WEIGHT_SOFT)])
                    roles.append(SOFT)
            i += family_length
            family_end = i
            continue
        if length:
            phrase = terms[i:i + length]
            phrase_groups = _phrase_groups(phrase, targets, kind, weight, vocabulary)
            if kind == "english":
                phrase_groups = [[alt if alt.kind != "english" or alt.term in direct_terms
                                  else Alternative(alt.term, round(alt.weight * WEIGHT_SYNONYM, 3), alt.kind)
                                  for alt in group] for group in phrase_groups]
            if len(phrase_groups) == 1:
                # The typed words are one concept ("snacks" -> camilan, "kudapan" -> camilan): a
                # family word there is the family. A word of a longer equivalent is not: "oil" of
                # "coconut oil" -> minyak kelapa is the kind of minyak asked for, not every minyak.
                phrase_groups = [_with_family_items(phrase_groups[0], hypernyms)]
            groups.extend(phrase_groups)
            roles.extend(_role(group) for group in phrase_groups)
            if len(phrase_groups) == 1 and kind == "english":
                _add_reached_family(groups, roles, family_heads, hypernyms)
            i += length
            continue
        term = terms[i]
        group = [Alternative(term)]
        if term.isdigit() and len(term) > SOFT_LENGTH:
            # A bare number may be the amount of a measure ("kopi 250" -> 250 g, "beras 5" is
            # too short to say): the measures with that number in any base unit.
            group += [Alternative(term + base, 1.0, "variant") for base in ("g", "ml", "cm")]
        elif vocabulary is not None:
            df = vocabulary.document_frequency(term) if term in vocabulary else 0
            if df <= RARE_DF:
                found = speller_for(vocabulary).corrections(term, vocabulary)
                if not df and typed_forms is None:
                    typed_forms = surface_forms(rest)  # once per query, for its unknown words
                typed = typed_forms.get(term, term) if not df and typed_forms else term
                if typed != term:
                    # The stemmer cut an unknown word ("teripan" -> "ipan"): what was typed is
                    # corrected first (teripang), the cut root after (ikan).
                    from_typed = speller_for(vocabulary).corrections(typed, vocabulary)
                    found = (from_typed + [c for c in found if c[0] not in {t[0] for t in from_typed}])[:MAX_CORRECTIONS]
                if df:
                    found = [c for c in found if c[2] >= RARE_RATIO * df]
                for candidate, distance, _df in found:
                    group.append(Alternative(candidate, WEIGHT_TYPO[distance], "typo"))
                if found and df == 0:
                    corrections[term] = found[0][0]
                group = _with_family_items(group, hypernyms)
        role = _role(group)
        if i > 0 and terms[i - 1] in PROXIMITY_TERMS:
            role = SOFT  # "dekat pantai": near the beach says where, not what
        if role == SOFT:
            group = [Alternative(alt.term, round(alt.weight * WEIGHT_SOFT, 3), alt.kind) for alt in group]
        groups.append(group)
        roles.append(role)
        i += 1
    for soft_indexes, concept_index, heads in reversed(family_heads):
        # The buyer also named an item ("buah durian", "dive trip"): the item is what is asked
        # for, so the family's other items must not rank first for being items.
        named = {alt.term for index, group in enumerate(groups)
                 if index != concept_index and roles[index] == CONCEPT
                 for alt in group if alt.kind not in ("hypernym", "category")}
        if named & heads:
            for index in sorted(soft_indexes, reverse=True):
                del groups[index], roles[index]
    hint = None
    for _start, _length, region, place in places:
        named = place.kind in NAMED_PLACE_KINDS
        # A named place (an island, a beach, a cave) is what the buyer asks for, like a product
        # word: a concept, which the listing that names it covers, and a product of its
        # kabupaten less so. A kabupaten, town or kecamatan is a preference (PLACE).
        group = [Alternative(place_term(region), WEIGHT_NAMED_PLACE_REGION if named else 1.0, "place")]
        name_terms = analyze(place.name)
        if len(name_terms) == 1:
            group.append(Alternative(name_terms[0]))  # "Raha" in a listing's text
        elif named:
            # "Liang Kobori", "Pulau Bokori": the listing that names the place says "kobori";
            # the generic words (liang, pulau, pantai) would match every cave or beach.
            group += [Alternative(term) for term in name_terms if term not in PLACE_GENERIC_TERMS]
        elif place.kind == "kecamatan":
            # "Tiworo Kepulauan", "Kabaena Barat": a listing names the area ("Selat Tiworo",
            # "tenun Kabaena") more often than the kecamatan.
            group += [Alternative(term) for term in _area_terms(place.name, region)]
        groups.append(group)
        roles.append(CONCEPT if named and terms else PLACE)
        hint = hint or region
    if hint is None and corrections:
        # A misspelt place ("Kendri") still says where the buyer wants to buy from.
        hint = region_hint([corrections.get(term, term) for term in terms])
    return QueryPlan(groups=groups, region_hint=hint, corrected=_corrected(text, corrections), roles=tuple(roles))


# A number keeps its separators ("1/2", "0,5", "15.000": the analyzer reads them), a name its
# hyphens.
_PLACE_WORD = re.compile(r"[0-9]+(?:[.,/\u2044][0-9]+)+[a-z0-9]*|[a-z0-9]+(?:-[a-z0-9]+)*")


def place_words(text: str | None) -> list[str]:
    """The query's words as the gazetteer reads them: folded, hyphenated names kept whole
    ("Bau-Bau", "Wangi-Wangi", which the analyzer's reduplication rule would collapse)."""
    return _PLACE_WORD.findall(fold(text or ""))


@functools.lru_cache(maxsize=None)
def _area_terms(name: str, region: str) -> tuple[str, ...]:
    """The area a kecamatan named by an area and a direction lies in ("tiworo" of "Tiworo
    Kepulauan", "poleang" of "Poleang Timur"), when that word names places of this region only
    ("wakorumba" is Muna and Buton Utara: none) and is a plain word ("wangi-wangi" is "wangi",
    a common word: none). Other names give none."""
    words = name.split()
    distinct = [word for word in words if analyze(word) != [] and analyze(word)[0] not in PLACE_GENERIC_TERMS]
    if len(distinct) != 1 or len(words) < 2 or analyze(distinct[0]) != [distinct[0]]:
        return ()
    area = distinct[0]
    if any(area in analyze(other) for other, place in PLACES.items() if place.region != region):
        return ()
    return (area,)


def _with_family_items(group: list[Alternative], hypernyms: Hypernyms) -> list[Alternative]:
    """A group whose synonym, English word or typo correction is a family word ("snack" ->
    camilan) also takes the family's items, as the family word itself would."""
    added = list(group)
    for alt in group:
        if alt.kind == "exact":
            continue  # the word as typed: a family there was looked up already
        entry = hypernyms.table.get((alt.term,))
        for item in entry[1:] if entry else ():
            if all(other.term != item[0] for other in added):
                family_item = _family_item(item[0])
                added.append(Alternative(family_item.term, round(family_item.weight * alt.weight, 3), family_item.kind))
    return added


def _add_reached_family(groups: list[list[Alternative]], roles: list[str],
                        family_heads: list[tuple[list[int], int, set[str]]], hypernyms: Hypernyms) -> None:
    """The last group is an English word for a family ("snacks" -> camilan, "jewelry" ->
    perhiasan): the buyer named the family, in English, so the family's soft groups follow it as
    they follow the Indonesian word: its categories (a listing filed there scores once more) and
    its name heads (a listing whose name starts with the family word or an item is one)."""
    concept_index = len(groups) - 1
    group = groups[concept_index]
    if roles[concept_index] != CONCEPT:
        return
    families = [(alt.term, hypernyms.table[(alt.term,)]) for alt in group
                if alt.kind == "english" and (alt.term,) in hypernyms.table]
    if not families:
        return
    categories: list[str] = []
    heads: list[str] = [alt.term for alt in group if alt.kind == "exact"]
    for family_term, entry in families:
        heads.append(family_term)
        for item in entry[1:]:
            (categories if category_slug(item[0]) is not None else heads).append(item[0])
    soft_indexes = []
    if categories:
        soft_indexes.append(len(groups))
        groups.append([Alternative(term, WEIGHT_FAMILY_WORD, "family") for term in dict.fromkeys(categories)])
        roles.append(SOFT)
    heads = list(dict.fromkeys(heads))
    soft_indexes.append(len(groups))
    family_heads.append((soft_indexes, concept_index, set(heads)))
    groups.append([Alternative(name_head_term(term), WEIGHT_FAMILY_HEAD, "head") for term in heads])
    roles.append(SOFT)


def _family_item(term: str) -> Alternative:
    """An item of a family: a word (below the family word), or a category (below a word)."""
    if category_slug(term) is not None:
        return Alternative(term, WEIGHT_FAMILY_CATEGORY, "category")
    return Alternative(term, WEIGHT_HYPERNYM, "hypernym")


PROXIMITY_TERMS = frozenset(analyze("dekat sekitar near", keep_stopwords=True))


def _role(group: list[Alternative]) -> str:
    """SOFT for a group of only very short terms (a fragment, a one- or two-digit number), a
    word that qualifies rather than names (``SOFT_TERMS``), or a negated word ("no-pedas":
    a listing that says "tidak pedas" ranks higher; one that does not is still found)."""
    if group[0].term in SOFT_TERMS or is_negated(group[0].term) or all(len(alt.term) <= SOFT_LENGTH for alt in group):
        return SOFT
    return CONCEPT


def region_hint(terms: list[str]) -> str | None:
    """The BPS code of the first place the words name (longest name first: "Muna Barat"
    is 7413, not Muna)."""
    found = find_places(terms)
    return found[0][2] if found else None


def _corrected(text: str | None, corrections: dict[str, str]) -> str | None:
    """``text`` with each word the index did not know replaced by its best correction."""
    if not corrections or not text:
        return None
    words = []
    for word in text.split():
        word_terms = query_terms(word)
        if len(word_terms) == 1 and word_terms[0] in corrections:
            words.append(corrections[word_terms[0]])
        else:
            words.append(word)
    return " ".join(words)
