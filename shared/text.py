"""Text hygiene: the one check every validator runs on text that comes from outside.

``clean_text(value, multiline=...)`` refuses characters that have no business in a name,
a description or a query, and returns the text NFC-normalised, so that "é" typed as one
code point and "e" + combining accent are stored, compared, counted and searched alike:

- C0 control characters (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F):
  invisible, they break terminals, CSV exports and logs, and PostgreSQL refuses NUL in
  text while SQLite stores it, so the same request would succeed on one database and fail
  on the other;
- lone surrogates (U+D800–U+DFFF, reachable through a JSON ``"\\ud800"`` escape): not
  characters at all, they cannot be encoded as UTF-8 and fail wherever the text is written;
- Unicode noncharacters (U+FDD0–U+FDEF and the last two code points of every plane);
- line breaks and tabs, except in long texts (``multiline=True``: descriptions, addresses,
  reasons), where a tab and a newline are kept and CRLF, CR, U+2028 and U+2029 become ``\\n``.

The validator calls it inside its own text check and turns ``UnsafeText`` into its usual
field error, so the 422 names the field. Trimming and lengths stay the validator's (after
this call, so lengths count NFC characters).
"""
from __future__ import annotations

import re
import unicodedata

from shared.messages import t

LINE_BREAKS = "\n\r\u2028\u2029"
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF)
                                           for plane in range(17))
# What no text may hold: C0 except tab and newline, DEL, C1, surrogates, noncharacters.
_NEVER = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff" + _NONCHARACTERS
_FORBIDDEN_IN_LONG_TEXT = re.compile(f"[{_NEVER}]")
_FORBIDDEN_IN_ONE_LINE = re.compile(f"[{_NEVER}\t{LINE_BREAKS}]")
_LINE_ENDINGS = re.compile("\r\n|[\r\u2028\u2029]")


class UnsafeText(ValueError):
    """The text holds a character it may not; ``message`` (Indonesian, through ``t``) says
    which, for the validator to put under the field's name."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def clean_text(value: str, *, multiline: bool = False) -> str:
    """``value`` NFC-normalised (line endings made ``\\n`` when ``multiline``), or
    ``UnsafeText`` naming the first character that is not allowed."""
    if multiline:
        value = _LINE_ENDINGS.sub("\n", value)
    char = _first_forbidden(value, multiline=multiline)
    if char is not None:
        raise UnsafeText(problem_with(char))
    return unicodedata.normalize("NFC", value)


def clean_field(value: object, field: str, errors: dict[str, str], multiline: bool = False) -> object:
    """For validators that gather every field's problem: a text ``clean_text``-ed, or None
    with the problem put in ``errors[field]``; anything that is not a text as given (the
    caller checks its type)."""
    if not isinstance(value, str):
        return value
    try:
        return clean_text(value, multiline=multiline)
    except UnsafeText as problem:
        errors[field] = problem.message
        return None


def problem_with(char: str) -> str:
    if char == "\t" or char in LINE_BREAKS:
        return t("tidak boleh berisi baris baru atau tab")
    code = "U+%04X" % ord(char)
    return t("berisi karakter tak terlihat yang tidak diizinkan (%(code)s)", code=code)


def is_clean(value: str, *, multiline: bool = False) -> bool:
    """True when ``clean_text`` would accept ``value`` (it may still change by NFC)."""
    return _first_forbidden(value, multiline=multiline) is None


def find_unsafe(value: object, *, multiline: bool = True, path: str = "") -> tuple[str, str] | None:
    """The first string in a decoded JSON value (keys included) that ``clean_text`` would
    refuse, as (its dotted path, the problem), or None. The gateway runs it on whole request
    bodies, query strings and path parameters, so that no string with a NUL or a lone
    surrogate reaches a database query (PostgreSQL refuses NUL even in a lookup by id);
    the validators still clean each field they keep."""
    if isinstance(value, str):
        char = _first_forbidden(value, multiline=multiline)
        return None if char is None else (path, problem_with(char))
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = find_unsafe(key, multiline=False, path=where) or find_unsafe(item, multiline=multiline, path=where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = find_unsafe(item, multiline=multiline, path=path)
            if found is not None:
                return found
    return None


def _first_forbidden(value: str, *, multiline: bool) -> str | None:
    if multiline:
        match = _FORBIDDEN_IN_LONG_TEXT.search(_LINE_ENDINGS.sub("\n", value))
    else:
        match = _FORBIDDEN_IN_ONE_LINE.search(value)
    return None if match is None else match.group()
