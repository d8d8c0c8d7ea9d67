"""The import contracts in pyproject.toml (run by ``make lint`` with import-linter) name the
gateway's JSON API modules one by one; a new ``api*.py`` module must join that list, or the
rule that the API never imports the HTML site layer would not cover it."""
import re
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


def _sources():
    for folder in ("services", "shared", "tests", "bench", "deploy", ".ci"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".html", ".js", ".css", ".yaml", ".yml", ".sql", ".txt", ""}:
                yield path
    yield ROOT / "Makefile"
    yield ROOT / "README.md"


def test_every_document_the_code_cites_is_in_the_repository():
    cited = re.compile(r"\bdocs/[\w./-]+\.md\b")
    # Spelled in pieces so that this line does not match itself.
    outside = re.compile("/" + "work/|" + re.escape("../" + "shared/"))
    missing, escaping = [], []
    for path in _sources():
        text = path.read_text(encoding="utf-8", errors="replace")
        missing += [f"{path.relative_to(ROOT)}: {doc}" for doc in cited.findall(text) if not (ROOT / doc).is_file()]
        escaping += [f"{path.relative_to(ROOT)}: {line.strip()}" for line in text.splitlines() if outside.search(line)]
    assert not missing, "cited documents that do not exist:\n" + "\n".join(missing)
    assert not escaping, "citations of paths outside the repository:\n" + "\n".join(escaping)
