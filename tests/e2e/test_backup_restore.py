"""Backup under write load, restore into a fresh location, start the platform on it: the
catalog holds what was written before the backup (and nothing that was never written), search
equals the catalog, and a running platform is never restored over. On SQLite and on fresh
PostgreSQL databases."""
import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack

import pytest
from sqlalchemy import create_engine, text

from e2e_helpers import unique_word
from platform_fixtures import fresh_vhost, platform_on

SERVICES = ("catalog", "search", "promotion", "gateway")
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
MAX_WRITES = 400  # the writer stops by itself at this many, whatever happens to the test


@pytest.fixture(params=["sqlite", "postgres"])
def use_databases(request, monkeypatch):
    """``use_databases()`` points the next platform at a new set of databases: with SQLite the
    files in its var dir (nothing to do), with PostgreSQL four fresh databases (the shared
    ``postgres``/``test`` ones are never used), dropped at the end."""
    if request.param == "sqlite":
        for service in SERVICES:
            monkeypatch.delenv(f"{service.upper()}_DATABASE_URL", raising=False)
        yield lambda: None
        return
    if request.config.getoption("--no-postgres"):
        pytest.skip("PostgreSQL disabled with --no-postgres")
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    made: list[str] = []

    def use():
        with admin.connect() as connection:
            for service in SERVICES:
                name = f"etalase_t_{uuid.uuid4().hex[:10]}_{service}"
                connection.execute(text(f'CREATE DATABASE "{name}"'))
                made.append(name)
                monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", f"{base}/{name}")

    yield use
    with admin.connect() as connection:
        for name in made:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Writer(threading.Thread):
    """Creates products through the real API, one after another, until stopped; remembers
    when each 201 arrived."""

    def __init__(self, platform, headers, merchant_id, word):
        super().__init__(daemon=True)
        self.platform, self.headers, self.merchant_id, self.word = platform, headers, merchant_id, word
        self.created: list[tuple[float, float, str]] = []  # (monotonic: request sent, 201 received, id)
        self.failures: list[str] = []
        self.stop = threading.Event()

    def run(self):
        for n in range(MAX_WRITES):
            if self.stop.is_set():
                return
            sent = time.monotonic()
            response = self.platform.http.post("/api/v1/products", headers=self.headers, json={
                "merchant_id": self.merchant_id, "name": f"Keripik {self.word} {n}", "price": 15_000 + n,
                "stock": 3, "category": "camilan", "status": "published"})
            if response.status_code == 201:
                self.created.append((sent, time.monotonic(), response.json()["id"]))
            else:
                self.failures.append(f"{response.status_code} {response.text[:200]}")

    def wait_for(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while len(self.created) < count and time.monotonic() < deadline and self.is_alive():
            time.sleep(0.05)
        assert len(self.created) >= count, self.failures[:3]


def test_backup_under_write_load_restores_an_equal_platform(use_databases, tmp_path):
    word = unique_word("cadang")
    backup_dir = tmp_path / "backup"
    with ExitStack() as stack:
        use_databases()
        source = stack.enter_context(platform_on(stack.enter_context(fresh_vhost()), tmp_path / "source"))
        owner = source.sign_up()
        merchant_id = source.new_merchant(owner)
        writer = Writer(source, owner, merchant_id, word)
        writer.start()
        try:
            writer.wait_for(20)
            backup_started = time.monotonic()
            made = source.etalase("backup", str(backup_dir))
            backup_finished = time.monotonic()
            assert made.returncode == 0, made.stderr
            writer.wait_for(len(writer.created) + 5)  # writes went on during and after the backup
        finally:
            writer.stop.set()
            writer.join(60)
        assert not writer.failures, writer.failures[:3]

        refused = source.etalase("restore", "--force", str(backup_dir))  # over the running platform
        assert refused.returncode == 1 and "platform sedang berjalan" in refused.stderr, refused.stderr
        assert len(source.merchant_product_ids(owner, merchant_id)) == len(writer.created)

    before = {product_id for _, received, product_id in writer.created if received < backup_started}
    written = {product_id for _, _, product_id in writer.created}
    after = {product_id for sent, _, product_id in writer.created if sent > backup_finished}

    with ExitStack() as stack:
        use_databases()
        vhost = stack.enter_context(fresh_vhost())
        target_dir = tmp_path / "target"
        restore_env = {**source.env, "AMQP_URI": vhost, "ETALASE_VAR_DIR": str(target_dir)}
        restore_env.update({key: value for key, value in os.environ.items() if key.endswith("_DATABASE_URL")})
        restored = etalase(restore_env, "restore", str(backup_dir))
        assert restored.returncode == 0, restored.stderr
        target = stack.enter_context(platform_on(vhost, target_dir))

        # The owner's session was in the gateway's backup: the same token signs in.
        ids = set(target.merchant_product_ids(owner, merchant_id))
        assert before <= ids <= written, (len(before), len(ids), len(written))
        assert after and not ids & after  # asked for after the backup finished: not in it
        verified = target.etalase("search", "verify", "--repair")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert target.wait_until(lambda: target.etalase("search", "verify").returncode == 0, timeout=60)
        assert target.wait_until(lambda: target.search(q=word, per_page=50)["total"] == len(ids), timeout=60)
        found = {item["id"] for page in range(1, (len(ids) - 1) // 50 + 2)
                 for item in target.search(q=word, per_page=50, page=page)["items"]}
        assert found == ids


def etalase(env, *args):
    return subprocess.run([sys.executable, "-m", "services.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)
