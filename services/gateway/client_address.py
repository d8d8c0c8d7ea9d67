"""The client's address, for throttling sign-ins by address: the socket peer, or behind a
trusted proxy (GATEWAY_TRUSTED_PROXIES; docker compose's nginx) the address it forwards.
Used by the JSON API and the HTML pages alike."""
from __future__ import annotations

import ipaddress


def client_ip(request, trusted_proxies=()) -> str:
    """The client address used for throttling: the socket peer, or, when the peer is one of
    ``trusted_proxies`` (networks, GATEWAY_TRUSTED_PROXIES), the address the proxies name in
    ``X-Forwarded-For``: the last one that is not itself a trusted proxy (what comes before
    it was written by the client and may be forged)."""
    return forwarded_client(request.remote_addr or "unknown", request.headers.get("X-Forwarded-For"),
                            trusted_proxies)


def forwarded_client(peer: str, forwarded_for: str | None, trusted_proxies) -> str:
    def trusted(address: str) -> bool:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in trusted_proxies)

    if not forwarded_for or not trusted(peer):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage where the proxy writes the address: trust nothing
    return hops[0] if hops else peer
