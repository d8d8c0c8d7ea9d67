"""Fetching photo URLs without reaching our own network.

No test sends traffic anywhere but 127.0.0.1: "public" hosts are simulated with an
injected resolver and an httpx.MockTransport, and the tiny local HTTP server proves that a
refused URL never even connects (it counts every request it gets)."""
import http.server
import threading
import time

import httpx
import pytest

from services.catalog import fetch
from services.catalog.fetch import FetchError, fetch_photo, is_public_address

PUBLIC_IP = "93.184.216.34"  # never contacted: only ever handed to a MockTransport
JPEG = b"\xff\xd8\xff\xe0" + b"x" * 100


# /slow stalls and /drip trickles for STALL seconds, unless the test ends first: a fetch given
# a deadline far below STALL that fails well before STALL was cut by its deadline, however
# loaded the machine.
STALL = 60


class Handler(http.server.BaseHTTPRequestHandler):
    hits: list[tuple[str, str]] = []
    released = threading.Event()  # set when the test ends: the stalled answers give up

    def log_message(self, *args):
        pass

    def do_GET(self):
        Handler.hits.append((self.path, self.headers.get("Host")))
        if self.path == "/slow":
            Handler.released.wait(STALL)
            return
        if self.path.startswith("/big"):
            body = b"y" * 3000
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            if self.path == "/big-declared":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            for _ in range(STALL * 10):  # 10 bytes every 0.1 s: never a long silence
                self.wfile.write(b"z" * 10)
                self.wfile.flush()
                if Handler.released.wait(0.1):
                    return
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(JPEG)))
        self.end_headers()
        self.wfile.write(JPEG)


@pytest.fixture
def server():
    Handler.hits = []
    Handler.released = threading.Event()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    Handler.released.set()
    httpd.shutdown()
    httpd.server_close()


def resolver_for(table: dict[str, list[str]]):
    calls = []

    def resolve(host, port):
        calls.append(host)
        if host not in table:
            raise OSError("no such host")
        return table[host]

    resolve.calls = calls
    return resolve


def mock(routes: dict):
    """A transport answering by (pinned host, path); records what it was sent."""
    seen = []

    def handler(request: httpx.Request):
        seen.append(request)
        key = (request.url.host, request.url.path)
        if key not in routes:
            raise AssertionError(f"unexpected request to {key}")
        return routes[key]()

    transport = httpx.MockTransport(handler)
    transport.seen = seen
    return transport


def image():
    return httpx.Response(200, headers={"Content-Type": "image/jpeg"}, content=JPEG)


def redirect(location):
    return lambda: httpx.Response(302, headers={"Location": location})


NO_TRAFFIC = httpx.MockTransport(lambda request: pytest.fail(f"no request may be sent: {request.url}"))


