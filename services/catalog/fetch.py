"""Fetching a photo from a URL a seller gave, without letting the URL reach our own network.

The rules (server-side request forgery):
- only ``http`` and ``https``, no user:password in the URL;
- the host name is resolved ONCE; every address of the answer must be public (not
  loopback, private, link-local, CGNAT, multicast, reserved, unspecified or a cloud
  metadata address), and the connection then goes to that validated address: a DNS answer
  that changes between the check and the connect (rebinding) cannot redirect it. The
  ``Host`` header and the TLS SNI / certificate check keep the real name;
- redirects are followed by hand, at most ``MAX_REDIRECTS``, each hop checked the same way;
- at most ``MAX_BYTES`` (the body is streamed and cut off) and ``TIMEOUT`` seconds in all.

The resolver, the address policy and the httpx transport are parameters, so tests can
simulate DNS answers and public hosts without sending traffic anywhere.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Callable, Iterable

import httpx

from shared.messages import t

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 10.0
MAX_REDIRECTS = 3
USER_AGENT = "EtalaseSultra-Impor/1.0"

# Not "global" in every Python version, or worth naming explicitly anyway.
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # CGNAT (shared address space)
        "169.254.0.0/16",  # link-local, incl. 169.254.169.254 (cloud metadata)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "64:ff9b::/96",  # NAT64: would reach an IPv4 address we did not check
        "64:ff9b:1::/48",
    )
)

Resolver = Callable[[str, int], Iterable[str]]


class FetchError(Exception):
    """A photo that could not be fetched; ``str(error)`` is shown to the seller."""


@dataclass(frozen=True)
class FetchedPhoto:
    url: str  # the final URL, after redirects
    content_type: str
    data: bytes


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host``."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def is_public_address(address: str) -> bool:
    """True only for a globally routable unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return is_public_address(str(ip.ipv4_mapped))  # ::ffff:a.b.c.d reaches a.b.c.d
    if ip.version == 6:
        # 6to4 and Teredo addresses embed an IPv4 address: it must be public too.
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    if any(ip in net for net in _BLOCKED_NETWORKS if net.version == ip.version):
        return False
    if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified):
        return False
    return ip.is_global


def _check_url(url: httpx.URL) -> None:
    if url.scheme not in ("http", "https"):
        raise FetchError(t("alamat foto harus diawali http:// atau https://"))
    if not url.host:
        raise FetchError(t("alamat foto tidak memiliki nama host"))
    if url.userinfo:
        raise FetchError(t("alamat foto tidak boleh memuat nama pengguna atau kata sandi"))


def _pinned_address(url: httpx.URL, resolver: Resolver, allowed: Callable[[str], bool]) -> str:
    """Resolve the URL's host once and return an address to connect to, if all are allowed."""
    host = url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        ipaddress.ip_address(host)
        addresses = [host]  # a literal address: nothing to resolve
    except ValueError:
        try:
            addresses = list(dict.fromkeys(resolver(host, port)))
        except (OSError, UnicodeError):
            raise FetchError(t("nama host %(host)s tidak ditemukan", host=host)) from None
    if not addresses:
        raise FetchError(t("nama host %(host)s tidak ditemukan", host=host))
    for address in addresses:
        if not allowed(address):
            raise FetchError(t("alamat foto mengarah ke jaringan yang tidak diizinkan (%(host)s)", host=host))
    return addresses[0]


def fetch_photo(
    url: str,
    *,
    resolver: Resolver = system_resolver,
    allowed: Callable[[str], bool] = is_public_address,
    transport: httpx.BaseTransport | None = None,
    max_bytes: int = MAX_BYTES,
    timeout: float = TIMEOUT,
    max_redirects: int = MAX_REDIRECTS,
) -> FetchedPhoto:
    """Download ``url`` under the rules above; raises ``FetchError`` with a reason."""
    try:
        current = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError):
        raise FetchError(t("alamat foto tidak valid")) from None
    deadline = time.monotonic() + timeout
    # trust_env=False: a proxy from the environment would connect instead of us and
    # bypass the address check.
    with httpx.Client(transport=transport, trust_env=False, follow_redirects=False) as client:
        for _hop in range(max_redirects + 1):
            _check_url(current)
            address = _pinned_address(current, resolver, allowed)
            response_or_next = _get(client, current, address, deadline, max_bytes)
            if isinstance(response_or_next, FetchedPhoto):
                return response_or_next
            current = response_or_next
        raise FetchError(t("terlalu banyak pengalihan (lebih dari %(max)s)", max=max_redirects))


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(t("waktu unduh foto habis"))
    return left


def _get(client: httpx.Client, url: httpx.URL, address: str, deadline: float, max_bytes: int):
    """One hop: GET ``url`` from ``address``. A FetchedPhoto, or the URL of a redirect."""
    host_header = url.netloc.decode("ascii")  # the real name (and port, when not default)
    request = client.build_request(
        "GET",
        url.copy_with(host=address),
        headers={"Host": host_header, "User-Agent": USER_AGENT, "Accept": "image/*"},
        # TLS: SNI and the certificate check use the real name, not the pinned address.
        extensions={"sni_hostname": url.host, "timeout": httpx.Timeout(_remaining(deadline)).as_dict()},
    )
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException:
        raise FetchError(t("waktu unduh foto habis")) from None
    except httpx.HTTPError as exc:
        raise FetchError(t("foto tidak dapat diunduh (%(error)s)", error=type(exc).__name__)) from None
    try:
        if response.status_code in (301, 302, 303, 307, 308):
            location = response.headers.get("Location")
            if not location:
                raise FetchError(t("pengalihan tanpa alamat tujuan"))
            try:
                return url.join(location)
            except httpx.InvalidURL:
                raise FetchError(t("alamat pengalihan tidak valid")) from None
        if response.status_code != 200:
            raise FetchError(t("server foto menjawab %(status)s", status=response.status_code))
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(t("foto lebih besar dari %(max)s MB", max=max_bytes // (1024 * 1024)))
        chunks, size = [], 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(t("foto lebih besar dari %(max)s MB", max=max_bytes // (1024 * 1024)))
                chunks.append(chunk)
                _remaining(deadline)
        except httpx.TimeoutException:
            raise FetchError(t("waktu unduh foto habis")) from None
        except httpx.HTTPError as exc:
            raise FetchError(t("foto tidak dapat diunduh (%(error)s)", error=type(exc).__name__)) from None
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        return FetchedPhoto(url=str(url), content_type=content_type, data=b"".join(chunks))
    finally:
        response.close()
