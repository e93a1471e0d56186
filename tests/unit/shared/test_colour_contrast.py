"""The site's colours meet WCAG 2.2 AA: text at least 4.5:1 on its background, the edges
of form fields and the keyboard focus ring at least 3:1 next to what surrounds them.

The style sheets are read as written (every feature's CSS under static/), so a colour
changed in one of them is checked here before a person ever squints at it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

import voiceqr.entrypoints.http
from voiceqr.domain.generations.qr_design import colour, contrast_ratio

STATIC = Path(voiceqr.entrypoints.http.__file__).parent / "static"
TEXT = 4.5  # WCAG 1.4.3, normal-size text
NON_TEXT = 3.0  # WCAG 1.4.11, the parts of a control a person needs to see
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|var\(--[a-z-]+\)")


def _style_sheets() -> dict[str, dict[str, str]]:
    """Selector -> its declarations, merged over every rule and every sheet in order
    (the kit's app.css first, as the base layout loads it)."""
    sheets = sorted(STATIC.glob("*/*.css"), key=lambda p: (p.parent.name != "kit", p))
    rules: dict[str, dict[str, str]] = defaultdict(dict)
    for sheet in sheets:
        text = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
        for selectors, body in _RULE.findall(text):
            # A rule inside @media: what is after the media query's brace.
            for selector in selectors.split("{")[-1].split(","):
                for declaration in body.split(";"):
                    name, _, value = declaration.partition(":")
                    if value.strip():
                        rules[" ".join(selector.split())][name.strip()] = value.strip()
    return rules


RULES = _style_sheets()
# The custom properties of :root, all colours, as #rrggbb.
VARIABLES = {name: colour(value, what="CSS") for name, value in RULES[":root"].items()}


def colour_of(selector: str, prop: str) -> str:
    """The first colour in `prop` of `selector` (a `var(--x)` resolved), as #rrggbb."""
    value = RULES[selector][prop]
    found = _COLOUR.search(value)
    assert found, f"{selector} {{ {prop}: {value} }} names no colour"
    found_colour = found.group()
    if found_colour.startswith("var("):
        found_colour = VARIABLES[found_colour[4:-1]]
    return colour(found_colour, what="CSS")


CARD = VARIABLES["--card"]
PAGE = VARIABLES["--bg"]
# Backgrounds form fields sit on: a card, the page, the history's batch bar.
FIELD_SURROUNDINGS = [CARD, PAGE, colour_of(".batch-bar", "background")]


@pytest.mark.parametrize(
    ("selector", "background_of"),
    [
        (".notice", ".notice"),
        (".alert", ".alert"),
        ("button", "button"),
        ("a.button", "a.button"),
        (".badge", ".badge"),
        (".nav-count", ".nav-count"),
        (".filing a", ".filing a"),
        (".tabs a[aria-current=page]", ".tabs a[aria-current=page]"),
        (".badge.published", ".badge.published"),
    ],
)
def test_notices_alerts_buttons_and_badges_read_at_4_5_to_1(
    selector: str, background_of: str
) -> None:
    text, background = colour_of(selector, "color"), colour_of(background_of, "background")

    assert contrast_ratio(text, background) >= TEXT, (selector, text, background)


@pytest.mark.parametrize("category", sorted(s for s in RULES if s.startswith(".cat-")))
def test_white_text_on_every_failure_category_badge_reads_at_4_5_to_1(category: str) -> None:
    text = colour_of(".badge[class*=cat-]", "color")

    assert contrast_ratio(text, colour_of(category, "background")) >= TEXT, category


@pytest.mark.parametrize("variable", ["--fg", "--muted", "--accent", "--bad", "--ok"])
@pytest.mark.parametrize("background", ["--card", "--bg"])
def test_text_colours_read_at_4_5_to_1_on_cards_and_on_the_page(
    variable: str, background: str
) -> None:
    assert contrast_ratio(VARIABLES[variable], VARIABLES[background]) >= TEXT


@pytest.mark.parametrize(
    "field",
    [
        "input[type=text]",
        "input[type=email]",
        "input[type=password]",
        "input[type=search]",
        "textarea",
        "select",
    ],
)
def test_the_edge_of_every_form_field_shows_at_3_to_1(field: str) -> None:
    edge = colour_of(field, "border")

    for surrounding in FIELD_SURROUNDINGS:
        assert contrast_ratio(edge, surrounding) >= NON_TEXT, (field, edge, surrounding)


def test_the_keyboard_focus_ring_is_visible_on_cards_and_on_the_page() -> None:
    ring = RULES[":focus-visible"]["outline"]
    width = re.search(r"(\d+(?:\.\d+)?)px", ring)

    assert width is not None, ring
    assert float(width.group(1)) >= 2, ring
    for surrounding in (CARD, PAGE):
        assert contrast_ratio(colour_of(":focus-visible", "outline"), surrounding) >= NON_TEXT


def test_any_rule_that_sets_both_text_and_background_colour_reads_at_4_5_to_1() -> None:
    both = [
        s
        for s, d in RULES.items()
        if "color" in d
        and _COLOUR.search(d["color"])
        and _COLOUR.search(d.get("background", d.get("background-color", "")))
    ]
    assert len(both) > 5, both  # the parser found the rules (it is not vacuously green)
    for selector in both:
        prop = "background" if "background" in RULES[selector] else "background-color"
        text, background = colour_of(selector, "color"), colour_of(selector, prop)
        assert contrast_ratio(text, background) >= TEXT, (selector, text, background)
