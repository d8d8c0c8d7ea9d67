"""engine.did_you_mean: the rule both engines follow for "Mungkin maksud Anda"."""
import pytest

from services.search.engine import GOOD_RESULTS, did_you_mean

KNOWN = {"madu", "hutan", "tenun"}


def known(word: str) -> bool:
    return word in KNOWN


@pytest.mark.parametrize("typed, corrected, typed_total, corrected_total, expected", [
    ("mdau", "madu", 0, 3, "madu"),            # the typed word finds nothing, the correction finds some
    ("mdau", "madu", 0, 1, "madu"),
    ("mdau hutan", "madu hutan", 1, 3, "madu hutan"),
    ("mdau", "madu", 1, 2, None),              # not clearly more (needs 2 x 1 + 1)
    ("mdau", "madu", GOOD_RESULTS, 40, None),  # the typed words already find enough
    ("mdau", "madu", 0, 0, None),              # the correction finds nothing either
    ("madu", "madu", 0, 3, None),              # the same query
    ("Madu", "madu", 0, 3, None),
    ("mdau", None, 0, 3, None),                # nothing corrected
    ("tnun", "tenu", 0, 3, None),              # a clipped word the index does not hold
])
def test_did_you_mean(typed, corrected, typed_total, corrected_total, expected):
    assert did_you_mean(typed, corrected, typed_total, corrected_total, known) == expected
