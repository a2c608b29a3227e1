"""ISO 3166-1 alpha-3 country codes, from pycountry (loaded on first use)."""

from __future__ import annotations

from functools import lru_cache

from rulelang.diagnostics import Suggestion, closest


@lru_cache(maxsize=1)
def _codes() -> dict[str, str]:
    import pycountry

    return {c.alpha_3: c.name for c in pycountry.countries}


def codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-3 code."""
    return frozenset(_codes())


def is_country(code: str) -> bool:
    return code in _codes()


def name_of(code: str) -> str | None:
    """The country's short name in ISO 3166-1, or None for a code that is not one."""
    return _codes().get(code)


# Codes in common use that are not ISO 3166-1 (EU, IOC/FIFA sports codes): each
# would otherwise get a misleading "did you mean" (UK -> UKR) or none at all.
_NOT_ISO = {"UK": "GBR", "EL": "GRC", "GER": "DEU", "SUI": "CHE", "NED": "NLD", "POR": "PRT",
            "GUA": "GTM", "HON": "HND", "ESA": "SLV", "CRC": "CRI", "RSA": "ZAF", "DEN": "DNK",
            "CHI": "CHL", "PAR": "PRY", "URU": "URY", "HAI": "HTI", "NCA": "NIC", "BIZ": "BLZ"}


def suggest(code: str) -> str | None:
    """A "did you mean" for a mistyped code (the help line of `suggestion`)."""
    return suggestion(code).help


def suggestion(code: str) -> Suggestion:
    """For a mistyped code: the alpha-3 close in spelling, or the alpha-3 of a
    country whose alpha-2 code or name was written instead, in words and as the
    code to write instead."""
    import pycountry

    upper = code.upper()
    if upper in _codes():
        return Suggestion(f"country codes are upper case: `{upper}`", upper)
    if len(code) == 2:
        found = pycountry.countries.get(alpha_2=upper)
        if found is not None:
            return Suggestion(f"`{code}` is an alpha-2 code; the alpha-3 code is `{found.alpha_3}`",
                              found.alpha_3)
    if upper in _NOT_ISO:
        alpha_3 = _NOT_ISO[upper]
        return Suggestion(f"`{code}` is not an ISO code; did you mean `{alpha_3}` "
                          f"({_codes()[alpha_3]})?", alpha_3)
    try:
        found = pycountry.countries.lookup(code)
        return Suggestion(f"did you mean `{found.alpha_3}` ({found.name})?", found.alpha_3)
    except LookupError:
        pass
    close = closest(upper, _codes())
    if close is not None:
        return Suggestion(f"did you mean `{close}` ({_codes()[close]})?", close)
    return Suggestion(None)
