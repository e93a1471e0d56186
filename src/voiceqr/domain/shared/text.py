"""Which characters a text people send may hold, and when a text says nothing at all.

Control characters (Unicode category Cc: U+0000-U+001F and U+007F-U+009F) come from
no keyboard, PostgreSQL cannot store U+0000 at all, and a speech engine reads the
others out or stumbles on them, so they are refused everywhere, the same on every
database. A text of several lines (what to speak, a draft, a description) keeps
tab, line feed and carriage return; a one-line field (a name, an email, a code)
takes none of them.
"""

from __future__ import annotations

import re
import unicodedata

from voiceqr.domain.shared.errors import ValidationError

# What each kind of field may hold, as one regular-expression character class in the
# syntax Python and JSON Schema (ECMAScript) read alike, so the API schema states it.
ONE_LINE_CHARACTERS = r"[^\x00-\x1f\x7f-\x9f]"
MULTI_LINE_CHARACTERS = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"

_REFUSED = {
    multiline: re.compile("[" + allowed.removeprefix("[^"))
    for multiline, allowed in ((False, ONE_LINE_CHARACTERS), (True, MULTI_LINE_CHARACTERS))
}

# Characters that show nothing and say nothing besides whitespace and the format
# characters (category Cf: zero-width space and joiners, word joiner, byte order mark,
# direction marks, soft hyphen...): fillers and selectors that only modify a neighbour.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")
_VARIATION_SELECTORS = (("\ufe00", "\ufe0f"), ("\U000e0100", "\U000e01ef"))


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first control character in `text` that its kind of field refuses, if any."""
    found = _REFUSED[multiline].search(text)
    return None if found is None else found.group()


def refuse_control_characters(text: str, *, what: str, multiline: bool = False) -> str:
    """`text` itself, or a ValidationError (`control_characters`) naming `what` holds one."""
    found = control_character(text, multiline=multiline)
    if found is None:
        return text
    allowed = "tabs and line breaks are fine" if multiline else "it takes one line of text"
    raise ValidationError(
        f"{what} cannot hold the control character U+{ord(found):04X}; {allowed}.",
        code="control_characters",
    )


def is_blank(text: str) -> bool:
    """Whether `text` holds only whitespace and invisible characters: nothing to read out."""
    return all(_shows_nothing(c) for c in text)


def _shows_nothing(c: str) -> bool:
    return (
        c.isspace()
        or unicodedata.category(c) == "Cf"
        or c in _INVISIBLE
        or any(low <= c <= high for low, high in _VARIATION_SELECTORS)
    )
