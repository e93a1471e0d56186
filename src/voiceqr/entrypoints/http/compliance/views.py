"""How the terms and privacy policy are shown: their Markdown rendered safely, and
one description of a version that the JSON API and the pages share."""

from __future__ import annotations

import msgspec
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from voiceqr.application.compliance.documents import PublicDocument
from voiceqr.domain.compliance.documents import LegalDocument
from voiceqr.entrypoints.http.compliance.schemas import LegalDocumentOut, LegalVersionOut

# CommonMark with raw HTML off: a tag in the text is shown as text, never run, and
# markdown-it refuses javascript:, vbscript: and data: links (its validateLink).
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def _one_level_down(tokens: list[Token]) -> list[Token]:
    """The page's own title is the h1: the text's headings go one level below it."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    return tokens


def rendered(text: str) -> Markup:
    """The document's Markdown as safe HTML."""
    env: dict[str, object] = {}
    tokens = _one_level_down(_MARKDOWN.parse(text, env))
    return Markup(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, env))  # noqa: S704


def version_out(document: LegalDocument, shown: PublicDocument) -> LegalVersionOut:
    return LegalVersionOut(
        kind=str(document.kind),
        version=document.version,
        effective_on=document.effective_on,
        summary=document.summary,
        sha256=document.sha256,
        material=document.material,
        published_at=document.published_at,
        live=document is shown.live,
        scheduled=document is shown.scheduled,
        url=f"/{document.kind}/versions/{document.version}",
    )


def document_out(shown: PublicDocument) -> LegalDocumentOut | None:
    document = shown.shown
    if document is None:
        return None
    scheduled = shown.scheduled
    return LegalDocumentOut(
        **msgspec.structs.asdict(version_out(document, shown)),
        title=document.title,
        text=document.text,
        next_version=None if scheduled is None else version_out(scheduled, shown),
    )
