"""Small helpers every text view shares: fitting lines to a width without
breaking a word, and naming where a clause is written."""

from __future__ import annotations

import textwrap

DEFAULT_WIDTH = 100
MIN_WIDTH = 60
STDLIB_SHOWN = "stdlib/"        # how the checker names a shipped file (semantics/resolve.py)


def wrap(text: str, width: int, first: str = "", rest: str | None = None) -> list[str]:
    """`text` in lines of at most `width` characters, words whole (a word longer
    than a line stays whole on its own line), `first` before the first line and
    `rest` before the others."""
    rest = first if rest is None else rest
    wrapper = textwrap.TextWrapper(width=max(width, len(rest) + 20), initial_indent=first,
                                   subsequent_indent=rest, break_long_words=False,
                                   break_on_hyphens=False)
    return wrapper.wrap(text) or [first.rstrip()]


def shown(source_name: str) -> str:
    """A rule file's name as users give it: a shipped file as `stdlib:NAME.rules`
    rather than a `stdlib/` folder that is not on disk."""
    if source_name.startswith(STDLIB_SHOWN):
        return "stdlib:" + source_name[len(STDLIB_SHOWN):]
    return source_name


def where(span) -> str:
    """`file:line:col` of a span, a shipped file as `stdlib:NAME.rules:line:col`."""
    return shown(span.location())


def fit_width(columns: int | None) -> int:
    """A width for text views: the terminal's (at least MIN_WIDTH), or DEFAULT_WIDTH."""
    if not columns:
        return DEFAULT_WIDTH
    return max(MIN_WIDTH, columns)


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
