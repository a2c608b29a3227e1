"""Source texts and spans: frozen values that carry their text.

A Span is a half-open character range [start, end) in one Source; line and
column are derived on demand (1-based) so every pass can point at the text
the user wrote without carrying positions around separately.
"""

from __future__ import annotations

import bisect
from functools import cached_property

import attrs


@attrs.frozen(eq=False)
class Source:
    """A rule file's text and the name it is reported under."""

    name: str
    text: str

    def __repr__(self) -> str:  # never the whole file: reprs end up in logs and tracebacks
        return f"Source({self.name!r}, {len(self.text)} characters)"

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        for index, char in enumerate(self.text):
            if char == "\n":
                starts.append(index + 1)
        return starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        starts = self._line_starts
        if not 1 <= line <= len(starts):
            return ""
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[start:end].rstrip("\r")


@attrs.frozen(eq=False)
class Span:
    source: Source
    start: int
    end: int

    def __repr__(self) -> str:
        return f"Span({self.location()}, {self.end - self.start} characters)"

    @property
    def line(self) -> int:
        return self.source.line_col(self.start)[0]

    @property
    def column(self) -> int:
        return self.source.line_col(self.start)[1]

    @property
    def end_line_col(self) -> tuple[int, int]:
        return self.source.line_col(max(self.start, self.end - 1))

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def location(self) -> str:
        """`file:line:col`, the form editors and the trace's `at` use."""
        line, column = self.source.line_col(self.start)
        return f"{self.source.name}:{line}:{column}"

    def to(self, other: Span) -> Span:
        """The span covering self through other (same source)."""
        return Span(self.source, min(self.start, other.start), max(self.end, other.end))
