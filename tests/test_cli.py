"""The `etalase` command line, run as a user would run it."""
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from services import platform as etalase_platform
from services.gateway.models import Account
from shared.db import make_engine, make_session_factory


def etalase(*args, env, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args], env=env, input=stdin, capture_output=True, text=True, timeout=180
    )


@pytest.fixture
def env(tmp_path):
    return etalase_platform.child_env({"ETALASE_VAR_DIR": str(tmp_path / "var")})


def test_run_without_a_broker_says_so_in_one_line(env):
    result = etalase("run", env={**env, "AMQP_URI": "amqp://guest:secret@127.0.0.1:1/"})
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "AMQP_URI=amqp://guest:***@127.0.0.1:1/" in lines[0]
    assert "rabbitmq-server" in lines[0] and "secret" not in lines[0]


def test_admin_create_reads_the_password_from_stdin(env, tmp_path):
    created = etalase("admin", "create", "--email", "Kurator@Dinas.example", "--name", "Kurator Dinas", "--password-stdin",
                      env=env, stdin="sangat-rahasia-123\n")
    assert created.returncode == 0, created.stderr
    assert "kurator@dinas.example" in created.stdout

    from services.gateway.models import Account

    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'gateway.db'}")
    with make_session_factory(engine)() as session:
        account = session.scalar(select(Account))
        assert account.role == "admin" and account.password_hash.startswith("$argon2id$")
    engine.dispose()

    again = etalase("admin", "create", "--email", "kurator@dinas.example", "--name", "Kurator", "--password-stdin",
                    env=env, stdin="sangat-rahasia-123\n")
    assert again.returncode == 1 and "email" in again.stderr and "Traceback" not in again.stderr
    weak = etalase("admin", "create", "--email", "lain@dinas.example", "--name", "Kurator", "--password-stdin",
                   env=env, stdin="pendek\n")
    assert weak.returncode == 1 and "password" in weak.stderr


def test_seed_loads_the_demo_once(env, tmp_path):
    first = etalase("seed", env=env)
    assert first.returncode == 0, first.stderr
    from services.catalog.models import OutboxMessage, Product, ProductPhoto

    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'catalog.db'}")
    with make_session_factory(engine)() as session:
        products = session.scalar(select(func.count()).select_from(Product))
        events = session.scalar(select(func.count()).select_from(OutboxMessage))
        photos = session.execute(select(ProductPhoto.product_id, ProductPhoto.sha256, ProductPhoto.variants)).all()
    assert products >= 150
    assert events >= products  # every product's event waits in the outbox for the relay
    # every demo product has its own drawn illustration, its files under the media root
    assert len(photos) == products and len({product_id for product_id, _, _ in photos}) == products
    assert len({sha256 for _, sha256, _ in photos}) == products
    media_root = tmp_path / "var" / "media"
    assert all((media_root / path).is_file() for _, _, variants in photos for path in variants.values())
    second = etalase("seed", env=env)
    assert second.returncode == 0 and "nothing seeded" in second.stdout
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == products
    engine.dispose()
    # the demo promoters are approved: they can schedule campaigns at once
    gateway = make_engine(f"sqlite:///{tmp_path / 'var' / 'gateway.db'}")
    with make_session_factory(gateway)() as session:
        promoters = session.execute(select(Account.email, Account.status).where(Account.role == "promoter")).all()
    gateway.dispose()
    assert len(promoters) == 2 and {status for _, status in promoters} == {"approved"}


@pytest.mark.parametrize("command", [("run",), ("switch-queues",)])
def test_a_wrong_queue_type_stops_the_command_in_one_line_naming_the_variable(env, command):
    result = etalase(*command, env={**env, "RABBITMQ_QUEUE_TYPE": "quorom"})
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "RABBITMQ_QUEUE_TYPE='quorom'" in lines[0] and "classic" in lines[0] and "quorum" in lines[0]
