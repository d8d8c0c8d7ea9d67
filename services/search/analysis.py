"""Indonesian text analysis: the same pipeline runs over documents and over queries.

    text -> fold (lowercase, accents off) -> tokens (reduplication collapsed, numbers kept)
         -> drop stopwords -> spelling variant -> light stem -> spelling variant

A term only has to come out the same on both sides, so the stemmer is deliberately
conservative: a wrong split makes two words collide, a missing split only loses a match
between related forms. The later search work (synonyms, typos, "khas Muna") builds on
``analyze``; keep this module free of engine concerns.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Function words that carry no product meaning. "khas" ("typical of") is here because
# "kopi khas Buton" should match on kopi + Buton; regional intent is handled later.
STOPWORDS: frozenset[str] = frozenset(
    """
    yang dan di ke dari untuk dengan khas atau ini itu pada dalam juga adalah akan
    agar bagi para sebagai serta sudah telah tersebut tidak bisa dapat ada
    lebih sangat paling secara hingga sampai kami kita anda kamu saya ia dia mereka
    pun lah kah the and of for with in to a an
    yg dgn dg utk dr dri sm aja saja ya dong deh sih nih tuh kak gan sis mau pengen pingin ingin
    dimana mana brp berapa please
    """.split()
)

# Words that negate the next one ("tidak pedas", "tanpa gula", "non halal"): the two become
# one term, "no-pedas", on both sides, so a buyer asking for "tidak pedas" meets the listing
# that says it, and neither is taken for one that says "pedas".
NEGATORS: frozenset[str] = frozenset("tidak tanpa bukan non no without gak ga nggak ngga enggak tak".split())
NEGATED_PREFIX = "no-"
# Words between a negator and what it negates ("tidak pakai pengawet", "tanpa mengandung gula").
NEGATION_FILLERS: frozenset[str] = frozenset("pakai pake mengandung menggunakan terlalu begitu ada".split())

# Spellings sellers actually use -> the one the index keeps. Applied to whole tokens
# before and after stemming, so "kripiknya" and "keripik" meet.
VARIANTS: dict[str, str] = {
    "kripik": "keripik",
    "kripick": "keripik",
    "keripick": "keripik",
    "krupuk": "kerupuk",
    "coklat": "cokelat",
    "cokelat": "cokelat",
    "mente": "mete",
    "sambel": "sambal",
    "kopy": "kopi",
    "kofi": "kopi",
    "cabe": "cabai",
    "cabay": "cabai",
    "trasi": "terasi",
    "sirop": "sirup",
    "cemilan": "camilan",
    "cemil": "camil",
    "baso": "bakso",
    "mie": "mi",
    "kueh": "kue",
    "kasoami": "kasuami",
    "sinongi": "sinonggi",
    "sarong": "sarung",
    "klapa": "kelapa",
    "cengkih": "cengkeh",
    "nenas": "nanas",
    "duren": "durian",
    "apokat": "alpukat",
    "terung": "terong",
    "jinten": "jintan",
    "sirsat": "sirsak",
    # colloquial verb forms buyers type (Jakarta-style nasal forms, dropped vowels)
    "nginep": "inap",
    "nyewa": "sewa",
    "nyelam": "selam",
    "mancing": "pancing",
    "ngopi": "kopi",
    # colloquial vowel forms of a describing word ("minuman anget", "buah seger", "sambel
    # pedes"): a family named with one ("[minuman] hangat") must read it as the standard word
    "anget": "hangat",
    "seger": "segar",
    "pedes": "pedas",
    # the spellings of one word (KBBI: salat; teripang, older trepang/tripang)
    "sholat": "salat",
    "shalat": "salat",
    "trepang": "teripang",
    "tripang": "teripang",
}

# Words that look affixed but are roots (or product names): never stemmed.
PROTECTED: frozenset[str] = frozenset(
    """
    beras terasi terigu durian petai pepaya mentega mentimun merica mengkudu melinjo
    perahu selatan lautan kenari melati pelangi permen pedas kemiri kedelai sepatu teripang
    periuk perunggu kuningan ulekan kukusan parutan perhiasan manisan
    """.split()
)

# A few roots that settle ambiguous prefixes (memasak: me+masak, not mem+pasak).
ROOTS: frozenset[str] = frozenset(
    """
    masak makan minum tenun anyam ukir sulam rajut jahit olah goreng bakar panggang
    kukus asin asap kering giling tumbuk jual beli buat kemas rawat rajin hias tanam
    tani ikat rasa manis pasar pilih campur warna lukis pakai isi
    """.split()
)

# Units of measure -> (base unit, how many base units one is). A measure is one term, in the
# base unit, whether it was written "1 kg", "1kg", "1000 gr" or "1.000 gram": all "1000g".
UNITS: dict[str, tuple[str, float]] = {
    "g": ("g", 1), "gr": ("g", 1), "grm": ("g", 1), "gram": ("g", 1), "gm": ("g", 1),
    "kg": ("g", 1000), "kilo": ("g", 1000), "kilogram": ("g", 1000), "ons": ("g", 100),
    "mg": ("g", 0.001),
    "ml": ("ml", 1), "cc": ("ml", 1), "l": ("ml", 1000), "lt": ("ml", 1000), "ltr": ("ml", 1000),
    "liter": ("ml", 1000), "litre": ("ml", 1000),
    "cm": ("cm", 1), "mm": ("cm", 0.1), "m": ("cm", 100), "meter": ("cm", 100),
}
MEASURE_BASES = frozenset(base for base, _factor in UNITS.values())

_VOWELS = "aeiou"
_REDUPLICATED_DIGIT = re.compile(r"\b([a-z]{2,})2(?:an)?\b")  # "oleh2" -> "oleh", "buah2an" -> "buah"
_REDUPLICATED_HYPHEN = re.compile(r"\b([a-z]{2,})-\1\b")  # "oleh-oleh" -> "oleh"
# A run of letters and digits, with the separators of a number kept ("1,5", "15.000").
_RUN = re.compile(r"[0-9]+(?:[.,][0-9]+)*[a-z0-9]*|[a-z]+[a-z0-9]*")
_DIGIT = re.compile(r"[0-9]")
_NUMBER_UNIT = re.compile(r"([0-9]+(?:[.,][0-9]+)*)([a-z]*)$")
# "150 x 60 cm", "150x60": a size, one token ("150x60"); its unit is left out, as buyers do.
_DIMENSIONS = re.compile(r"\b([0-9]+(?:[.,][0-9]+)?)\s*[x\u00d7]\s*([0-9]+(?:[.,][0-9]+)?)(?:\s*(?:cm|mm|meter|m)\b)?")
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+$")
_UNIT_WORD = "|".join(sorted(UNITS, key=len, reverse=True))
# An amount written as a fraction ("1/2 kg", "½ kg", folded to "1\u20442") or in words
# ("setengah kilo", "sekilo"), before a unit: a number, so it becomes the same measure.
_FRACTION = re.compile(rf"\b([0-9]+)\s*[/\u2044]\s*([0-9]+)(?=\s*(?:{_UNIT_WORD})\b)")
AMOUNT_WORDS = {"setengah": "0.5", "seperempat": "0.25", "satu": "1", "dua": "2", "tiga": "3", "empat": "4",
                "lima": "5", "enam": "6", "tujuh": "7", "delapan": "8", "sembilan": "9", "sepuluh": "10"}
_AMOUNT_WORD = re.compile(rf"\b({'|'.join(AMOUNT_WORDS)})\s+(?=(?:{_UNIT_WORD})\b)")
_SE_UNIT = re.compile(r"\bse(kilo|liter|ons)\b")  # "sekilo" is one kilo
# A product code: a few letters and a number joined by a hyphen or slash ("KPK-925", "TM/07"),
# or capitals and a number apart ("SR 07"). Its pieces stay terms; the joined form ("kpk925")
# is one more, so the code typed without its hyphen finds it.
_CODE = re.compile(r"\b([a-z]{1,5})[-/]([0-9]{1,6})\b")
_SPACED_CODE = re.compile(r"\b([A-Z]{2,5}) ([0-9]{1,6})\b")  # "15.000": a thousands separator, not a decimal
# A final ai/au/oi is one syllable (pantai, pulau); elsewhere every vowel counts (ba-ik, hi-as).
_SYLLABLE = re.compile(r"(?:ai|au|oi)$|[aeiou]")


def fold(text: str) -> str:
    """Lowercase and strip accents/compatibility forms ("Kopi Café" -> "kopi cafe")."""
    if text.isascii():
        return text.lower()  # most text: nothing to decompose (NFKD leaves ASCII as it is)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def tokenize(text: str) -> list[str]:
    """Folded tokens. Reduplication (oleh2, oleh-oleh) collapses to its base word, which
    is what the stemmer does to the partial kind too (buah-buahan -> buah, buah).

    A number with a unit, together or apart ("250g", "250 gr", "1 kg"), is one measure token
    in the base unit ("250g", "1000g"); any other mix of letters and digits ("abc12de34",
    "v60", "2in1") stays one token, so a code never falls apart into one- and two-character
    pieces that would match unrelated products."""
    folded = fold(text)
    amounts = _amounts(folded) if "se" in folded or "/" in folded or "\u2044" in folded else folded
    if _DIGIT.search(amounts) is None:
        # No digit, even after amount words (most names and descriptions): no code, measure,
        # size or "oleh2" to find, every run is a plain word. The same tokens, fewer passes.
        if "-" in amounts:
            amounts = _REDUPLICATED_HYPHEN.sub(r"\1", amounts)
        return _RUN.findall(amounts)
    codes = [f"{letters}{digits}" for letters, digits in _CODE.findall(folded)]
    codes += [f"{letters.lower()}{digits}" for letters, digits in _SPACED_CODE.findall(text)]
    folded = _REDUPLICATED_DIGIT.sub(r"\1", amounts)
    folded = _REDUPLICATED_HYPHEN.sub(r"\1", folded)
    if "x" in folded or "\u00d7" in folded:
        folded = _DIMENSIONS.sub(lambda m: f" {_plain_number(m.group(1))}x{_plain_number(m.group(2))} ", folded)
    tokens: list[str] = []
    for run in _RUN.findall(folded):
        if run.isalpha():
            tokens.append(run)  # most runs: a plain word
            continue
        number_unit = _NUMBER_UNIT.match(run)
        if number_unit is None:
            tokens.append(run)  # a word, or a code that starts with a letter
            continue
        number, unit = number_unit.groups()
        if not unit:
            tokens.append(_plain_number(number))
        elif unit in UNITS:
            tokens.append(measure(number, unit))
        else:
            tokens.append(run)  # "2in1", "3d": a code
    return _join_measures(tokens) + list(dict.fromkeys(codes))


def _amounts(folded: str) -> str:
    """Fractions and amount words before a unit as numbers: "1/2 kg" and "setengah kilo" ->
    "0.5 kg", "sekilo" -> "1 kilo"."""
    folded = _FRACTION.sub(lambda m: _fraction(m.group(1), m.group(2)), folded)
    folded = _AMOUNT_WORD.sub(lambda m: AMOUNT_WORDS[m.group(1)] + " ", folded)
    return _SE_UNIT.sub(r"1 \1", folded)


def _fraction(numerator: str, denominator: str) -> str:
    if int(denominator) == 0:
        return f"{numerator}/{denominator}"
    return f"{int(numerator) / int(denominator):.3f}".rstrip("0").rstrip(".")


def _plain_number(number: str) -> str:
    """"15.000" -> "15000"; "1,5" -> "1.5"; "250" stays."""
    if _THOUSANDS.match(number):
        return number.replace(".", "")
    return number.replace(",", ".")


def measure(number: str, unit: str) -> str:
    """The measure term of ``number`` ``unit`` in the base unit: ("1", "kg") -> "1000g"."""
    base, factor = UNITS[unit]
    try:
        value = float(_plain_number(number)) * factor
    except ValueError:
        return f"{number}{unit}"
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{text}{base}"


def _join_measures(tokens: list[str]) -> list[str]:
    """A number followed by a unit word ("250", "gr") becomes one measure ("250g")."""
    if not any(token in UNITS for token in tokens):
        return tokens
    joined: list[str] = []
    for token in tokens:
        if token in UNITS and joined and _is_number(joined[-1]):
            joined[-1] = measure(joined[-1], token)
        else:
            joined.append(token)
    return joined


def _is_number(token: str) -> bool:
    return bool(token) and token.replace(".", "", 1).isdigit()


def is_measure(term: str) -> bool:
    """Whether an analysed term is a measure ("250g", "1000ml")."""
    number_unit = _NUMBER_UNIT.match(term)
    return number_unit is not None and number_unit.group(2) in MEASURE_BASES


def _plausible_root(word: str) -> bool:
    # Indonesian roots have at least two syllables (a handful of 1-syllable ones are
    # too rare in product text to be worth the collisions: beras -> "as") and do not end
    # in a consonant cluster other than ng (dikemaskan -> kemas, not "kemask").
    if len(word) < 3 or len(_SYLLABLE.findall(word)) < 2:
        return False
    return not (word[-1] not in _VOWELS and word[-2] not in _VOWELS and word[-2:] != "ng")


def _prefix_options(word: str) -> list[tuple[str, bool]]:
    """(rest, had_prefix) readings of ``word``, most likely first, including no prefix."""
    options: list[str] = []
    vowel = lambda s: bool(s) and s[0] in _VOWELS  # noqa: E731

    for me in ("me", "pe"):
        if not word.startswith(me):
            continue
        rest = word[len(me):]
        if rest.startswith("ng"):
            after = rest[2:]
            options += [after, "k" + after] if vowel(after) else [after]
        elif rest.startswith("ny") and vowel(rest[2:]):
            options.append("s" + rest[2:])  # menyulam -> sulam
        elif rest.startswith("m"):
            after = rest[1:]
            # memukul -> pukul, memasak -> masak (the root list settles it)
            options += ["p" + after, rest] if vowel(after) else ([after] if after[:1] in "bfpv" else [])
        elif rest.startswith("n"):
            after = rest[1:]
            # menenun -> tenun, menjual -> jual
            options += ["t" + after, rest] if vowel(after) else ([after] if after[:1] in "cdjtsz" else [])
        elif me == "pe" and rest.startswith("r"):
            after = rest[1:]
            # perajin -> rajin, pertanian -> tani
            options += [rest, after] if vowel(after) else [after]
        elif rest[:1] in "lrwy" or (me == "pe" and rest and not vowel(rest)):
            options.append(rest)  # merajut -> rajut, pedagang -> dagang
    if word.startswith("ber"):
        options.append(word[3:])  # berisi -> isi
    if word.startswith("ter"):
        after = word[3:]
        options += [after, "r" + after] if vowel(after) else [after]
    if word.startswith("di"):
        options.append(word[2:])  # dikemas -> kemas
    if word.startswith("ke"):
        options.append(word[2:])  # only together with -an (kerajinan), see _candidates
    return [(option, True) for option in options if option] + [(word, False)]


def _candidates(word: str) -> list[str]:
    """Possible roots of ``word``, most likely first."""
    found: list[str] = []
    for rest, had_prefix in _prefix_options(word):
        is_ke = had_prefix and word.startswith("ke") and rest == word[2:]
        suffixes = ["an", "kan", "i"] if had_prefix else ["an"]
        for suffix in suffixes:
            if rest.endswith(suffix) and len(rest) > len(suffix):
                found.append(rest[: -len(suffix)])
        # ke- only exists as the confix ke-...-an; a bare "ke" start is part of the root.
        if not is_ke:
            found.append(rest)
    return found


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Light, rule-based Indonesian stemmer (tenunan, menenun -> tenun)."""
    if not word.isalpha() or word in PROTECTED or word in ROOTS:
        return word
    if word.endswith("nya") and _plausible_root(word[:-3]):
        word = word[:-3]  # rasanya -> rasa, tenunannya -> tenunan -> tenun
    elif word.endswith("lah"):
        # -lah is rare in listings and often part of the word (mengolah, sekolah):
        # strip it only when a known root comes out (belilah -> beli).
        root = _strip_affixes(word[:-3])
        if root in ROOTS:
            return root
    return _strip_affixes(word)


