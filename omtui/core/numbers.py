"""Numbers in the reader's language: "3 000" (narrow no-break space) in French, "3,000" in
English. Babel is imported on first use only."""

from __future__ import annotations

from omtui.core.dates import babel_locale


def format_number(value: int | float, *, lang: str | None = None) -> str:
    """ "3 000" / "3,000"; a float keeps up to three decimals ("2,5" / "2.5")."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=babel_locale(lang))


def format_decimal(value: float, digits: int = 1, *, lang: str | None = None) -> str:
    """ "12,5" / "12.5": exactly `digits` decimals."""
    from babel.numbers import format_decimal as babel_format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return babel_format_decimal(value, format=pattern, locale=babel_locale(lang))


def format_numbers(values: dict[str, int], *, lang: str | None = None) -> dict[str, str]:
    """Every count of `values` formatted, for `_("{new} new").format(**...)`."""
    return {key: format_number(value, lang=lang) for key, value in values.items()}


def format_percent(ratio: float, *, lang: str | None = None) -> str:
    """ "85 %" (no-break space) / "85%": a ratio of 0.853 as a whole percentage."""
    from babel.numbers import format_percent as babel_format_percent

    return babel_format_percent(ratio, locale=babel_locale(lang))
