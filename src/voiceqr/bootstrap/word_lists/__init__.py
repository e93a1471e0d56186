"""The word lists of the text filter, one TOML file per language beside this module.

Each file has `language` and `[[term]]` tables with `text`, `category` (a moderation
reason code) and `action` (block, hold or flag). A list is data reviewed like code:
a bad entry fails at start-up with the file and the entry named.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from typing import Any

from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.moderation.text_filter import FilterAction, FilterTerm, TermKind, term_text
from voiceqr.domain.shared.errors import DomainError

_LIST_ACTIONS = (FilterAction.BLOCK, FilterAction.HOLD, FilterAction.FLAG)


def load_word_lists() -> tuple[FilterTerm, ...]:
    """Every entry of every shipped list."""
    terms: list[FilterTerm] = []
    for item in sorted(files(__package__).iterdir(), key=lambda i: i.name):
        if item.name.endswith(".toml"):
            terms.extend(_entries(item.name, tomllib.loads(item.read_text(encoding="utf-8"))))
    return tuple(terms)


def _entries(name: str, data: dict[str, Any]) -> list[FilterTerm]:
    source = f"list:{data['language']}"
    entries = []
    for number, table in enumerate(data.get("term", []), start=1):
        try:
            action = FilterAction(table["action"])
            if action not in _LIST_ACTIONS:
                raise ValueError(f"action {action} is for the staff's list only")
            entries.append(
                FilterTerm(
                    kind=TermKind.TERM,
                    text=term_text(TermKind.TERM, table["text"]),
                    action=action,
                    reason=ReasonCode(table["category"]),
                    source=source,
                )
            )
        except (KeyError, ValueError, DomainError) as error:
            raise ValueError(f"word list {name}, entry {number}: {error}") from error
    return entries
