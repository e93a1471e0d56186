"""Screening a text before any speech is made from it (the text filter and the
automated rules), for requests, edits and voice comparisons; and the title a generation
is given (the filter only: the title is shown on History and the playback page).

The filter's entries are the shipped word lists plus the staff's own terms, read
afresh for each text (a staff change applies to the next request). A blocked text is
refused with a message that names no list; a held one is saved as `pending_review`;
flags (filter or rule) are raised in the transaction that saves the generation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from voiceqr.application.generations.ports import GenerationsUnitOfWork
from voiceqr.application.moderation.automation_ports import (
    AutomationUnitOfWork,
    ReportRulesUnitOfWork,
)
from voiceqr.application.moderation.flags import ModerationFlags
from voiceqr.domain.accounts.users import User
from voiceqr.domain.moderation.flags import Flag, FlagSource
from voiceqr.domain.moderation.rules import (
    FlaggingRule,
    MadeText,
    RuleKind,
    fires,
    fires_on_reports,
)
from voiceqr.domain.moderation.screening import AutomaticFlag, Screened
from voiceqr.domain.moderation.text_filter import (
    FilterAction,
    FilterOutcome,
    FilterTerm,
    TextFilter,
    text_not_allowed,
)

log = logging.getLogger(__name__)

# The most generations a rule compares a request with: enough for any sensible window
# on one installation, and a bound on the work done per request.
RULE_CONTEXT_LIMIT = 5000


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentScreening:
    uow: Callable[[], AutomationUnitOfWork]
    word_lists: Sequence[FilterTerm]
    flags: ModerationFlags
    clock: Callable[[], datetime]
    # The filter last built, by the staff's terms it was built with: building takes
    # a quarter of a second with 2000 terms, comparing them far less.
    _built: dict[tuple[FilterTerm, ...], TextFilter] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    async def text_filter(self) -> TextFilter:
        """The filter in force: the word lists and the staff's terms."""
        async with self.uow() as uow:
            staff = tuple(await uow.filter_terms.list_all())
        built = self._built.get(staff)
        if built is None:
            built = TextFilter((*self.word_lists, *staff))
            self._built.clear()
            self._built[staff] = built
        return built

    async def check_text(self, text: str, *, in_title: bool = False) -> FilterOutcome:
        """The filter's verdict on `text` (a title's, `in_title`); a blocked one is refused."""
        outcome = (await self.text_filter()).check(text)
        if outcome.action is FilterAction.BLOCK:
            log.info("text blocked", extra={"matched": len(outcome.matches), "title": in_title})
            raise text_not_allowed(in_title=in_title)
        return outcome

    async def refuse_unless_speakable(self, text: str) -> None:
        if (await self.check_text(text)).action is FilterAction.HOLD:
            raise text_not_allowed()

    async def screen(
        self,
        owner: User,
        text: str,
        *,
        generation_id: UUID,
        request: bool,
        title: str | None = None,
    ) -> Screened:
        outcome = await self.check_text(text)
        named = Screened() if title is None else await self.screen_title(title)
        flags = [*_filter_flags(outcome), *named.flags]
        if request:
            flags.extend(await self._rules_fired(owner, text, generation_id))
        held = outcome.action is FilterAction.HOLD or named.held
        return Screened(held=held, flags=tuple(flags))

    async def screen_title(self, title: str) -> Screened:
        outcome = await self.check_text(title, in_title=True)
        return Screened(
            held=outcome.action is FilterAction.HOLD,
            flags=_filter_flags(outcome, where="In the title: "),
        )

    async def record(
        self, uow: GenerationsUnitOfWork, generation_id: UUID, screened: Screened
    ) -> None:
        for flag in screened.flags:
            await self.flags.flag_automatically(
                uow, generation_id, flag.source, flag.reason, rule_id=flag.rule_id, note=flag.note
            )

    async def after_report(self, uow: ReportRulesUnitOfWork, generation_id: UUID) -> list[Flag]:
        """Run the reports rules that are on for a generation just reported, in the
        report's own transaction (call it once the report is added). A rule flags a
        generation once per window: later reports in that window join its flag."""
        rules = [
            r
            for r in await uow.flagging_rules.list_all()
            if r.enabled and r.kind is RuleKind.REPORTS
        ]
        if not rules:
            return []
        now = self.clock()
        reports = (await uow.content_reports.for_generations([generation_id])).get(
            generation_id, []
        )
        flagged = await uow.flags.for_generation(generation_id)
        raised = []
        for rule in rules:
            since = now - timedelta(hours=rule.number("window_hours"))
            if any(f.rule_id == rule.id and f.created_at > since for f in flagged):
                continue
            why = fires_on_reports(rule, sum(1 for r in reports if r.created_at > since))
            if why is not None:
                raised.append(
                    await self.flags.flag_automatically(
                        uow,
                        generation_id,
                        FlagSource.RULE,
                        rule.reason,
                        rule_id=rule.id,
                        note=f"{rule.name}: {why}",
                    )
                )
        return raised

    async def _rules_fired(
        self, owner: User, text: str, generation_id: UUID
    ) -> list[AutomaticFlag]:
        now = self.clock()
        async with self.uow() as uow:
            rules = [r for r in await uow.flagging_rules.list_all() if r.enabled]
            lookback = max((r.lookback for r in rules), default=timedelta(0))
            earlier = (
                await uow.made_texts.made_between(now - lookback, now, limit=RULE_CONTEXT_LIMIT)
                if lookback
                else []
            )
        made = MadeText(generation_id, owner.id, text, now, owner.created_at)
        return [
            AutomaticFlag(FlagSource.RULE, rule.reason, f"{rule.name}: {note}", rule.id)
            for rule, note in _fired(rules, made, earlier)
        ]


def _filter_flags(outcome: FilterOutcome, *, where: str = "") -> tuple[AutomaticFlag, ...]:
    """The filter's flag on what it held or flagged (none when it let it through)."""
    if outcome.action is None or outcome.reason is None:
        return ()
    return (AutomaticFlag(FlagSource.FILTER, outcome.reason, where + outcome.describe()),)


def _fired(
    rules: Sequence[FlaggingRule], made: MadeText, earlier: Sequence[MadeText]
) -> list[tuple[FlaggingRule, str]]:
    return [(rule, note) for rule in rules if (note := fires(rule, made, earlier)) is not None]
