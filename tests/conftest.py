"""Shared fixtures: golden files (rewritten by `--update-goldens`) and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite golden files from the current output (review with git diff)")


@pytest.fixture
def golden(request):
    """golden("dir/name.txt", actual): compare with the stored file, or rewrite it."""
    update = request.config.getoption("--update-goldens")

    def check(relative: str, actual: str) -> None:
        path = GOLDEN / relative
        if update or not path.exists():
            if not update:
                pytest.fail(f"golden file {relative} is missing; run pytest --update-goldens")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"{relative} differs; if the change is intended, run pytest --update-goldens"

    return check


@pytest.fixture
def frames_in_cycles():
    """frames_in_cycles(job): run `job()` with Python's cycle collector off, and return
    (its result, the names of the frames it left in reference cycles). A frame in a
    cycle holds its locals, and its callers' frames theirs, until that collector runs,
    which it seldom does: a run must leave none (a record's error kept with its
    traceback did, and a 1M-record run grew by 1.7 GB)."""
    import gc
    import types

    def run(job):
        gc.collect()
        gc.disable()
        try:
            result = job()
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            return result, [f.f_code.co_name for f in gc.garbage if isinstance(f, types.FrameType)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()

    return run
