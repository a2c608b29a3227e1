"""Every token of a rule text, blanks and comments too: what the formatter lays
out and the language server colours (the parser drops blanks and comments)."""

from __future__ import annotations

from functools import lru_cache

import lark

from rulelang.resources import grammar_text


@lru_cache(maxsize=1)
def _lexer() -> lark.Lark:
    """The grammar's lexer without the newline post-lexer."""
    return lark.Lark(grammar_text(), parser="lalr", lexer="basic", cache=True)


def every_token(text: str) -> list:
    """The text's tokens in order (Lark Tokens); raises Lark's UnexpectedInput where
    the text has a character no token starts with."""
    return list(_lexer().lex(text, dont_ignore=True))


def is_blank(token) -> bool:
    return token.type != "COMMENT" and token.type in _lexer().lexer_conf.ignore

