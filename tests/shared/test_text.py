"""shared/text.py: which characters a text from outside may hold, and NFC."""
import pytest

from shared.text import UnsafeText, clean_text, find_unsafe, is_clean


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\ud800", "\udfff",
                                  "\ufdd0", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff"])
def test_control_characters_surrogates_and_noncharacters_are_refused_in_every_text(char):
    for multiline in (False, True):
        with pytest.raises(UnsafeText) as info:
            clean_text(f"Kopi{char}Kolaka", multiline=multiline)
        assert f"U+{ord(char):04X}" in info.value.message
        assert not is_clean(f"Kopi{char}Kolaka", multiline=multiline)


@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\u2028", "\u2029"])
def test_line_breaks_and_tabs_are_refused_on_one_line(char):
    with pytest.raises(UnsafeText) as info:
        clean_text(f"Kopi{char}Kolaka")
    assert info.value.message == "tidak boleh berisi baris baru atau tab"


def test_long_texts_keep_newlines_and_tabs_with_line_endings_made_one():
    assert clean_text("satu\r\ndua\rtiga\u2028empat\tlima\n", multiline=True) == "satu\ndua\ntiga\nempat\tlima\n"


def test_text_is_nfc_normalised():
    decomposed = "Kafe\u0301 Wakatobi"  # e + combining acute accent
    assert clean_text(decomposed) == "Kaf\u00e9 Wakatobi"
    assert len(clean_text(decomposed)) == len(decomposed) - 1


@pytest.mark.parametrize("text", ["Tenun Ikat Muna", "Kopi 100% Arabika — 250 g", "中文", "😀 emoji", "\u00a0nbsp", ""])
def test_ordinary_text_passes_unchanged(text):
    assert clean_text(text) == text


def test_find_unsafe_names_the_first_bad_string_of_a_json_value_keys_included():
    assert find_unsafe({"name": "Kopi", "target": {"product_ids": ["p1", "p\x002"]}}) == \
        ("target.product_ids", "berisi karakter tak terlihat yang tidak diizinkan (U+0000)")
    assert find_unsafe({"ok\ud800": 1})[0] == "ok\ud800"
    assert find_unsafe({"description": "satu\r\ndua", "n": 5, "flag": None}) is None  # line breaks: the validator's call
    assert find_unsafe({"q": "satu\ndua"}, multiline=False)[0] == "q"
