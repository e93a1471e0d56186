"""A generation's title: what History, page titles, exports and file names call it.

The owner may give one; without it the title is the first words of the text, so a
list of generations never shows a row of blanks. The default is worked out when it is
shown (not stored), so editing the text renames an untitled generation too.
"""

from __future__ import annotations

import re
import unicodedata

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.text import is_blank, refuse_control_characters

MAX_TITLE_LENGTH = 100
DEFAULT_TITLE_LENGTH = 60  # the first words of the text: one line of a list on a phone
ELLIPSIS = "\u2026"

_SPACES = re.compile(r"\s+")


def clean_title(title: str | None) -> str | None:
    """The title as stored, or None for "use the first words of the text".

    Inner runs of whitespace become one space; a blank title is no title. Control
    characters (which no one-line field takes) and titles longer than
    MAX_TITLE_LENGTH characters are refused with a ValidationError.
    """
    if title is None:
        return None
    refuse_control_characters(title, what="The title")
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFC", title)).strip()
    if is_blank(cleaned):
        return None
    if len(cleaned) > MAX_TITLE_LENGTH:
        raise ValidationError(
            f"A title has at most {MAX_TITLE_LENGTH} characters; this one has {len(cleaned)}.",
            code="title_too_long",
        )
    return cleaned


def default_title(text: str) -> str:
    """The first words of `text` on one line, at most DEFAULT_TITLE_LENGTH characters.

    Words are never cut unless the first one alone is too long; an ellipsis says the
    text goes on. Words that show nothing (a zero-width space) are left out, so any text
    with something to read gives a title with something to read.
    """
    words = [word for word in text.split() if not is_blank(word)]
    if not words:
        return ""
    title = words[0]
    if len(title) > DEFAULT_TITLE_LENGTH:
        return title[: DEFAULT_TITLE_LENGTH - 1] + ELLIPSIS
    for word in words[1:]:
        if len(title) + 1 + len(word) > DEFAULT_TITLE_LENGTH - 1:
            return title + ELLIPSIS
        title = f"{title} {word}"
    return title


def shown_title(title: str | None, text: str) -> str:
    """The title to show: the owner's, else the first words of the text."""
    return title or default_title(text)
