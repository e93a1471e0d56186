"""The public playback page as a scanner and a shared link see it: its title, the preview
tags a link unfurls into, the browser's own player when no script runs, and the
transcript marked sentence by sentence for reading along."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from tests.integration.http.conftest import TRANSCRIPT
from tests.integration.http.playback.test_playback_api import requested
from tests.integration.http_helpers import BROWSER, Agent, RunningApp, audio_sources

pytestmark = pytest.mark.asyncio(loop_scope="module")


class _Page(HTMLParser):
    """The parts of a page these tests read, with attributes and text unescaped."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.audio: list[dict[str, str | None]] = []
        self.sentences: list[tuple[str, str]] = []  # (data-at, text)
        self.title = self.h1 = ""
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (name := found.get("property") or found.get("name")):
            self.meta[name] = found.get("content") or ""
        elif tag == "link" and found.get("rel"):
            self.links[str(found["rel"])] = found.get("href") or ""
        elif tag == "audio":
            self.audio.append(found)
        elif tag == "span" and "data-at" in found:
            self.sentences.append((str(found["data-at"]), ""))
            self._in = "span"
        elif tag in ("title", "h1"):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "span":
            at, text = self.sentences[-1]
            self.sentences[-1] = (at, text + data)
        elif self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1 += data


async def _page(app: RunningApp, code: str) -> tuple[str, _Page]:
    response = await app.anonymous.get(f"/p/{code}", headers=BROWSER)
    assert response.status_code == 200, response.text
    return response.text, _Page(response.text)


async def test_a_shared_link_unfurls_into_the_title_the_transcript_and_the_audio(
    app: RunningApp, spoken: dict[str, Any]
) -> None:
    _, page = await _page(app, spoken["public_code"])

    assert page.h1 == TRANSCRIPT  # one sentence: the whole of it is the title
    assert page.title == f"{TRANSCRIPT} · voiceqr"
    assert page.meta["og:title"] == TRANSCRIPT
    assert page.meta["og:description"] == TRANSCRIPT
    assert page.meta["description"] == TRANSCRIPT
    assert page.meta["og:type"] == "website"
    assert page.meta["twitter:card"] == "summary"
    # A crawler on another host reads the preview: every address in it is absolute.
    assert page.meta["og:url"] == spoken["playback_url"]
    assert page.links["canonical"] == spoken["playback_url"]
    base = spoken["playback_url"].split("/p/")[0]
    assert page.meta["og:audio"] == base + spoken["audio_url"]
    assert page.meta["og:audio:type"] == "audio/mpeg"


async def test_quotes_and_markup_in_the_text_stay_text_in_the_preview_tags(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    text = 'She said "<script>alert(1)</script>" & left. Then she came back.'
    made = await requested(alice, voices, text)

    html, page = await _page(app, made["public_code"])

    first = 'She said "<script>alert(1)</script>" & left.'
    assert page.meta["og:title"] == first
    assert page.meta["og:description"] == text
    assert page.h1 == first
    assert "<script>alert" not in html
    assert 'content="She said "' not in html  # the quote cannot end the attribute
    assert "og:audio" not in page.meta  # no audio yet, none announced


async def test_a_long_text_gives_a_short_title_and_a_preview_of_its_start(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    text = "This is the tour of the east wing of the museum, " * 12 + "and so it ends."
    made = await requested(alice, voices, text)

    _, page = await _page(app, made["public_code"])

    assert page.h1.endswith("…")
    assert len(page.h1) <= 60
    assert text.startswith(page.h1.removesuffix("…"))
    description = page.meta["og:description"]
    assert description.endswith("…")
    assert len(description) <= 200
    assert text.startswith(description.removesuffix("…").rstrip())


async def test_without_script_the_browsers_own_player_plays_the_audio(
    app: RunningApp, spoken: dict[str, Any]
) -> None:
    html, page = await _page(app, spoken["public_code"])

    assert audio_sources(html) == [spoken["audio_url"]]
    (player,) = page.audio
    assert "controls" in player  # the script swaps in its own controls, if it runs
    assert '<script src="/static/playback.js" defer></script>' in html
    assert page.links["stylesheet"] == "/static/playback.css"
    assert "<style" not in html  # the player's looks are a cached file, not the page's bytes


async def test_the_transcript_marks_each_sentence_with_where_it_starts_in_the_audio(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    text = "One.  Two is longer!\nAnd three?"
    made = await requested(alice, voices, text)

    html, page = await _page(app, made["public_code"])

    # Placed by their share of the text: no speech adapter keeps the provider's timings.
    total = len("One.") + len("Two is longer!") + len("And three?")
    assert page.sentences == [
        ("0.0000", "One."),
        (f"{4 / total:.4f}", "Two is longer!"),
        (f"{18 / total:.4f}", "And three?"),
    ]
    # The text stays as written between the sentences.
    assert '<span data-at="0.0000">One.</span>  <span' in html
    assert "Two is longer!</span>\n<span" in html


async def test_the_logo_leads_to_the_front_page_not_to_sign_in(
    app: RunningApp, spoken: dict[str, Any]
) -> None:
    html, _ = await _page(app, spoken["public_code"])

    assert '<a class="brand" href="/">voiceqr</a>' in html
    assert "/signin" not in html


async def test_the_owners_title_names_the_playback_page(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    response = await alice.post(
        "/api/v1/generations",
        json={"text": "Room four. The painting.", "voice_id": voices[0]["id"], "title": "Room 4"},
    )
    assert response.status_code == 202, response.text

    _, page = await _page(app, response.json()["public_code"])

    assert page.h1 == "Room 4"
    assert page.meta["og:title"] == "Room 4"


async def test_a_phone_gets_the_page_gzipped_and_a_client_without_gzip_gets_it_plain(
    app: RunningApp, spoken: dict[str, Any]
) -> None:
    url = f"/p/{spoken['public_code']}"
    phone = await app.anonymous.get(url, headers={**BROWSER, "Accept-Encoding": "gzip, br"})
    plain = await app.anonymous.get(url, headers={**BROWSER, "Accept-Encoding": "identity"})

    assert phone.status_code == plain.status_code == 200
    assert phone.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert phone.text == plain.text  # the same page, once unzipped
    assert phone.num_bytes_downloaded < len(plain.content) / 2
    for response in (phone, plain):
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-type"] == "text/html; charset=utf-8"


async def test_other_pages_are_still_compressed_for_a_client_that_asks(app: RunningApp) -> None:
    # The playback page brings its own gzipped bytes; the app compresses the rest.
    asked = await app.anonymous.get("/", headers={**BROWSER, "Accept-Encoding": "gzip"})
    plain = await app.anonymous.get("/", headers={**BROWSER, "Accept-Encoding": "identity"})

    assert asked.status_code == plain.status_code == 200
    assert len(plain.content) >= 1024  # past the compression's minimum size
    assert asked.headers["content-encoding"] == "gzip"
    assert asked.num_bytes_downloaded < len(plain.content)
