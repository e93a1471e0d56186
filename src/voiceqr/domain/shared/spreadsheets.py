"""Cells for files people open in a spreadsheet (the CSV exports).

A cell that starts with `=`, `+`, `-` or `@` is a formula to a spreadsheet, and tab and
carriage return are read as such by some: text a user typed ("=HYPERLINK(...)") must not
run when someone opens the export (CSV injection). Such text gets a leading single quote.
"""

from __future__ import annotations

from collections.abc import Iterable

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> str:
    """A value as a CSV cell: numbers as they are, text defused when it would be a formula."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = "" if value is None else str(value)
        return "'" + text if text.startswith(_FORMULA_STARTS) else text
    return str(value)


def spreadsheet_row(values: Iterable[object]) -> list[str]:
    return [spreadsheet_cell(value) for value in values]
