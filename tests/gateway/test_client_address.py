"""The client address the gateway throttles sign-ins by: the socket peer, or behind a
trusted proxy (GATEWAY_TRUSTED_PROXIES; docker compose's nginx) the address it forwards."""
import ipaddress

import pytest

from services.gateway.client_address import forwarded_client
from services.gateway.settings import GatewaySettings

TRUSTED = (ipaddress.ip_network("172.16.0.0/12"), ipaddress.ip_network("10.0.0.5"))


@pytest.mark.parametrize("peer, forwarded_for, client", [
    ("172.18.0.3", "203.0.113.9", "203.0.113.9"),  # the proxy names the client
    ("172.18.0.3", "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client's own header is not believed
    ("172.18.0.3", "203.0.113.9, 10.0.0.5", "203.0.113.9"),  # through two trusted proxies
    ("203.0.113.1", "1.2.3.4", "203.0.113.1"),  # not from a trusted proxy: the peer
    ("172.18.0.3", None, "172.18.0.3"),
    ("172.18.0.3", "", "172.18.0.3"),
    ("172.18.0.3", "not-an-address", "172.18.0.3"),  # garbage: trust nothing
    ("172.18.0.3", "10.0.0.5", "10.0.0.5"),  # only proxies: the first hop
])
def test_the_client_behind_a_trusted_proxy(peer, forwarded_for, client):
    assert forwarded_client(peer, forwarded_for, TRUSTED) == client


def test_without_trusted_proxies_the_peer_is_the_client():
    assert forwarded_client("172.18.0.3", "203.0.113.9", ()) == "172.18.0.3"


def test_the_setting_reads_a_comma_separated_list_and_names_a_bad_entry(monkeypatch):
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", "172.16.0.0/12, 10.0.0.5,::1")
    assert GatewaySettings.load({}).trusted_proxies == (
        ipaddress.ip_network("172.16.0.0/12"), ipaddress.ip_network("10.0.0.5"), ipaddress.ip_network("::1"))
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", "172.16.0.0/12,proxy")
    with pytest.raises(ValueError, match="GATEWAY_TRUSTED_PROXIES: 'proxy' is not an address or network"):
        GatewaySettings.load({})
