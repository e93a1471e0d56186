"""Automated flagging rules: admins edit them, try them on the last generations
without writing anything, and a rule that is on flags a request naming itself."""

from __future__ import annotations

from uuid import UUID

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.application.moderation.rules import RuleInput
from voiceqr.application.playback.playback import Visit
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.moderation.cases import Report
from voiceqr.domain.moderation.flags import FlagSource, ReasonCode
from voiceqr.domain.shared.errors import NotFound, PermissionDenied, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice

BURST = RuleInput(
    name="new-account-burst",
    kind="new_account_burst",
    parameters={"account_age_hours": 24, "generations": 3, "window_minutes": 10},
    severity=3,
    enabled=True,
    reason_code="spam",
)
SAME_TEXT = RuleInput(
    name="same-text",
    kind="same_text",
    parameters={"accounts": 2, "window_hours": 1},
    severity=2,
    reason_code="spam",
)


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def admin(s: Services) -> User:
    return s.add_user("root@example.com", role=Role.ADMIN)


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex")


async def test_a_burst_from_a_new_account_is_flagged_naming_the_rule(
    s: Services, admin: User, voice: Voice
) -> None:
    (rule,) = await s.platform.moderation.rules.replace(admin, [BURST], reason="spam wave")
    newcomer = s.add_user("new@example.com")
    made = []
    for n in range(3):
        s.clock.advance(minutes=1)
        made.append(await s.generations.request(newcomer, text=f"Room {n}", voice_id=voice.id))
    assert [(f.source, f.rule_id, f.generation_id) for f in s.db.flags] == [
        (FlagSource.RULE, rule.id, made[2].id)
    ]
    assert s.db.flags[0].reason is ReasonCode.SPAM


async def test_an_older_account_or_a_rule_turned_off_flags_nothing(
    s: Services, admin: User, voice: Voice
) -> None:
    rules = s.platform.moderation.rules
    await rules.replace(admin, [BURST], reason="spam wave")
    veteran = s.add_user("old@example.com")
    s.clock.advance(hours=25)
    for n in range(3):
        await s.generations.request(veteran, text=f"Room {n}", voice_id=voice.id)
    await rules.switch(admin, "new-account-burst", enabled=False, reason="too noisy")
    newcomer = s.add_user("new@example.com")
    for n in range(3):
        await s.generations.request(newcomer, text=f"Hall {n}", voice_id=voice.id)
    assert s.db.flags == []


async def test_a_dry_run_says_what_a_rule_would_have_flagged_and_writes_nothing(
    s: Services, admin: User, voice: Voice
) -> None:
    rules = s.platform.moderation.rules
    await rules.replace(admin, [SAME_TEXT], reason="try it")  # saved off
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        s.clock.advance(minutes=5)
        await s.generations.request(s.add_user(email), text="Buy cheap watches!", voice_id=voice.id)
    await s.generations.request(s.add_user("d@example.com"), text="Hello", voice_id=voice.id)
    before = (s.uow.commits, len(s.db.audit_events), list(s.db.flags))
    tried = await rules.dry_run(admin, "same-text", last=10)
    assert tried.examined == 4
    assert len(tried.would_flag) == 2  # the second and the third account's copy
    assert all(hit.text == "Buy cheap watches!" for hit in tried.would_flag)
    assert (s.uow.commits, len(s.db.audit_events), s.db.flags) == before


async def test_listed_domains_flag_links_to_them(s: Services, admin: User, voice: Voice) -> None:
    listed = RuleInput(
        name="scam-links",
        kind="listed_domains",
        parameters={"domains": ["scam.example"]},
        enabled=True,
    )
    (rule,) = await s.platform.moderation.rules.replace(admin, [listed], reason="known scam")
    owner = s.add_user("ann@example.com")
    await s.generations.request(owner, text="Pay at www.pay.scam.example/now", voice_id=voice.id)
    assert [f.rule_id for f in s.db.flags] == [rule.id]


