"""When a body may skip kombu's decoder (shared.amqp_json.plain_json_text)."""
from types import SimpleNamespace

from shared.amqp_json import plain_json_text


def message(body, content_type="application/json", content_encoding="utf-8"):
    return SimpleNamespace(body=body, content_type=content_type, content_encoding=content_encoding)


def test_plain_utf8_json_is_read_as_text_whether_bytes_or_str():
    assert plain_json_text(message(b'{"nama": "Kasuami"}')) == '{"nama": "Kasuami"}'
    assert plain_json_text(message('{"nama": "Kasuami"}')) == '{"nama": "Kasuami"}'


def test_typed_values_other_types_and_encodings_go_to_kombu():
    assert plain_json_text(message(b'{"at": {"__type__": "datetime", "__value__": "2026-12-04"}}')) is None
    assert plain_json_text(message(b"\x80\x04", content_type="application/x-python-serialize")) is None
    assert plain_json_text(message(b'{"a": 1}', content_encoding="latin-1")) is None