@pytest.mark.parametrize("address, public", [
    ("127.0.0.1", False), ("127.8.9.1", False), ("10.0.0.1", False), ("172.16.5.4", False),
    ("192.168.1.1", False), ("100.64.0.1", False), ("169.254.169.254", False), ("0.0.0.0", False),
    ("224.0.0.1", False), ("239.255.255.250", False), ("240.0.0.1", False), ("255.255.255.255", False),
    ("198.18.0.1", False), ("::1", False), ("::", False), ("fe80::1", False), ("fd00:ec2::254", False),
    ("fc00::1", False), ("ff02::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
    ("64:ff9b::a00:1", False), ("2002:7f00:1::", False), ("bukan-ip", False),
    ("8.8.8.8", True), (PUBLIC_IP, True), ("2606:4700:4700::1111", True), ("::ffff:8.8.8.8", True),
])
def test_public_address_policy(address, public):
    assert is_public_address(address) is public


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[fd00:ec2::254]", "[::1]", "0.0.0.0"])
def test_literal_private_addresses_are_refused_before_connecting(server, host):
    url = f"http://{host}:{server}/foto.jpg"
    with pytest.raises(FetchError, match="tidak diizinkan"):
        fetch_photo(url, transport=NO_TRAFFIC)
    with pytest.raises(FetchError, match="tidak diizinkan"):
        fetch_photo(url)  # the real transport too: refused before any socket opens
    assert Handler.hits == []


def test_localhost_is_refused_through_the_real_resolver(server):
    with pytest.raises(FetchError, match="tidak diizinkan"):
        fetch_photo(f"http://localhost:{server}/foto.jpg")
    assert Handler.hits == []


def test_a_public_host_is_fetched_from_the_address_that_was_checked():
    resolve = resolver_for({"foto.contoh.example": [PUBLIC_IP]})
    transport = mock({(PUBLIC_IP, "/a.jpg"): image})
    photo = fetch_photo("https://foto.contoh.example/a.jpg", resolver=resolve, transport=transport)
    assert photo.data == JPEG and photo.content_type == "image/jpeg"
    request = transport.seen[0]
    assert request.url.host == PUBLIC_IP and request.url.scheme == "https"
    assert request.headers["Host"] == "foto.contoh.example"
    assert request.extensions["sni_hostname"] == "foto.contoh.example"  # TLS checks the real name
    assert resolve.calls == ["foto.contoh.example"]


def test_a_dns_answer_that_changes_cannot_redirect_the_connection():
    answers = [[PUBLIC_IP], ["127.0.0.1"]]

    def rebinding(host, port):
        return answers.pop(0)

    transport = mock({(PUBLIC_IP, "/a.jpg"): image})
    photo = fetch_photo("http://rebind.contoh.example/a.jpg", resolver=rebinding, transport=transport)
    assert photo.data == JPEG
    assert [r.url.host for r in transport.seen] == [PUBLIC_IP]  # resolved once, connected there
    assert answers == [["127.0.0.1"]]


def test_an_answer_with_one_private_address_is_refused():
    resolve = resolver_for({"campur.contoh.example": [PUBLIC_IP, "10.0.0.1"]})
    with pytest.raises(FetchError, match="tidak diizinkan"):
        fetch_photo("http://campur.contoh.example/a.jpg", resolver=resolve, transport=NO_TRAFFIC)


@pytest.mark.parametrize("target", [
    "http://127.0.0.1:{port}/foto.jpg",
    "http://10.0.0.1/foto.jpg",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://localhost:{port}/foto.jpg",
    "http://internal.contoh.example/foto.jpg",  # a name that resolves to a private address
])
def test_a_redirect_to_a_private_address_is_refused(server, target):
    target = target.format(port=server)
    resolve = resolver_for({"foto.contoh.example": [PUBLIC_IP], "internal.contoh.example": ["10.1.2.3"],
                            "localhost": ["127.0.0.1"]})
    transport = mock({(PUBLIC_IP, "/a.jpg"): redirect(target)})
    with pytest.raises(FetchError, match="tidak diizinkan"):
        fetch_photo("http://foto.contoh.example/a.jpg", resolver=resolve, transport=transport)
    assert len(transport.seen) == 1 and Handler.hits == []


def test_redirects_are_followed_and_checked_up_to_three():
    resolve = resolver_for({"a.contoh.example": [PUBLIC_IP], "b.contoh.example": ["203.0.113.0"]})
    # 203.0.113.0/24 is documentation space: not global, so this hop is refused.
    transport = mock({(PUBLIC_IP, "/1"): redirect("/2"), (PUBLIC_IP, "/2"): redirect("https://a.contoh.example/3"),
                      (PUBLIC_IP, "/3"): image})
    assert fetch_photo("http://a.contoh.example/1", resolver=resolve, transport=transport).data == JPEG
    assert [str(r.url.path) for r in transport.seen] == ["/1", "/2", "/3"]

    loop = mock({(PUBLIC_IP, "/loop"): redirect("/loop")})
    with pytest.raises(FetchError, match="pengalihan"):
        fetch_photo("http://a.contoh.example/loop", resolver=resolve, transport=loop)
    assert len(loop.seen) == 4  # the first request and three redirects

    other = mock({(PUBLIC_IP, "/x"): redirect("http://b.contoh.example/y")})
    with pytest.raises(FetchError, match="tidak diizinkan"):
        fetch_photo("http://a.contoh.example/x", resolver=resolve, transport=other)


@pytest.mark.parametrize("url", ["ftp://foto.contoh.example/a.jpg", "file:///etc/passwd", "javascript:alert(1)",
                                 "http://user:pw@foto.contoh.example/a.jpg", "bukan url", "http:///a.jpg"])
def test_only_plain_http_and_https_urls(url):
    with pytest.raises(FetchError):
        fetch_photo(url, resolver=resolver_for({"foto.contoh.example": [PUBLIC_IP]}), transport=NO_TRAFFIC)


def test_a_redirect_to_another_scheme_is_refused():
    resolve = resolver_for({"a.contoh.example": [PUBLIC_IP]})
    transport = mock({(PUBLIC_IP, "/a"): redirect("file:///etc/passwd")})
    with pytest.raises(FetchError, match="http"):
        fetch_photo("http://a.contoh.example/a", resolver=resolve, transport=transport)


def test_an_unknown_host_and_an_error_status():
    with pytest.raises(FetchError, match="tidak ditemukan"):
        fetch_photo("http://tidak-ada.contoh.example/a.jpg", resolver=resolver_for({}), transport=NO_TRAFFIC)
    transport = mock({(PUBLIC_IP, "/a.jpg"): lambda: httpx.Response(404)})
    with pytest.raises(FetchError, match="404"):
        fetch_photo("http://a.contoh.example/a.jpg", resolver=resolver_for({"a.contoh.example": [PUBLIC_IP]}),
                    transport=transport)


# --- size and time, over a real socket to the local server ------------------------------
# The address policy is injected to allow exactly 127.0.0.1 here.

def local(server_port):
    return {"resolver": resolver_for({"foto.test": ["127.0.0.1"]}), "allowed": lambda ip: ip == "127.0.0.1"}


def test_over_a_real_socket_the_pinned_address_keeps_the_host_name(server):
    photo = fetch_photo(f"http://foto.test:{server}/ok.jpg", **local(server))
    assert photo.data == JPEG
    assert Handler.hits == [("/ok.jpg", f"foto.test:{server}")]


@pytest.mark.parametrize("path", ["/big-declared", "/big-chunked"])
def test_the_size_cap_stops_the_download(server, path):
    with pytest.raises(FetchError, match="lebih besar"):
        fetch_photo(f"http://foto.test:{server}{path}", max_bytes=1000, **local(server))
    assert fetch_photo(f"http://foto.test:{server}{path}", max_bytes=5000, **local(server)).data == b"y" * 3000


def test_the_size_cap_default_is_five_megabytes():
    assert fetch.MAX_BYTES == 5 * 1024 * 1024 and fetch.TIMEOUT == 10.0 and fetch.MAX_REDIRECTS == 3


def test_a_slow_server_times_out(server):
    started = time.monotonic()
    with pytest.raises(FetchError, match="waktu"):
        fetch_photo(f"http://foto.test:{server}/slow", timeout=0.5, **local(server))
    assert time.monotonic() - started < STALL / 2  # the deadline, not the server, ended it


def test_a_dripping_server_hits_the_total_deadline(server):
    started = time.monotonic()
    with pytest.raises(FetchError, match="waktu"):
        fetch_photo(f"http://foto.test:{server}/drip", timeout=0.8, **local(server))
    # one deadline for the whole download: each chunk arriving in time does not extend it
    assert time.monotonic() - started < STALL / 2
