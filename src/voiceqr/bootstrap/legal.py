"""The first version of the terms of service and the privacy policy a new installation
starts with, so the sign-up form links to a real text.

They are data, kept beside this module (`default_terms.md`, `default_privacy.md`), and
published once, in force from the first start, and not material: nobody is asked to
accept them again. An operator replaces them with their own text by publishing version
2 (`voiceqr legal publish terms FILE --effective DATE`, or /admin/legal).
"""

from __future__ import annotations

from importlib.resources import files

from voiceqr.domain.compliance.documents import DocumentKind


def default_legal_texts() -> dict[DocumentKind, str]:
    here = files(__package__)
    return {
        kind: here.joinpath(f"default_{kind}.md").read_text(encoding="utf-8")
        for kind in DocumentKind
    }
