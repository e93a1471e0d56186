"""The moderation workflow on fakes: a visitor reports a code, a moderator quarantines
it (the code answers "not available" at once, counting nothing), the owner is told and
appeals once, the moderator reverses it and the code plays again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.application.generations.revisions import Edit
from voiceqr.application.moderation.decisions import DecisionRequest
from voiceqr.application.playback.playback import Visit
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.moderation.cases import DecisionKind, ModerationState, ReportOutcome, Sanction
from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.shared.errors import (
    Conflict,
    Gone,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
    Withheld,
)

PHONE = Visit(address="203.0.113.7", user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4)")
LAPTOP = Visit(address="192.0.2.44", user_agent="Mozilla/5.0 (X11; Linux x86_64)")
QUARANTINE = DecisionRequest(
    DecisionKind.QUARANTINE, "Threatens a named person", ReasonCode.VIOLENCE
)
REVERSE = DecisionRequest(DecisionKind.REVERSE, "The appeal shows it is a quote from a play")


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("ann@example.com", name="Ann")


@pytest.fixture
def moderator(s: Services) -> User:
    return s.add_user("mo@example.com", name="Mo", role=Role.MODERATOR)


async def made(s: Services, owner: User, text: str = "Welcome to room 4") -> Generation:
    voice = s.add_voice("Alex")
    generation = await s.generations.request(owner, text=text, voice_id=voice.id)
    await s.generations.process(generation.id)
    return s.db.generation(generation.id)


def mail_to(s: Services, address: str, kind: str) -> list[str]:
    return [m.text for m in s.db.outbox.values() if m.to == address and m.kind == kind]


async def test_a_report_quarantine_appeal_and_reversal_keep_the_printed_code_working(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await made(s, owner)
    code = generation.public_code
    moderation = s.platform.moderation
    await s.playback.scan(code, PHONE)  # warm the cache, as a busy code's is

    await moderation.reports.report(
        code, ReasonCode.VIOLENCE, visit=PHONE, note="threat", email="Rea@Example.com"
    )
    page = await moderation.queue.queue(moderator)
    assert [e.generation.id for e in page.entries] == [generation.id]
    assert page.entries[0].reports[0].email == "rea@example.com"

    await moderation.decisions.decide(moderator, generation.id, QUARANTINE)

    appended = len(s.playback_events.appended)
    with pytest.raises(Withheld):
        await s.playback.scan(code, PHONE)
    with pytest.raises(Withheld):
        await s.playback.record_listen(code, PHONE)
    with pytest.raises(Withheld):
        await s.platform.playback.media_range(f"audio/{generation.id}/1.mp3", 0, None)
    assert len(s.playback_events.appended) == appended  # nothing counted
    assert s.db.generation(generation.id).audio_key is not None  # the audio is kept
    assert mail_to(s, "rea@example.com", "report_outcome")
    assert (await moderation.queue.queue(moderator)).entries == []

    notice = await moderation.notices.for_generation(owner, generation.id)
    assert notice is not None
    assert notice.withheld
    assert notice.may_appeal
    assert "Threatens a named person" in mail_to(s, owner.email, "moderation_decision")[0]
    await moderation.notices.appeal(owner, generation.id, "It is a line from Macbeth.")
    with pytest.raises(Conflict):
        await moderation.notices.appeal(owner, generation.id, "Please!")
    (entry,) = (await moderation.queue.queue(moderator)).entries
    assert entry.case.appeal_pending

    await moderation.decisions.decide(moderator, generation.id, REVERSE)

    assert (await s.playback.scan(code, PHONE)).audio_url is not None
    await s.platform.playback.media_range(f"audio/{generation.id}/1.mp3", 0, None)
    (appeal,) = s.db.moderation_appeals
    assert appeal.upheld is False
    notice = await moderation.notices.for_generation(owner, generation.id)
    assert notice is not None
    assert not notice.withheld
    actions = [e.action for e in s.db.audit_events]
    assert actions == ["moderation.quarantine", "moderation.reverse"]


async def test_deleting_removes_the_audio_and_the_code_answers_gone(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await made(s, owner)
    key = generation.audio_key
    assert key is not None
    request = DecisionRequest(
        DecisionKind.DELETE, "Someone's home address", ReasonCode.PERSONAL_DATA
    )
    await s.platform.moderation.decisions.decide(moderator, generation.id, request)
    with pytest.raises(Gone) as gone:
        await s.playback.scan(generation.public_code, PHONE)
    assert gone.value.code == "removed_by_moderation"
    assert key not in s.storage.objects
    with pytest.raises(IllegalTransition):
        await s.platform.moderation.decisions.decide(moderator, generation.id, REVERSE)


async def test_reviewed_fine_silences_new_reports_until_the_text_changes(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await made(s, owner)
    moderation = s.platform.moderation
    await moderation.reports.report(generation.public_code, ReasonCode.SPAM, visit=PHONE)
    fine = DecisionRequest(DecisionKind.REVIEWED_FINE, "An ordinary welcome message")
    await moderation.decisions.decide(moderator, generation.id, fine)
    await moderation.reports.report(generation.public_code, ReasonCode.SPAM, visit=LAPTOP)
    assert (await moderation.queue.queue(moderator)).entries == []
    assert len(s.db.content_reports) == 2  # recorded all the same

    await s.generation_revisions.edit(owner, generation.id, Edit(text="Buy cheap pills here"))
    await moderation.reports.report(generation.public_code, ReasonCode.SPAM, visit=PHONE)
    assert len((await moderation.queue.queue(moderator)).entries) == 1


async def test_reports_are_limited_per_visitor_and_per_code(s: Services, owner: User) -> None:
    generation = await made(s, owner)
    reports = s.platform.moderation.reports
    for _ in range(5):
        await reports.report(generation.public_code, ReasonCode.SPAM, visit=PHONE)
    with pytest.raises(RateLimited):
        await reports.report(generation.public_code, ReasonCode.SPAM, visit=PHONE)
    assert len(s.db.content_reports) == 5


async def test_reporting_an_unknown_code_or_with_a_bad_email_writes_nothing(
    s: Services, owner: User
) -> None:
    generation = await made(s, owner)
    reports = s.platform.moderation.reports
    with pytest.raises(NotFound):
        await reports.report("nosuchcode1", ReasonCode.SPAM, visit=PHONE)
    with pytest.raises(ValidationError):
        await reports.report(generation.public_code, ReasonCode.SPAM, visit=PHONE, email="nope")
    assert s.db.content_reports == []


async def test_a_plain_user_and_support_cannot_see_the_queue_or_decide(
    s: Services, owner: User
) -> None:
    generation = await made(s, owner)
    helper = s.add_user("help@example.com", role=Role.SUPPORT)
    moderation = s.platform.moderation
    for who in (owner, helper):
        with pytest.raises(PermissionDenied):
            await moderation.queue.queue(who)
        with pytest.raises(PermissionDenied):
            await moderation.decisions.decide(who, generation.id, QUARANTINE)
    assert s.db.moderation_decisions == []


async def test_a_ban_disables_the_account_and_quarantines_every_code_in_one_step(
    s: Services, owner: User, moderator: User
) -> None:
    first = await made(s, owner, "one")
    second = await made(s, owner, "two")
    ban = DecisionRequest(
        DecisionKind.BAN_OWNER, "Repeated threats", ReasonCode.VIOLENCE, sanction=Sanction.BAN
    )
    decision = await s.platform.moderation.decisions.decide(moderator, first.id, ban)
    assert decision.codes_quarantined == 2
    assert s.db.users[owner.id].status is UserStatus.DISABLED
    for generation in (first, second):
        assert s.db.moderation_cases[generation.id].state is ModerationState.QUARANTINED
        with pytest.raises(Withheld):
            await s.playback.scan(generation.public_code, PHONE)


async def test_a_banned_owner_reads_the_decision_and_appeals_once_from_the_mailed_link(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await made(s, owner, "one")
    ban = DecisionRequest(
        DecisionKind.BAN_OWNER, "Repeated threats", ReasonCode.VIOLENCE, sanction=Sanction.BAN
    )
    decision = await s.platform.moderation.decisions.decide(moderator, generation.id, ban)
    [mail] = [m for m in s.db.outbox.values() if m.kind == "moderation_decision"]
    token = re.search(r"/appeal/([\w.-]+)", mail.text)
    assert token is not None  # they cannot sign in: the link is their way back
    notices = s.platform.moderation.notices

    notice = await notices.for_link(token.group(1))
    assert notice.decision.id == decision.id
    assert notice.may_appeal
    appeal = await notices.appeal_by_link(token.group(1), "It was a quote from a film.")

    assert appeal.owner_id == owner.id
    assert s.db.moderation_cases[generation.id].appeal_pending  # back in the queue
    with pytest.raises(Conflict):
        await notices.appeal_by_link(token.group(1), "Again")
    forged = token.group(1)[:-2] + ("AA" if not token.group(1).endswith("AA") else "BB")
    with pytest.raises(NotFound):
        await notices.for_link(forged)


async def test_a_suspension_needs_a_time_in_the_future(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await made(s, owner)
    decisions = s.platform.moderation.decisions
    past = DecisionRequest(
        DecisionKind.BAN_OWNER,
        "Spam",
        ReasonCode.SPAM,
        sanction=Sanction.SUSPEND,
        until=s.clock() - timedelta(hours=1),
    )
    with pytest.raises(ValidationError):
        await decisions.decide(moderator, generation.id, past)
    later = DecisionRequest(
        DecisionKind.BAN_OWNER,
        "Spam",
        ReasonCode.SPAM,
        sanction=Sanction.SUSPEND,
        until=s.clock() + timedelta(days=3),
    )
    await decisions.decide(moderator, generation.id, later)
    assert s.db.users[owner.id].is_locked(s.clock())
    assert (await s.playback.scan(generation.public_code, PHONE)).audio_url is not None


async def test_an_item_waiting_too_long_goes_to_admins_and_a_moderator_cannot_decide_it(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await made(s, owner)
    admin = s.add_user("root@example.com", role=Role.ADMIN)
    moderation = s.platform.moderation
    await moderation.reports.report(generation.public_code, ReasonCode.HATE, visit=PHONE)
    assert await moderation.decisions.escalate_overdue() == 0
    s.clock.advance(hours=25)
    assert await moderation.decisions.escalate_overdue() == 1
    assert mail_to(s, admin.email, "moderation_escalated")
    with pytest.raises(PermissionDenied):
        await moderation.decisions.decide(moderator, generation.id, QUARANTINE)
    await moderation.decisions.decide(admin, generation.id, QUARANTINE)


async def test_bulk_decisions_decide_what_they_can_and_say_why_not_for_the_rest(
    s: Services, owner: User, moderator: User
) -> None:
    first = await made(s, owner, "one")
    second = await made(s, owner, "two")
    moderation = s.platform.moderation
    await moderation.decisions.decide(moderator, second.id, QUARANTINE)
    outcome = await moderation.decisions.decide_many(moderator, [first.id, second.id], QUARANTINE)
    assert [d.generation_id for d in outcome.decided] == [first.id]
    assert list(outcome.refused) == [second.id]


async def test_reports_answered_by_a_decision_record_the_outcome(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await made(s, owner)
    moderation = s.platform.moderation
    await moderation.reports.report(generation.public_code, ReasonCode.SPAM, visit=PHONE)
    dismiss = DecisionRequest(DecisionKind.DISMISS, "Not spam")
    await moderation.decisions.decide(moderator, generation.id, dismiss)
    assert [r.outcome for r in s.db.content_reports] == [ReportOutcome.REJECTED]


async def test_a_refused_deletion_leaves_the_audio_in_storage(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await made(s, owner)
    moderation = s.platform.moderation
    await moderation.reports.report(generation.public_code, ReasonCode.HATE, visit=PHONE)
    s.clock.advance(hours=25)
    await moderation.decisions.escalate_overdue()
    delete = DecisionRequest(DecisionKind.DELETE, "Hate speech", ReasonCode.HATE)
    with pytest.raises(PermissionDenied):
        await moderation.decisions.decide(moderator, generation.id, delete)
    assert generation.audio_key in s.storage.objects
    assert s.db.moderation_decisions == []
