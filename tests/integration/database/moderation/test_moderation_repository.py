"""Moderation in SQL, the same on SQLite and PostgreSQL: flags with their rule, reports
answered and reporters' records, the queue's waiting cases, decisions per month, one
appeal per decision, notes, and what the playback page asks (withheld or not)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.database.rows import (
    NOW,
    add_generations,
    add_user,
    make_generation,
    make_user,
)
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.moderation.ports import CatalogueFilter
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.moderation.cases import (
    Appeal,
    Decision,
    DecisionKind,
    ModerationCase,
    ModerationNote,
    ModerationState,
    Report,
    ReportOutcome,
)
from voiceqr.domain.moderation.flags import Flag, FlagSource, ReasonCode
from voiceqr.domain.shared.errors import Conflict
from voiceqr.domain.shared.ids import uuid7


def a_report(generation_id: object, reporter: str, *, at: object = NOW) -> Report:
    return Report(uuid7(), generation_id, ReasonCode.HATE, "note", None, reporter, at)  # type: ignore[arg-type]


async def test_flags_reports_and_cases_round_trip_and_the_queue_lists_the_waiting(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    waiting, quiet = make_generation(owner.id), make_generation(owner.id)
    await add_generations(uows, waiting, quiet)
    rule = uuid7()
    reporter = f"v:{uuid7().hex}"
    async with uows() as uow:
        flag = Flag.new(
            generation_id=waiting.id,
            source=FlagSource.RULE,
            reason=ReasonCode.SPAM,
            now=NOW,
            rule_id=rule,
            note="12 in a minute",
        )
        await uow.flags.add(flag)
        await uow.content_reports.add(a_report(waiting.id, reporter))
        case = ModerationCase.open_for(waiting.id, owner.id, NOW)
        case.flagged(NOW, revision=1)
        await uow.moderation_cases.add(case)
        await uow.moderation_cases.add(ModerationCase.open_for(quiet.id, owner.id, NOW))
        await uow.commit()
    async with uows() as uow:
        assert await uow.flags.for_generation(waiting.id) == [flag]
        found = await uow.content_reports.for_generations([waiting.id, quiet.id])
        assert [r.reporter_key for r in found[waiting.id]] == [reporter]
        assert found[quiet.id] == []
        listed = [c.generation_id for c in await uow.moderation_cases.waiting(limit=10_000)]
        assert waiting.id in listed
        assert quiet.id not in listed
        assert await uow.moderation_cases.get(waiting.id) == case
        assert set(await uow.moderation_cases.get_many([waiting.id, quiet.id])) == {
            waiting.id,
            quiet.id,
        }
        assert {c.generation_id for c in await uow.moderation_cases.of_owner(owner.id)} == {
            waiting.id,
            quiet.id,
        }
        assert await uow.withheld_codes.withheld(waiting.id) is None


async def test_answering_reports_builds_each_reporters_record(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    first, second = make_generation(owner.id), make_generation(owner.id)
    await add_generations(uows, first, second)
    reporter = f"e:{uuid7().hex}"
    async with uows() as uow:
        await uow.content_reports.add(a_report(first.id, reporter))
        await uow.content_reports.add(a_report(second.id, reporter))
        await uow.commit()
    async with uows() as uow:
        answered = await uow.content_reports.answer(first.id, ReportOutcome.UPHELD, now=NOW)
        assert [r.outcome for r in answered] == [ReportOutcome.UPHELD]
        await uow.content_reports.answer(second.id, ReportOutcome.REJECTED, now=NOW)
        await uow.commit()
    async with uows() as uow:
        record = (await uow.content_reports.records([reporter, "nobody"]))[reporter]
        assert (record.answered, record.upheld) == (2, 1)
        assert await uow.content_reports.answer(first.id, ReportOutcome.UPHELD, now=NOW) == []


async def test_decisions_count_per_month_appeals_are_once_and_quarantine_withholds(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)
    case = ModerationCase.open_for(generation.id, owner.id, NOW)
    decision = Decision(
        uuid7(),
        generation.id,
        owner.id,
        DecisionKind.QUARANTINE,
        ReasonCode.VIOLENCE,
        "A threat",
        None,
        "cli",
        NOW,
    )
    case.state, case.last_decision_id = ModerationState.QUARANTINED, decision.id
    async with uows() as uow:
        await uow.moderation_cases.add(case)
        await uow.moderation_decisions.add(decision)
        await uow.moderation_notes.add(
            ModerationNote(uuid7(), generation.id, None, "cli", "Looked twice", NOW)
        )
        await uow.commit()
    appeal = Appeal(uuid7(), decision.id, generation.id, owner.id, "A quote", NOW)
    async with uows() as uow:
        await uow.moderation_appeals.add(appeal)
        await uow.commit()
    async with uows() as uow:
        with pytest.raises(Conflict):
            await uow.moderation_appeals.add(
                Appeal(uuid7(), decision.id, generation.id, owner.id, "Again", NOW)
            )
        # The refusal leaves the unit of work usable (PostgreSQL too).
        assert await uow.moderation_appeals.for_generation(generation.id) == [appeal]
        assert await uow.moderation_decisions.get(decision.id) == decision
        assert await uow.moderation_decisions.for_owner(owner.id, before=NOW, limit=5) == [decision]
        counts = await uow.moderation_decisions.per_month(since=NOW - timedelta(days=1))
        mine = [c for c in counts if c.reason_code is ReasonCode.VIOLENCE]
        assert mine
        assert mine[0].month == NOW.date().replace(day=1)
        assert [n.body for n in await uow.moderation_notes.for_generation(generation.id)] == [
            "Looked twice"
        ]
        assert await uow.withheld_codes.withheld(generation.id) == "quarantined"
        assert await uow.moderation_cases.in_state(
            [generation.id], ModerationState.QUARANTINED
        ) == [generation.id]


async def test_moderators_search_every_owners_generations_by_text_owner_and_evidence(
    uows: SqlUnitOfWorkFactory,
) -> None:
    marker = uuid7().hex[:10]
    ann = await add_user(uows, make_user(f"ann-{marker}@example.com"))
    bob = await add_user(uows)
    pills = make_generation(ann.id, text=f"Buy cheap pills {marker}")
    garden = make_generation(bob.id, text=f"Welcome to the garden {marker}")
    later = make_generation(bob.id, text=f"Cheap tickets {marker}", created_at=NOW + timedelta(1))
    await add_generations(uows, pills, garden, later)
    async with uows() as uow:
        await uow.content_reports.add(a_report(garden.id, "v:someone"))
        await uow.commit()

    async def ids(**which: object) -> list[object]:
        async with uows() as uow:
            found = await uow.moderation_catalogue.search(
                CatalogueFilter(**which),  # type: ignore[arg-type]
                after=None,
                limit=50,
            )
        return [g.id for g in found]

    assert await ids(text=f"chea {marker}") == [later.id, pills.id]
    assert await ids(text=marker, owner=f"ANN-{marker}") == [pills.id]
    assert await ids(text=marker, reported=True) == [garden.id]
    assert await ids(text=marker, reported=False, created_to=NOW + timedelta(hours=1)) == [pills.id]
    async with uows() as uow:
        first = await uow.moderation_catalogue.search(
            CatalogueFilter(text=marker), after=None, limit=1
        )
        rest = await uow.moderation_catalogue.search(
            CatalogueFilter(text=marker),
            after=HistoryPosition(first[0].created_at, first[0].id),
            limit=5,
        )
    # Same time: the later id first, as the keyset pages read them.
    assert [g.id for g in first + rest] == [later.id, garden.id, pills.id]
