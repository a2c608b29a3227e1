"""Where the grammar and the shipped policies live.

In a wheel they are packaged under rulelang/_data (hatch force-include); in a
checkout they sit beside the package at the repository root.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path


@lru_cache(maxsize=None)
def data_dir(name: str) -> Path:
    """The directory `grammar` or `stdlib_policies`, installed or in a checkout."""
    packaged = resources.files("rulelang") / "_data" / name
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"rulelang installation is missing its {name}/ directory")


def grammar_text() -> str:
    return (data_dir("grammar") / "rulelang.lark").read_text(encoding="utf-8")


def stdlib_dir() -> Path:
    return data_dir("stdlib_policies")
