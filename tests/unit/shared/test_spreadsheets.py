"""CSV cells are never formulas to a spreadsheet, whatever a user typed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.shared.spreadsheets import spreadsheet_cell

FORMULA_STARTS = "=+-@\t\r"


@given(st.text())
def test_no_text_cell_starts_like_a_formula(text: str) -> None:
    cell = spreadsheet_cell(text)
    assert not cell.startswith(tuple(FORMULA_STARTS))
    assert cell.removeprefix("'") == text or cell == text


def test_numbers_stay_numbers_even_negative_ones() -> None:
    assert spreadsheet_cell(-3) == "-3"
    assert spreadsheet_cell(2.5) == "2.5"
    assert spreadsheet_cell(None) == ""
    assert spreadsheet_cell(True) == "True"
    assert spreadsheet_cell("@SUM(A1)") == "'@SUM(A1)"
