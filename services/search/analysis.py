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
    """.split()
)

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
}

# Words that look affixed but are roots (or product names): never stemmed.
PROTECTED: frozenset[str] = frozenset(
    """
    beras terasi terigu durian petai pepaya mentega mentimun merica mengkudu melinjo
    perahu selatan lautan kenari melati pelangi permen pedas kemiri kedelai sepatu
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

_VOWELS = "aeiou"
_REDUPLICATED_DIGIT = re.compile(r"\b([a-z]{2,})2\b")  # "oleh2" -> "oleh"
_REDUPLICATED_HYPHEN = re.compile(r"\b([a-z]{2,})-\1\b")  # "oleh-oleh" -> "oleh"
_TOKEN = re.compile(r"[a-z]+|[0-9]+")  # "500ml" -> "500", "ml"
# A final ai/au/oi is one syllable (pantai, pulau); elsewhere every vowel counts (ba-ik, hi-as).
_SYLLABLE = re.compile(r"(?:ai|au|oi)$|[aeiou]")


def fold(text: str) -> str:
    """Lowercase and strip accents/compatibility forms ("Kopi Café" -> "kopi cafe")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def tokenize(text: str) -> list[str]:
    """Folded tokens. Reduplication (oleh2, oleh-oleh) collapses to its base word, which
    is what the stemmer does to the partial kind too (buah-buahan -> buah, buah)."""
    folded = fold(text)
    folded = _REDUPLICATED_DIGIT.sub(r"\1", folded)
    folded = _REDUPLICATED_HYPHEN.sub(r"\1", folded)
    return _TOKEN.findall(folded)


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
    if token.isdigit():
        return token
    token = VARIANTS.get(token, token)
    token = stem(token)
    return VARIANTS.get(token, token)


def analyze(text: str | None, keep_stopwords: bool = False) -> list[str]:
    """Index terms of ``text`` in order (duplicates kept: they count as term frequency)."""
    if not text:
        return []
    terms = []
    for token in tokenize(text):
        if not token.isdigit() and (len(token) < 2 or (not keep_stopwords and token in STOPWORDS)):
            continue
        terms.append(normalize_token(token))
    return terms


def query_terms(text: str | None) -> list[str]:
    """Distinct terms of a query, in the order typed."""
    return list(dict.fromkeys(analyze(text)))
