"""What a new password must be, as NIST SP 800-63B (section 5.1.1.2) asks of a verifier.

- At least ``MIN_LENGTH`` (8) characters and at most ``MAX_LENGTH`` (256, so that a huge
  password cannot be used to burn CPU in the hash); any characters, spaces included, and no
  composition rules (no "one digit, one capital").
- Compared as NFKC, as NIST recommends, so that the same password typed on two keyboards
  (a full-width digit, a ligature) is the same password; ``normalize`` is used both when a
  password is set and when it is checked.
- Not one of the common and breached passwords: the 30,000 most common passwords from
  breach corpora that the ``zxcvbn`` package ships (its ``passwords`` frequency list,
  read from the installed package, nothing fetched), plus a few words of this service and
  region (``CONTEXT_WORDS``). Compared without case, and also with the digits and symbols
  people add at the ends taken off ("Password1!" is "password").
- Not repetitive or sequential ("aaaaaaaa", "abcabcab", "12345678", "87654321",
  "qwertyui"), and not just the account's own email or name with a few digits.

``problem(password, email, name)`` says what is wrong in one Indonesian sentence (through
``t``, so the pages show it in English when asked), or returns None.
"""
from __future__ import annotations

import functools
import re
import unicodedata

from shared.api_fields import ACCOUNT
from shared.messages import t
from shared.text import UnsafeText, clean_text

MIN_LENGTH, MAX_LENGTH = ACCOUNT["password"].min_length, ACCOUNT["password"].max_length

COMMON = t("Kata sandi ini termasuk yang paling sering dipakai atau pernah bocor, jadi mudah ditebak. "
           "Pilih yang lain, misalnya gabungan tiga atau empat kata.")
TRIVIAL = t("Kata sandi ini hanya huruf atau angka yang berulang atau berurutan (seperti aaaaaaaa atau "
            "12345678), jadi mudah ditebak. Pilih yang lain.")
PERSONAL = t("Kata sandi tidak boleh hanya berisi nama atau email Anda (atau nama layanan ini) dengan sedikit "
             "tambahan. Pilih yang lain.")
UNSAFE = t("Kata sandi berisi karakter kendali yang tidak diizinkan.")

# Words of this service and its region that a guesser tries first (NIST: "context-specific words").
CONTEXT_WORDS = ("etalase", "etalasesultra", "sultra", "sulawesi", "sulawesitenggara", "kendari", "umkm",
                 "koperasi")
# Rows and columns of a keyboard, walked either way ("qwertyui", "lkjhgfds", "1qaz2wsx").
KEYBOARD_WALKS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
                  "`1234567890-=", "!@#$%^&*()_+")
_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def normalize(password: str) -> str:
    """The form a password is hashed and checked in (NFKC)."""
    return unicodedata.normalize("NFKC", password)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common and breached passwords, lower case (loaded once, ~2 MB)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # a large module: imported on first use

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"]) | frozenset(CONTEXT_WORDS)


def problem(password: str, email: str | None = None, name: str | None = None) -> str | None:
    """Why ``password`` may not be used, or None. ``email`` and ``name`` are the account's."""
    try:
        clean_text(password)  # no control characters (tabs and line breaks included), no surrogates
    except UnsafeText:
        return UNSAFE
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        return t("Kata sandi minimal %(min)s karakter.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return t("Kata sandi maksimal %(max)s karakter; pakai kalimat sandi yang lebih pendek.", max=MAX_LENGTH)
    lowered = password.casefold()
    if is_trivial(lowered):
        return TRIVIAL
    if is_common(lowered):
        return COMMON
    if is_personal(lowered, email, name):
        return PERSONAL
    return None


def is_common(lowered: str) -> bool:
    """On the list, as typed or with digits and symbols at the ends taken off."""
    listed = common_passwords()
    bare = _ENDS.sub("", lowered)
    return lowered in listed or (len(bare) >= 4 and bare in listed)


def is_trivial(lowered: str) -> bool:
    """One short unit repeated ("aaaaaaaa", "abab…", "123123…"), a run of consecutive code
    points either way ("abcdefgh", "98765432"), or a walk along a keyboard row."""
    for size in range(1, len(lowered) // 2 + 1):
        unit = lowered[:size]
        if unit * (len(lowered) // size) + unit[: len(lowered) % size] == lowered:
            return True
    steps = {ord(b) - ord(a) for a, b in zip(lowered, lowered[1:])}
    if steps in ({1}, {-1}):
        return True
    return any(lowered in walk or lowered in walk[::-1] for walk in KEYBOARD_WALKS)


def is_personal(lowered: str, email: str | None, name: str | None) -> bool:
    """The email, its local part or the name (or a word of it) with at most a few letters
    or only digits and symbols around it."""
    words: set[str] = set()
    if email:
        email = email.casefold()
        words |= {email, email.split("@", 1)[0]}
    if name:
        parts = name.casefold().split()
        words |= {"".join(parts)} | {part for part in parts if len(part) >= 3}
    words |= {re.sub(r"[\W_]", "", word) for word in words}  # "wa.ode" is also "waode"
    words |= set(CONTEXT_WORDS)
    for word in (w for w in words if len(w) >= 3):
        if word in lowered:
            rest = lowered.replace(word, "")
            if len(rest) < 4 or not _ENDS.sub("", rest):
                return True
    return False