async def test_replacing_the_rules_keeps_a_rules_id_by_its_name(s: Services, admin: User) -> None:
    rules = s.platform.moderation.rules
    (first,) = await rules.replace(admin, [BURST], reason="start")
    changed = RuleInput(name=BURST.name, kind=BURST.kind, parameters=BURST.parameters, severity=5)
    (second,) = await rules.replace(admin, [changed], reason="stricter")
    assert second.id == first.id
    assert second.severity == 5
    await rules.replace(admin, [], reason="clear")
    with pytest.raises(NotFound):
        await rules.get(admin, BURST.name)


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (RuleInput(name="x", kind="moon_phase"), "unknown_rule_kind"),
        (
            RuleInput(name="x", kind="same_text", parameters={"accounts": 2, "window_hours": -1}),
            "bad_rule_parameter",
        ),
        (RuleInput(name="x", kind="same_text", parameters={"accounts": 2}), "bad_rule_parameter"),
        (
            RuleInput(
                name="x", kind="same_text", parameters={"accounts": 2, "window_hours": 1, "x": 1}
            ),
            "bad_rule_parameter",
        ),
        (RuleInput(name="Not a name!", kind="same_text"), "bad_rule_name"),
        (
            RuleInput(
                name="x",
                kind="same_text",
                parameters={"accounts": 2, "window_hours": 1},
                severity=9,
            ),
            "bad_severity",
        ),
    ],
)
async def test_a_bad_rule_is_refused_and_nothing_is_saved(
    s: Services, admin: User, rule: RuleInput, code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await s.platform.moderation.rules.replace(admin, [SAME_TEXT, rule], reason="try")
    assert refused.value.code == code
    assert s.db.flagging_rules == {}


async def test_only_admins_manage_rules(s: Services) -> None:
    for role in (Role.USER, Role.SUPPORT, Role.MODERATOR):
        someone = s.add_user(f"{role}@example.com", role=role)
        with pytest.raises(PermissionDenied):
            await s.platform.moderation.rules.list_all(someone)


REPORTS = RuleInput(
    name="reported-often",
    kind="reports",
    parameters={"reports": 2, "window_hours": 1},
    severity=4,
    enabled=True,
    reason_code="harassment",
)


def a_report(s: Services, generation_id: UUID) -> None:
    s.db.content_reports.append(
        Report(
            id=uuid7(),
            generation_id=generation_id,
            reason=ReasonCode.HARASSMENT,
            note="",
            email=None,
            reporter_key=uuid7().hex,
            created_at=s.clock(),
        )
    )


async def reported(s: Services, generation_id: UUID) -> list[UUID | None]:
    a_report(s, generation_id)
    async with s.uow() as uow:
        raised = await s.platform.moderation.screening.after_report(uow, generation_id)
        await uow.commit()
    return [f.rule_id for f in raised]


async def test_a_reports_rule_flags_once_per_window_when_enough_reports_come_in(
    s: Services, admin: User, voice: Voice
) -> None:
    (rule,) = await s.platform.moderation.rules.replace(admin, [REPORTS], reason="start")
    generation = await s.generations.request(
        s.add_user("ann@example.com"), text="Hi", voice_id=voice.id
    )
    assert await reported(s, generation.id) == []
    s.clock.advance(minutes=10)
    assert await reported(s, generation.id) == [rule.id]
    assert await reported(s, generation.id) == []  # the third joins the flag of the second
    s.clock.advance(hours=2)
    assert await reported(s, generation.id) == []  # only one report in the new window
    assert await reported(s, generation.id) == [rule.id]
    assert [f.reason for f in s.db.flags] == [ReasonCode.HARASSMENT] * 2


async def test_visitors_reports_from_the_playback_page_set_off_the_reports_rule(
    s: Services, admin: User, voice: Voice
) -> None:
    (rule,) = await s.platform.moderation.rules.replace(admin, [REPORTS], reason="start")
    generation = await s.generations.request(
        s.add_user("ann@example.com"), text="Hi", voice_id=voice.id
    )
    reports = s.platform.moderation.reports

    for address in ("203.0.113.7", "198.51.100.4"):
        await reports.report(
            generation.public_code,
            ReasonCode.HARASSMENT,
            visit=Visit(address=address, user_agent="Mozilla/5.0 (iPhone)"),
        )

    rule_flags = [f for f in s.db.flags if f.source is FlagSource.RULE]
    assert [(f.generation_id, f.rule_id) for f in rule_flags] == [(generation.id, rule.id)]
