"""`etalase run --replicas`: the spec parser, the refusal of catalog/promotion replicas on
SQLite, the plan of named processes, and the command's one-line errors (no broker needed:
the spec is checked before the broker is reached)."""
import subprocess
import sys

import pytest

from services import platform as etalase_platform
from services.platform import Platform
from services.replicas import (
    MAX_REPLICAS,
    InvalidReplicas,
    Replica,
    parse_replicas,
    refuse_on_sqlite,
    replica_env,
    replica_plan,
)
from shared import supervisor_status
from shared.settings import ServiceSettings


def test_named_services_get_their_count_and_the_others_one():
    assert parse_replicas("search=2,gateway=2") == {"catalog": 1, "search": 2, "promotion": 1, "gateway": 2}
    assert parse_replicas(" catalog = 3 , promotion=16 ") == {"catalog": 3, "search": 1, "promotion": 16, "gateway": 1}
    assert parse_replicas("gateway=1") == {"catalog": 1, "search": 1, "promotion": 1, "gateway": 1}


@pytest.mark.parametrize("spec, named", [
    ("serach=2", "'serach=2' names an unknown service 'serach'"),
    ("rabbitmq=2", "unknown service 'rabbitmq'"),
    ("Search=2", "unknown service 'Search'"),
    ("search=0", "'search=0': the count must be a whole number from 1 to 16"),
    ("search=17", "'search=17': the count must be a whole number from 1 to 16"),
    ("search=-1", "'search=-1': the count must be"),
    ("search=two", "'search=two': the count must be"),
    ("search=2.5", "'search=2.5': the count must be"),
    ("search=+2", "'search=+2': the count must be"),
    ("search=2,search=3", "search is given twice ('search=2' and 'search=3')"),
    ("search", "'search' is not SERVICE=COUNT"),
    ("search=", "'search=' is not SERVICE=COUNT"),
    ("=2", "'=2' is not SERVICE=COUNT"),
    ("search:2", "'search:2' is not SERVICE=COUNT"),
    ("search=2,", "has an empty part"),
    ("search=2,,gateway=2", "has an empty part"),
    ("", "the replica spec is empty"),
    ("   ", "the replica spec is empty"),
])
def test_a_bad_spec_is_refused_naming_the_bad_part_and_the_accepted_form(spec, named):
    with pytest.raises(InvalidReplicas) as refused:
        parse_replicas(spec)
    message = str(refused.value)
    assert named in message
    assert "SERVICE=COUNT" in message and "search=2,gateway=2" in message
    assert "catalog, search, promotion, gateway" in message and f"1 to {MAX_REPLICAS}" in message


SQLITE = {name: f"sqlite:///var/{name}.db" for name in ("catalog", "search", "promotion", "gateway")}
POSTGRES = {name: f"postgresql+pg8000://etalase@127.0.0.1/{name}" for name in SQLITE}


@pytest.mark.parametrize("service", ["catalog", "promotion"])
def test_catalog_or_promotion_replicas_on_sqlite_are_refused_naming_postgresql(service):
    with pytest.raises(InvalidReplicas) as refused:
        refuse_on_sqlite(parse_replicas(f"{service}=2"), SQLITE)
    message = str(refused.value)
    assert f"{service}=2 needs PostgreSQL" in message
    assert f"{service.upper()}_DATABASE_URL" in message and f"sqlite:///var/{service}.db" in message
    refuse_on_sqlite(parse_replicas(f"{service}=2"), {**SQLITE, service: POSTGRES[service]})  # accepted


def test_search_and_gateway_replicas_are_allowed_on_sqlite():
    refuse_on_sqlite(parse_replicas("search=4,gateway=3"), SQLITE)
    refuse_on_sqlite(parse_replicas("catalog=1,promotion=1"), SQLITE)
    refuse_on_sqlite(parse_replicas("catalog=2,promotion=2,search=2,gateway=2"), POSTGRES)


def test_the_plan_names_each_replica_and_keeps_a_single_process_s_plain_name():
    plan = replica_plan(parse_replicas("search=2,gateway=3"))
    assert [(replica.name, replica.service) for replica in plan] == [
        ("catalog", "catalog"), ("search-1", "search"), ("search-2", "search"), ("promotion", "promotion"),
        ("gateway-1", "gateway"), ("gateway-2", "gateway"), ("gateway-3", "gateway")]
    assert [replica.name for replica in replica_plan({})] == ["catalog", "search", "promotion", "gateway"]
    # several search processes keep the change log their indexes follow each other by
    assert replica_env(Replica("search-2", "search", 2)) == {"ETALASE_REPLICA": "search-2", "SEARCH_REPLICAS": "2",
                                                             "SEARCH_CHANGE_LOG": "true"}
    assert replica_env(Replica("search", "search", 1)) == {"ETALASE_REPLICA": "search", "SEARCH_REPLICAS": "1"}
    assert replica_env(Replica("catalog", "catalog", 1)) == {"ETALASE_REPLICA": "catalog", "CATALOG_REPLICAS": "1"}


def test_the_platform_gives_each_replica_its_log_file_and_status_entry(tmp_path):
    status_file = tmp_path / supervisor_status.FILE_NAME
    platform = Platform(tmp_path / "nameko.yaml", "127.0.0.1", 1, log_dir=tmp_path / "logs",
                        restart_policy=etalase_platform.RestartPolicy(), status_file=status_file,
                        replicas=parse_replicas("search=2"))
    assert platform.supervision is not None
    assert list(platform.supervision.states) == ["catalog", "search-1", "search-2", "promotion", "gateway"]
    assert platform.log_file("search-2") == tmp_path / "logs" / "search-2.log"
    platform._write_status(platform.supervision.status())
    read = supervisor_status.read_restarts(status_file)
    assert read is not None
    assert read["search-2"] == {"service": "search", "restarts": 0, "last_reason": None, "last_restart_at": None}
    assert read["catalog"]["service"] == "catalog"
    with pytest.raises(ValueError, match="no process 'search-3'"):
        platform.start_service("search-3")


def test_data_dir_wins_over_its_older_name(monkeypatch, tmp_path):
    monkeypatch.setenv("ETALASE_VAR_DIR", str(tmp_path / "old"))
    assert ServiceSettings().var_dir == tmp_path / "old"
    monkeypatch.setenv("ETALASE_DATA_DIR", str(tmp_path / "new"))
    assert ServiceSettings().var_dir == tmp_path / "new"


def etalase_run(*args, env):
    return subprocess.run([sys.executable, "-m", "services.cli", "run", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_run_refuses_a_bad_spec_in_one_line_before_reaching_the_broker(tmp_path):
    # no broker at port 1: the spec is refused first, so the message is about the spec
    env = etalase_platform.child_env({"AMQP_URI": "amqp://guest:guest@127.0.0.1:1/", "ETALASE_DATA_DIR": str(tmp_path)})
    for args, extra, expected in [
        (["--replicas", "search=2,serach=2"], {}, "--replicas 'search=2,serach=2': 'serach=2' names an unknown service"),
        ([], {"ETALASE_REPLICAS": "gateway=99"}, "ETALASE_REPLICAS 'gateway=99': 'gateway=99': the count must be"),
        (["--replicas", "promotion=2"], {}, "promotion=2 needs PostgreSQL"),
        (["--replicas", "search=2"], {"ETALASE_REPLICAS": "nonsense"}, "Cannot reach RabbitMQ"),  # the option wins
    ]:
        result = etalase_run(*args, env={**env, **extra})
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 1 and len(lines) == 1, result.stderr
        assert expected in lines[0], lines[0]
