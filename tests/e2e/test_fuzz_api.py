"""schemathesis fuzzes the JSON API of a real platform from the document it serves
(``GET /api/v1/openapi.json``): without credentials, as an owner and as an admin.

No 5xx, every status code, content type, header and body as the document says, and no
stack trace in any body. ``make test`` runs a bounded number of examples per operation;
``make fuzz`` many more (``ETALASE_FUZZ_EXAMPLES``). The totals are printed (``-s``)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

LONG = "ETALASE_FUZZ_EXAMPLES" in os.environ  # make fuzz: random examples, seed printed
EXAMPLES = int(os.environ.get("ETALASE_FUZZ_EXAMPLES", "5"))
RUN_TIMEOUT = 240 + EXAMPLES * 6  # bounds a stuck run; not a pass/fail timing
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(RUN_TIMEOUT + 120)]
# Also refused: a request the document calls invalid (negative_data_rejection). Not checked:
# positive_data_acceptance (rules across fields, e.g. compare_at_price above price, are not JSON
# Schema) and unsupported_method (/campaigns/active also matches /campaigns/{campaign_id}, so its
# 405 lists PATCH in Allow).
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance,ignored_auth,negative_data_rejection")
STACK_TRACE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")
SCHEMATHESIS = str(Path(sys.executable).with_name("st"))


def fuzz(platform, report_dir: Path, *extra: str, config_file: Path | None = None
         ) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run schemathesis; return the finished process and the bodies of every response."""
    har = report_dir / "responses.har"
    config = ["--config-file", str(config_file)] if config_file else []
    command = [
        SCHEMATHESIS, *config, "run", f"{platform.base_url}/api/v1/openapi.json", "--checks", CHECKS,
        "--max-examples", str(EXAMPLES), "--workers", "1", "--request-timeout", "30",
        "--no-color", "--suppress-health-check", "all", "--report", "har", "--report-har-path", str(har), *extra,
    ]
    if "--phases" not in extra:
        command += ["--phases", "examples,coverage,fuzzing"]
    if not LONG:
        command.append("--generation-deterministic")  # the suite's run is the same every time
    finished = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    print(finished.stdout[-6000:])
    entries = json.loads(har.read_text())["log"]["entries"] if har.exists() else []
    bodies = [entry["response"]["content"].get("text") or "" for entry in entries]
    return finished, bodies


@pytest.fixture(scope="module", autouse=True)
def accounts(running_platform):
    """An owner with a merchant and a product, and an admin, all signed in before any fuzzing:
    schemathesis's wrong passwords soon make sign-in from this address answer 429 (throttle)."""
    owner = running_platform.sign_up("owner")
    merchant_id = running_platform.new_merchant(owner)
    product = running_platform.http.post("/api/v1/products", headers=owner, json={
        "merchant_id": merchant_id, "name": "Kopi Kolaka", "price": 15000, "stock": 3, "category": "kopi-teh"})
    assert product.status_code == 201, product.text
    return {"owner": owner, "admin": running_platform.admin_headers(), "merchant_id": merchant_id,
            "product_id": product.json()["id"]}


def test_schemathesis_finds_nothing_without_credentials(running_platform, tmp_path):
    # Without a token most operations stop at 401, so the suite's run skips the coverage phase
    # (the signed-in runs have it; their ignored_auth check sends each request without the token too).
    finished, bodies = fuzz(running_platform, tmp_path, *([] if LONG else ["--phases", "fuzzing"]))
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    assert bodies, "schemathesis sent no request"
    assert not [body for body in bodies if STACK_TRACE.search(body)]


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_schemathesis_finds_nothing_when_signed_in(running_platform, accounts, tmp_path, role):
    """As an owner (the catalog's writes) and as an admin (the admin operations). A real merchant
    and product (the owner's) fill every path that names one, so the fuzzed bodies reach the
    services' rules instead of stopping at 404."""
    config = tmp_path / "schemathesis.toml"
    config.write_text('[parameters]\n"path.merchant_id" = "%(merchant_id)s"\n'
                      '"path.product_id" = "%(product_id)s"\n' % accounts)
    token = accounts[role]["Authorization"]
    # In the suite the admin fuzzes only what an owner may not reach (make fuzz: everything).
    only = [] if LONG or role == "owner" else ["--include-path-regex", "/admin/|/verification$|/campaigns"]
    finished, bodies = fuzz(running_platform, tmp_path, "--header", f"Authorization: {token}", *only,
                            # signing out would end the token halfway, deleting the product its paths
                            "--exclude-path", "/api/v1/sessions/current",
                            "--exclude-operation-id", "delete_api_v1_products_product_id",
                            config_file=config)
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    assert bodies, "schemathesis sent no request"
    assert not [body for body in bodies if STACK_TRACE.search(body)]
