"""`python -m services.probe SERVICE`: exit 0 when SERVICE answers, 1 (with one line saying
why) when it does not. docker compose runs it as each container's health check.

- catalog, search, promotion: the service's ``health()`` over RPC on the configured broker
  (AMQP_URI), with a deadline; it answers only when its worker and its database do.
- gateway: ``GET /health`` on its own address (WEB_SERVER_ADDRESS). Any answer from the
  gateway itself counts, 200 or its 503 that names another service: that other service's
  container has its own probe, and the gateway is up.
"""
from __future__ import annotations

import sys
import warnings

import click

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

RPC_SERVICES = ("catalog", "search", "promotion")


def probe_rpc(service: str, timeout: float) -> None:
    from nameko.standalone.rpc import ClusterRpcClient

    from services.platform import load_config
    from shared.settings import amqp_uri

    with ClusterRpcClient(uri=amqp_uri(load_config()), timeout=timeout) as client:
        getattr(client, service).health()


def probe_gateway(timeout: float) -> None:
    import httpx

    from services.platform import load_config

    _, _, port = str(load_config().get("WEB_SERVER_ADDRESS") or "127.0.0.1:8000").rpartition(":")
    response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=timeout)
    if response.status_code not in (200, 503) or "status" not in response.json():
        raise RuntimeError(f"/health answered {response.status_code}")


@click.command()
@click.argument("service", type=click.Choice([*RPC_SERVICES, "gateway"]))
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for the answer.")
def main(service: str, timeout: float) -> None:
    """Exit 0 when SERVICE answers its health check."""
    try:
        if service == "gateway":
            probe_gateway(timeout)
        else:
            probe_rpc(service, timeout)
    except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy", said in one line
        click.echo(f"{service} unhealthy: {exc.__class__.__name__}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{service} healthy")


if __name__ == "__main__":
    main()
