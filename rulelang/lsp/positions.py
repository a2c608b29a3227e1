"""Character offsets (what spans count) to and from an editor's (line, column).

LSP columns count code units of an encoding the client and server agree on at
start-up: UTF-16 by default, UTF-8 or UTF-32 if the client offers them. A
character past the Basic Multilingual Plane (an emoji in a comment) is one
character to a span, two UTF-16 units and four UTF-8 ones: counting wrong would
put every mark after it on the line in the wrong place. Lines end at `\\n`, as
the parser's spans count them (a `\\r` before it stays in the line's last column).
"""

from __future__ import annotations

import bisect
from functools import lru_cache

import attrs

from rulelang.span import Span

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def _units(text: str, encoding: str) -> int:
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


@attrs.frozen
class LineIndex:
    """A text's line starts, to turn offsets into (line, unit column) and back."""
    text: str
    encoding: str = UTF16
    starts: tuple[int, ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        starts = [0] + [i + 1 for i, char in enumerate(self.text) if char == "\n"]
        object.__setattr__(self, "starts", tuple(starts))

    def position(self, offset: int) -> tuple[int, int]:
        """0-based (line, column in code units) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, _units(self.text[self.starts[line]:offset], self.encoding)

    def offset(self, line: int, column: int) -> int:
        """The character offset of an editor's position; a column past the line's end
        is its end, a line past the text's end is the text's end (clients do send them)."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[line]
        end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        units = 0
        for index in range(start, end):
            if units >= column:
                return index
            units += _units(self.text[index], self.encoding)
        return end

    def range(self, span: Span) -> tuple[tuple[int, int], tuple[int, int]]:
        return self.position(span.start), self.position(span.end)


@lru_cache(maxsize=32)
def line_index(text: str, encoding: str = UTF16) -> LineIndex:
    """The LineIndex of a text, kept for the next question about it (a str's hash is
    computed once, so looking a text up costs nothing however long it is)."""
    return LineIndex(text, encoding)
