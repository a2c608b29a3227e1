"""The grammar and the shipped policies are found both from a checkout and from
an installed wheel (STYLE.md: "include them in the wheel ... test both")."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import rulelang
from rulelang import resources

ROOT = Path(__file__).resolve().parent.parent


def test_data_dirs_from_the_checkout():
    grammar = resources.data_dir("grammar")
    stdlib = resources.data_dir("stdlib_policies")
    assert (grammar / "rulelang.lark").is_file()
    assert (stdlib / "common.rules").is_file()
    assert resources.stdlib_dir() == stdlib
    # in this checkout (an editable install) they are the repository's own directories
    package_dir = Path(rulelang.__file__).resolve().parent
    if not (package_dir / "_data").is_dir():
        assert grammar.resolve() == (ROOT / "grammar").resolve()
        assert stdlib.resolve() == (ROOT / "stdlib_policies").resolve()
    assert resources.grammar_text() == (grammar / "rulelang.lark").read_text(encoding="utf-8")
    assert "start:" in resources.grammar_text()


def test_unknown_data_dir_is_reported():
    with pytest.raises(FileNotFoundError):
        resources.data_dir("no_such_directory")


def test_stdlib_name_resolves_from_the_checkout():
    assert not [d for d in rulelang.check("stdlib:common") if d.is_error]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if importlib.util.find_spec("hatchling") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "hatchling>=1.21"], check=True,
                       timeout=120)
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(out), str(ROOT)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    [built] = list(out.glob("rulelang-*.whl"))
    return built


def test_wheel_contains_grammar_and_stdlib(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "rulelang/_data/grammar/rulelang.lark" in names
    assert "rulelang/_data/stdlib_policies/common.rules" in names
    assert "rulelang/__init__.py" in names and "rulelang/cli.py" in names
    # every shipped policy of the checkout is in the wheel
    for path in (ROOT / "stdlib_policies").glob("*.rules"):
        assert f"rulelang/_data/stdlib_policies/{path.name}" in names
    # the tests and the repository's own folders stay out
    assert not [n for n in names if n.startswith(("tests/", "grammar/", "stdlib_policies/"))]
    packaged = zipfile.ZipFile(wheel).read("rulelang/_data/grammar/rulelang.lark").decode()
    assert packaged == (ROOT / "grammar" / "rulelang.lark").read_text(encoding="utf-8")


def test_wheel_ships_the_workbenchs_pages(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    web = ROOT / "rulelang" / "web"
    shipped = [p for p in (web / "templates").iterdir()] + [p for p in (web / "static").iterdir()]
    assert shipped and all(f"rulelang/web/{p.parent.name}/{p.name}" in names for p in shipped)


def test_wheel_ships_py_typed(wheel):
    """PEP 561: type checkers read the package's annotations (Decision, Outcome, Policy)."""
    assert "rulelang/py.typed" in set(zipfile.ZipFile(wheel).namelist())


def test_installed_wheel_finds_its_data(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                           str(target), str(wheel)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = r"""
import json, rulelang
from rulelang import resources
policy = rulelang.load("stdlib:common")
diags = rulelang.check("rule x: bool = true and (1 < 2)\n")
bad = rulelang.check("rule x: bool = (\n")
print(json.dumps({
    "module": rulelang.__file__,
    "grammar": str(resources.data_dir("grammar")),
    "stdlib": str(resources.stdlib_dir()),
    "errors": [d.code for d in diags if d.is_error],
    "bad": [d.code for d in bad if d.is_error],
    "input": policy.program.input_type is not None,
}))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(target)
    proc = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    target_dir = target.resolve()
    assert Path(info["module"]).resolve().is_relative_to(target_dir), info["module"]
    assert Path(info["grammar"]).resolve().is_relative_to(target_dir)
    assert Path(info["grammar"]).resolve() == target_dir / "rulelang" / "_data" / "grammar"
    assert Path(info["stdlib"]).resolve().is_relative_to(target_dir)
    assert info["errors"] == []
    assert info["bad"] and info["bad"][0].startswith("RL000")
    assert info["input"] is True