def _strip_affixes(word: str) -> str:
    if len(word) <= 4 or word in PROTECTED or word in ROOTS:
        return word  # short words are roots already (kopi, ikan, madu)
    candidates = [c for c in _candidates(word) if _plausible_root(c)]
    for candidate in candidates:
        if candidate in ROOTS:
            return candidate
    return candidates[0] if candidates else word


@lru_cache(maxsize=200_000)
def normalize_token(token: str) -> str:
    """One folded token -> its index term."""
    if not token.isalpha():
        return token  # numbers, measures and codes are kept as they are
    token = VARIANTS.get(token, token)
    token = stem(token)
    return VARIANTS.get(token, token)


def analyze(text: str | None, keep_stopwords: bool = False) -> list[str]:
    """Index terms of ``text`` in order (duplicates kept: they count as term frequency)."""
    if not text:
        return []
    terms = []
    negate = False
    for token in tokenize(text):
        if token in NEGATORS and not keep_stopwords:
            negate = True
            continue
        if token.isalpha() and (len(token) < 2 or (not keep_stopwords and token in STOPWORDS)):
            continue
        if negate and token in NEGATION_FILLERS:
            continue
        if negate and token.isalpha():
            terms.append(NEGATED_PREFIX + normalize_token(token))
        else:
            terms.append(normalize_token(token))
        negate = False
    return terms


def is_negated(term: str) -> bool:
    """Whether an analysed term is a negated word ("no-pedas")."""
    return term.startswith(NEGATED_PREFIX)



def surface_forms(text: str | None) -> dict[str, str]:
    """term -> the word as typed (folded) that gave it: a typo the stemmer cut into a wrong
    root ("teripan" -> "ipan") is corrected from what was typed."""
    forms: dict[str, str] = {}
    for token in tokenize(text or ""):
        if token.isalpha():
            forms.setdefault(normalize_token(token), token)
    return forms


def query_terms(text: str | None) -> list[str]:
    """Distinct terms of a query, in the order typed."""
    return list(dict.fromkeys(analyze(text)))
