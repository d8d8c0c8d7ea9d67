"""Campaign names and descriptions: no control characters (422 naming the field), NFC, and
line breaks only in the description."""
from datetime import datetime, timedelta, timezone

import pytest

from services.promotion.campaigns.validation import validate_campaign
from shared.errors import ValidationFailed

NOW = datetime(2026, 12, 5, tzinfo=timezone.utc)
BODY = {"name": "Festival Kopi", "starts_at": (NOW + timedelta(hours=1)).isoformat(),
        "ends_at": (NOW + timedelta(hours=2)).isoformat(), "discount": {"type": "percent", "value": 10},
        "target": {"regions": ["7404"]}}


@pytest.mark.parametrize("field, value", [("name", "Festival\x00Kopi"), ("name", "Festival\nKopi"),
                                          ("name", "Festival\ud800"), ("description", "Diskon\x85"),
                                          ("description", "Diskon\x00")])
def test_a_control_character_is_refused_naming_the_field(field, value):
    with pytest.raises(ValidationFailed) as info:
        validate_campaign({**BODY, field: value}, NOW)
    assert set(info.value.fields) == {field}


def test_texts_are_nfc_and_the_description_keeps_line_breaks():
    clean = validate_campaign({**BODY, "name": "Festival Kafe\u0301", "description": "Satu\r\nDua"}, NOW)
    assert clean["name"] == "Festival Kaf\u00e9" and clean["description"] == "Satu\nDua"
