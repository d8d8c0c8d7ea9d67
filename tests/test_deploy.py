"""The deployment files: docker compose accepts the file and it runs the whole platform."""
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose_command():
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_accepts_the_file():
    command = compose_command()
    if command is None:
        pytest.skip("no docker compose client on this machine (neither `docker compose` nor `docker-compose`)")
    result = subprocess.run([*command, "-f", str(ROOT / "docker-compose.yml"), "config"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert {"rabbitmq", "postgres", "elasticsearch", "gateway", "catalog", "search", "promotion", "proxy"} <= set(services)
    # as compose resolves it: two gateways and two searches, the gateways not published
    assert services["gateway"]["deploy"]["replicas"] == 2 and services["search"]["deploy"]["replicas"] == 2
    assert "ports" not in services["gateway"]
    assert services["gateway"]["environment"]["RABBITMQ_QUEUE_TYPE"] == "quorum"  # the merged environment kept


def test_compose_runs_every_service_from_the_one_image_and_publishes_the_gateway():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("gateway", "catalog", "search", "promotion"):
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert f"services.{name}.service" in services[name]["command"]
    assert "8000:8000" in services["proxy"]["ports"]  # the one published port, in front of the gateways
    assert "15672:15672" in services["rabbitmq"]["ports"]
    assert services["rabbitmq"]["image"].endswith("-management")
    # The Elasticsearch client's major version must match the server's.
    server_major = services["elasticsearch"]["image"].rsplit(":", 1)[1].split(".")[0]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'"elasticsearch=={server_major}.' in pyproject


def test_the_compose_platform_declares_quorum_queues():
    """docker-compose.yml is the production profile: every service (and the one-shot migrate
    and seed step, which shares their environment) uses quorum queues
    (docs/decisions/queue-types.md)."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("migrate", "gateway", "catalog", "search", "promotion"):
        assert services[name]["environment"]["RABBITMQ_QUEUE_TYPE"] == "quorum", name


def test_every_service_module_named_in_compose_exists():
    for name in ("gateway", "catalog", "search", "promotion"):
        assert (ROOT / "services" / name / "service.py").is_file()


def test_event_consumers_leave_workers_for_rpc(monkeypatch):
    """A burst of events must not occupy every nameko worker (RPC would time out): every
    event consumer takes its messages in batches, one worker per batch."""
    from nameko.messaging import Consumer

    from services.platform import load_config
    from services.promotion.service import PromotionService
    from services.search.service import SearchService
    from shared.batching import BatchEventConsumer

    monkeypatch.delenv("MAX_WORKERS", raising=False)
    assert load_config()["max_workers"] == 20
    consumers = [entrypoint for service in (SearchService, PromotionService) for name in dir(service)
                 for entrypoint in getattr(getattr(service, name), "nameko_entrypoints", ())
                 if isinstance(entrypoint, Consumer)]
    assert len(consumers) == 2
    assert all(isinstance(entrypoint, BatchEventConsumer) for entrypoint in consumers)


def test_every_long_running_container_restarts_and_has_a_health_check():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, service in services.items():
        if name == "migrate":  # one-shot: runs once, exits 0
            assert service["restart"] == "no"
            continue
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name
    for name in ("gateway", "catalog", "search", "promotion"):
        assert services[name]["healthcheck"]["test"] == ["CMD", "python", "-m", "services.probe", name]
        assert services[name]["healthcheck"]["start_period"]  # starting is not failing
    assert services["gateway"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "catalog": {"condition": "service_healthy"},
    }


def test_the_probe_knows_every_service_compose_probes():
    from click.testing import CliRunner

    from services.probe import main

    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("gateway", "catalog", "search", "promotion"):
        assert name in result.output
    refused = CliRunner().invoke(main, ["rabbitmq"])
    assert refused.exit_code == 2


def test_gateway_and_search_run_replicas_behind_the_one_published_port():
    """Compose cannot publish one host port from several containers: the gateway replicas
    are reached through the proxy, whose nginx config names them by their service name and
    re-resolves it (a restarted or added replica is found); catalog and promotion stay
    single (docs/decisions/replicas.md)."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["gateway"]["deploy"]["replicas"] >= 2
    assert services["search"]["deploy"]["replicas"] >= 2
    assert "deploy" not in services["catalog"] and "deploy" not in services["promotion"]
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert [port for port in published if port.endswith(":8000")] == ["8000:8000"]
    assert services["gateway"]["expose"] == ["8000"]

    proxy = services["proxy"]
    major, minor = (int(part) for part in proxy["image"].split(":")[1].split("-")[0].split(".")[:2])
    assert (major, minor) >= (1, 27)  # `resolve` in an upstream: open-source nginx 1.27.3 and later
    assert proxy["depends_on"] == {"gateway": {"condition": "service_healthy"}}
    source, target = proxy["volumes"][0].split(":")[:2]
    assert target == "/etc/nginx/conf.d/default.conf"
    conf = (ROOT / source).read_text()
    assert "server gateway:8000 resolve" in conf and "resolver 127.0.0.11" in conf
    assert "listen 8000;" in conf and "listen 8081;" in conf
    assert "8081/ping" in " ".join(proxy["healthcheck"]["test"])
    # the gateways believe the proxy's X-Forwarded-For (sign-in throttling by client address)
    assert services["gateway"]["environment"]["GATEWAY_TRUSTED_PROXIES"]
    from services.gateway.settings import GatewaySettings

    assert GatewaySettings(trusted_proxies=services["gateway"]["environment"]["GATEWAY_TRUSTED_PROXIES"]).trusted_proxies
