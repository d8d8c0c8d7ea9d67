"""Small pure pieces of the gateway: formatting, header parsing, migrations vs models."""
import socket

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.gateway.api import parse_if_match, parse_int_param
from services.gateway.formatting import format_rupiah
from services.gateway.models import Base
from services.gateway.site.buyer import present_item
from services.gateway.web import GatewayWebServer
from shared.errors import BadRequest, ValidationFailed


@pytest.mark.parametrize(
    "amount, text", [(0, "Rp 0"), (500, "Rp 500"), (15000, "Rp 15.000"), (1250000, "Rp 1.250.000"), (-2000, "-Rp 2.000")]
)
def test_format_rupiah(amount, text):
    assert format_rupiah(amount) == text


@pytest.mark.parametrize("header, version", [(None, None), ("", None), ("3", 3), ('"3"', 3), ('W/"12"', 12)])
def test_if_match_accepts_plain_and_quoted_versions(header, version):
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", ["abc", '"v1"', "-1", "1.5"])
def test_if_match_rejects_anything_else_naming_the_header(header):
    with pytest.raises(BadRequest) as info:
        parse_if_match(header)
    assert "If-Match" in info.value.fields


def test_int_params():
    assert parse_int_param({}, "page", 1) == 1
    assert parse_int_param({"page": "3"}, "page", 1) == 3
    with pytest.raises(ValidationFailed) as info:
        parse_int_param({"per_page": "banyak"}, "per_page", 20)
    assert set(info.value.fields) == {"per_page"}


def test_present_item_accepts_region_codes_and_merchant_dicts():
    item = present_item({"name": "Tenun Masalili", "price": 450000, "region": "7402", "merchant": {"name": "Koperasi Tenun"}})
    placeholder = item.pop("photo")  # no photo: the generic illustration (every card has an image)
    assert placeholder["placeholder"] is True and placeholder["src"].startswith("/static/img/kategori/lainnya.svg")
    assert item == {"id": None, "url": None, "name": "Tenun Masalili", "price": 450000, "region": "Muna",
                    "merchant": "Koperasi Tenun", "merchant_id": None, "verified": False, "halal": False,
                    "effective_price": None, "badge": None, "highlight": None, "unit": "", "sold_out": False}
    item = present_item({"name": "Kopi", "price": 25000, "region": {"code": "7401", "name": "Buton"}, "merchant_name": "UD Kopi"})
    assert item["region"] == "Buton" and item["merchant"] == "UD Kopi"


def test_present_item_shows_the_discount_and_the_escaped_highlight():
    item = present_item({"name": "<b>Kopi</b>", "price": 25000, "effective_price": 20000, "badge": "Diskon 20%",
                         "highlight": "&lt;b&gt;<mark>Kopi</mark>&lt;/b&gt;", "region": "7402"})
    assert item["effective_price"] == 20000 and item["badge"] == "Diskon 20%"
    assert str(item["highlight"]) == "&lt;b&gt;<mark>Kopi</mark>&lt;/b&gt;"
    assert present_item({"name": "Kopi", "price": 25000, "effective_price": 25000})["effective_price"] is None


def test_migrations_match_the_models(migrated, database_url):
    factory = migrated("gateway")
    with factory() as session:
        context = MigrationContext.configure(session.connection(), opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_search_page_shows_discount_badge_highlight_and_facet_links():
    from services.gateway.site.buyer import present_result
    from services.gateway.site.render import environment

    params = {"q": "kopi"}
    result = present_result({
        "total": 1, "page": 1, "per_page": 20, "suggestion": "kopi",
        "items": [{"id": "p1", "name": "<script>x</script> Kopi", "price": 25000, "effective_price": 20000,
                   "badge": "Diskon 20%", "region": "7402", "merchant": {"name": "UD <b>Kopi</b>"},
                   "highlight": "&lt;script&gt;x&lt;/script&gt; <mark>Kopi</mark>"}],
        "facets": {"region": [{"value": "7402", "label": "Muna", "count": 1}],
                   "category": [{"value": "kopi-teh", "label": "Kopi & Teh", "count": 1}]},
    }, "/", params)
    html = environment().get_template("search.html").render(
        lang="id", user=None, csrf_field=lambda: "", request_path="/", lang_switch_url="/bahasa?l=en",
        role_home_url="/", q="kopi", params=params, base="/", regions=[], category_options=[], result=result,
        error=None, reset_href="/?q=kopi")
    assert "&lt;script&gt;x&lt;/script&gt; <mark>Kopi</mark>" in html and "<script>x" not in html
    assert "Rp 20.000" in html and '<s class="normal">Rp 25.000</s>' in html and "Diskon 20%" in html
    assert "UD &lt;b&gt;Kopi&lt;/b&gt;" in html
    assert 'href="/?q=kopi&amp;region=7402&amp;page=1">Muna (1)</a>' in html
    assert 'href="/?q=kopi&amp;category=kopi-teh&amp;page=1">Kopi &amp; Teh (1)</a>' in html
    assert "Mungkin maksud Anda" in html


def test_the_web_server_turns_off_nagle_on_each_connection():
    """A response above eventlet's 16 KB write buffer leaves as headers, then body: with
    Nagle's algorithm the body waited 40 ms for the client's delayed ACK."""
    served = []

    class Serve:
        def process_request(self, conn_state):
            served.append(conn_state)

    server = GatewayWebServer()
    server._serv = Serve()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname()):
            accepted, address = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
                server.process_request(accepted, address)
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    assert served and served[0][1] is accepted


def test_a_search_reply_passed_on_unchanged_is_sent_as_the_text_it_came_in():
    from services.gateway.web import passed_json_response
    from shared.rpc_transport import decode_reply

    result = decode_reply('{"result": {"items": [], "nama": "\\u00e9"}, "error": null}')["result"]
    status, headers, body = passed_json_response(200, result)
    assert (status, body) == (200, '{"items": [], "nama": "\\u00e9"}')
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert passed_json_response(200, {"items": []})[2] == '{"items": []}'  # a plain dict is encoded
