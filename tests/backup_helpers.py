"""What the backup tests share: a config naming one data location, and its rows read back."""
from pathlib import Path

from sqlalchemy import inspect, text

from services import backup
from shared.db import make_engine


def config_for(var_dir: Path, urls: dict[str, str]) -> dict:
    """A nameko-style config whose four services keep their databases at ``urls`` and their
    media under ``var_dir``/media."""
    config: dict = {service.upper(): {"DATABASE_URL": url, "VAR_DIR": str(var_dir)} for service, url in urls.items()}
    for service in ("CATALOG", "GATEWAY"):
        config[service]["MEDIA_ROOT"] = str(var_dir / "media")
    return config


def _table_rows(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            return {table: sorted(repr(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{table}"')))
                    for table in tables}
    finally:
        engine.dispose()


def layout_rows(layout: backup.Layout) -> dict[str, dict[str, list[str]]]:
    """Every row of every table of every service database, comparable between two locations."""
    return {database.service: _table_rows(database.url) for database in layout.databases}


def catalog_rows(layout: backup.Layout) -> list[str] | None:
    """The catalog's product rows (None: the catalog database has no products table)."""
    url = next(database.url for database in layout.databases if database.service == "catalog")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if "products" not in inspect(connection).get_table_names():
                return None
            return sorted(repr(tuple(row)) for row in connection.execute(text("SELECT * FROM products")))
    finally:
        engine.dispose()
