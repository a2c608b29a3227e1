"""The layers of the package hold (pyproject.toml's import-linter contract): the
interpreter and the backends read the typed core and never each other; no pass
imports the command line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_layers_are_kept():
    lint = shutil.which("lint-imports")
    assert lint, "import-linter is part of the test extra: pip install '.[test]'"
    done = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout
