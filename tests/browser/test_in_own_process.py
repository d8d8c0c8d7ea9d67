"""Playwright's sync API stalls at random under eventlet's monkey patch, which tests/conftest.py
applies to the whole suite. When the suite runs patched, this one test runs the browser tests
in a pytest of their own without that conftest (``--confcutdir=tests/browser``), and fails
with its output when they fail. Run directly::

    .venv/bin/python -m pytest --confcutdir=tests/browser tests/browser
"""
import subprocess
import sys
from pathlib import Path

import eventlet.patcher
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
HERE = Path(__file__).resolve().parent


@pytest.mark.timeout(1800)
def test_browser_suite_in_an_unpatched_process(request):
    if not eventlet.patcher.is_monkey_patched("socket"):
        pytest.skip("already unpatched: the browser tests run in this process")
    root = HERE.parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--confcutdir={HERE}", str(HERE)],
        cwd=root, capture_output=True, text=True, timeout=1700,
    )
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
