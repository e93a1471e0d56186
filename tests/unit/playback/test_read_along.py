"""The transcript as the playback page shows it for reading along: sentence by sentence,
each marked with where it starts in the audio, and the text as written between them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.playback.listening import read_along, sentences


def test_each_sentence_keeps_the_line_breaks_and_spaces_written_after_it() -> None:
    text = "Welcome to the east wing!\n\nIs it yours?  It was finished in 1889."

    shown = read_along(text)

    assert [(sentence.text, gap) for sentence, gap in shown] == [
        ("Welcome to the east wing!", "\n\n"),
        ("Is it yours?", "  "),
        ("It was finished in 1889.", ""),
    ]
    assert [sentence.start for sentence, _ in shown] == [s.start for s in sentences(text)]


def test_a_blank_transcript_has_nothing_to_read_along() -> None:
    assert read_along("") == []
    assert read_along(" \n ") == []


@given(st.text(max_size=200))
def test_reading_along_shows_the_whole_transcript_in_the_listen_through_sentences(
    text: str,
) -> None:
    shown = read_along(text)

    assert "".join(sentence.text + gap for sentence, gap in shown) == text.strip()
    assert [sentence for sentence, _ in shown] == sentences(text)
    assert all(not gap.strip() for _, gap in shown)
