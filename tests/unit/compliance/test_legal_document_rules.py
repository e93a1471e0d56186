"""The rules of versioned legal documents: numbering, what a new version must say, which
version is in force on a day, the hash, and who still has to accept what."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.compliance.documents import (
    FIRST_SUMMARY,
    DocumentKind,
    LegalDocument,
    document_kind,
    effective_date,
    live_version,
    publish,
    required_version,
    scheduled_version,
    still_to_accept,
    text_hash,
)
from voiceqr.domain.shared.errors import Conflict, ValidationError

TODAY = date(2031, 5, 1)
NOW = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)


def version(
    earlier: list[LegalDocument],
    *,
    text: str = "",
    summary: str = "Changed",
    on: date = TODAY,
    material: bool = False,
    kind: DocumentKind = DocumentKind.TERMS,
) -> LegalDocument:
    return publish(
        kind,
        text=text or f"Terms, take {len(earlier) + 1}",
        summary=summary,
        effective_on=on,
        material=material,
        earlier=earlier,
        today=TODAY,
        now=NOW,
        published_by="ada@example.com",
    )


def test_versions_are_numbered_one_after_another_per_kind() -> None:
    first = version([], summary="")
    second = version([first])
    privacy = version([first, second], kind=DocumentKind.PRIVACY, summary="")
    assert (first.version, second.version, privacy.version) == (1, 2, 1)
    assert first.summary == FIRST_SUMMARY


def test_the_hash_is_the_sha256_of_the_text_whatever_the_line_ends() -> None:
    document = version([], text="# Terms\r\n\r\nBe kind.\r\n")
    assert document.text == "# Terms\n\nBe kind."
    assert document.sha256 == hashlib.sha256(b"# Terms\n\nBe kind.").hexdigest()
    assert text_hash("# Terms\n\nBe kind.\n") == document.sha256


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"text": "   \n "}, "empty_document"),
        ({"text": "bad \x00 byte"}, "control_characters"),
        ({"summary": ""}, "summary_required"),
        ({"on": TODAY - timedelta(days=1)}, "effective_date_past"),
        ({"on": TODAY + timedelta(days=9)}, "effective_date_before_latest"),
    ],
)
def test_a_new_version_that_says_nothing_or_dates_backwards_is_refused(
    change: dict[str, object], code: str
) -> None:
    first = version([], summary="", on=TODAY + timedelta(days=10))
    with pytest.raises(ValidationError) as refused:
        version([first], **change)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_publishing_the_same_text_again_is_a_conflict() -> None:
    first = version([], text="Same words", summary="")
    with pytest.raises(Conflict):
        version([first], text="Same words\n")


def test_the_live_version_is_the_newest_in_force_and_a_later_one_is_scheduled() -> None:
    first = version([], summary="")
    second = version([first], on=TODAY + timedelta(days=30))
    versions = [first, second]
    assert live_version(versions, TODAY) is first
    assert scheduled_version(versions, TODAY) is second
    assert live_version(versions, TODAY + timedelta(days=30)) is second
    assert scheduled_version(versions, TODAY + timedelta(days=30)) is None
    assert live_version([], TODAY) is None


def test_a_user_must_accept_only_a_material_version_in_force_newer_than_theirs() -> None:
    first = version([], summary="", material=True)
    wording = version([first])  # not material
    assert required_version([first, wording], TODAY) == 1
    changed = version([first, wording], material=True, on=TODAY + timedelta(days=7))
    assert required_version([first, wording, changed], TODAY) == 1  # not in force yet
    later = TODAY + timedelta(days=7)
    assert required_version([first, wording, changed], later) == 3
    required = {DocumentKind.TERMS: 3, DocumentKind.PRIVACY: 0}
    assert still_to_accept(required, {DocumentKind.TERMS: 2}) == [DocumentKind.TERMS]
    assert still_to_accept(required, {DocumentKind.TERMS: 3}) == []
    assert still_to_accept(required, {}) == [DocumentKind.TERMS]


def test_kinds_and_dates_are_read_or_refused_in_words() -> None:
    assert document_kind(" Privacy ") is DocumentKind.PRIVACY
    assert effective_date("2031-06-01") == date(2031, 6, 1)
    with pytest.raises(ValidationError, match="terms or privacy"):
        document_kind("cookies")
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        effective_date("1st of June")


# Publications: for each, (days after the previous one's effective date, material?).
publications = st.lists(st.tuples(st.integers(0, 20), st.booleans()), min_size=1, max_size=8)


@given(publications, st.integers(0, 200))
def test_on_any_day_the_live_version_is_in_force_and_no_newer_one_is(
    plan: list[tuple[int, bool]], day: int
) -> None:
    versions: list[LegalDocument] = []
    on = TODAY
    for gap, material in plan:
        on += timedelta(days=gap)
        versions.append(version(versions, on=on, material=material, summary="Changed"))
    today = TODAY + timedelta(days=day)
    live = live_version(versions, today)
    in_force = [d for d in versions if d.effective_on <= today]
    assert [d.version for d in versions] == list(range(1, len(versions) + 1))
    assert live == (in_force[-1] if in_force else None)
    ahead = scheduled_version(versions, today)
    assert ahead is None or (
        ahead.effective_on > today and (live is None or ahead.version > live.version)
    )
    required = required_version(versions, today)
    assert required <= (live.version if live else 0)
    # Accepting the live version always satisfies what is required.
    accepted = {DocumentKind.TERMS: live.version} if live else {}
    assert still_to_accept({DocumentKind.TERMS: required}, accepted) == []
