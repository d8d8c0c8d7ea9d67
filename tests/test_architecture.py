"""The import contracts in pyproject.toml (run by ``make lint`` with import-linter) name the
gateway's JSON API modules one by one; a new ``api*.py`` module must join that list, or the
rule that the API never imports the HTML site layer would not cover it."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _contracts() -> list[dict]:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["tool"]["importlinter"]["contracts"]


def test_every_json_api_module_is_under_the_site_contract():
    [contract] = [c for c in _contracts() if c.get("forbidden_modules") == ["services.gateway.site"]]
    api_modules = {f"services.gateway.{path.stem}" for path in (ROOT / "services" / "gateway").glob("api*.py")}
    assert api_modules, "no services/gateway/api*.py found"
    assert api_modules <= set(contract["source_modules"])


def test_every_service_package_is_in_the_independence_contract():
    [contract] = [c for c in _contracts() if c["type"] == "independence"]
    packages = {f"services.{path.parent.name}" for path in (ROOT / "services").glob("*/service.py")}
    assert packages == set(contract["modules"])
