"""What a playback page is called: its heading, the browser tab and a shared link's
preview take it from the text the code plays."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voiceqr.application.playback.playback import TITLE_LENGTH, PlaybackPage
from voiceqr.domain.generations.generation import GenerationStatus


def _page(text: str) -> PlaybackPage:
    return PlaybackPage(
        code="c", text=text, voice_name="", status=GenerationStatus.PENDING, audio_url=None
    )


def test_a_short_first_sentence_is_the_title() -> None:
    assert _page("Welcome to the east wing. Enjoy.").title == "Welcome to the east wing."


def test_a_long_first_sentence_is_cut_after_a_whole_word() -> None:
    text = "This is the tour of the east wing of the museum, and it goes on and on for a while."

    title = _page(text).title

    assert title == "This is the tour of the east wing of the museum, and it…"
    assert len(title) <= TITLE_LENGTH


def test_a_title_is_on_one_line() -> None:
    assert _page("Room 4\n  and 5.\nThe painting.").title == "Room 4 and 5."


def test_the_owners_title_names_the_page() -> None:
    page = PlaybackPage(
        code="c",
        text="Welcome to the east wing. Enjoy.",
        voice_name="",
        status=GenerationStatus.PENDING,
        audio_url=None,
        given_title="East wing tour",
    )
    assert page.title == "East wing tour"


def test_a_blank_text_is_still_called_something() -> None:
    assert _page("  ").title == "Listen"


@given(st.text(max_size=300))
def test_a_title_is_never_empty_never_long_and_starts_the_text(text: str) -> None:
    title = _page(text).title

    assert title
    assert len(title) <= TITLE_LENGTH
    if text.strip():
        assert " ".join(text.split()).startswith(title.removesuffix("…"))
