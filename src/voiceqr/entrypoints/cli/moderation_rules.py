"""`voiceqr moderation rules|dry-run|terms|held|approve|reject`: moderation's automation
at the terminal, the same use cases as the staff pages and API (acting as the
operator, "cli" in the audit log).

These join the `voiceqr moderation` group: `register` adds them to it. Until the
moderation queue's own commands (`moderation.py`) are in this tree, this module
brings the group itself.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from voiceqr.application.moderation.rules import DEFAULT_DRY_RUN, MAX_DRY_RUN, RuleInput
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.moderation.rules import FlaggingRule, MadeText, RuleKind
from voiceqr.domain.moderation.text_filter import FilterTerm
from voiceqr.entrypoints.cli.kit import echo_lines, fail, run

rules = typer.Typer(
    name="rules", no_args_is_help=True, help="Automated flagging rules: list, turn on or off, set."
)
Reason = Annotated[str, typer.Option(help="Why (kept in the audit log).")]


def _rule_line(rule: FlaggingRule) -> str:
    state = "on " if rule.enabled else "off"
    return (
        f"{rule.name:<24} {state} severity {rule.severity}  {rule.reason:<13} "
        f"{rule.kind}: {rule.describe()}"
    )


@rules.command("list")
def list_rules() -> None:
    """Every rule, on or off."""
    echo_lines(run(lambda p: p.moderation.rules.list_all(OPERATOR)), _rule_line, none="no rules")


def _switch(name: str, reason: str, *, enabled: bool) -> None:
    rule = run(lambda p: p.moderation.rules.switch(OPERATOR, name, enabled=enabled, reason=reason))
    typer.echo(_rule_line(rule))


@rules.command("enable")
def enable(name: str, reason: Reason) -> None:
    """Turn a rule on: it flags the next requests it matches."""
    _switch(name, reason, enabled=True)


@rules.command("disable")
def disable(name: str, reason: Reason) -> None:
    """Turn a rule off."""
    _switch(name, reason, enabled=False)


def _parameters(given: list[str]) -> dict[str, object]:
    found: dict[str, object] = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise fail(f"--param takes name=value, not {item!r}", 2)
        name = name.strip()
        if name == "domains":
            found[name] = [d.strip() for d in value.split(",") if d.strip()]
            continue
        try:
            found[name] = int(value)
        except ValueError:
            raise fail(f"{name} must be a whole number, not {value!r}", 2) from None
    return found


@rules.command("set")
def set_rule(
    name: str,
    kind: Annotated[RuleKind, typer.Option(help="What the rule watches.")],
    reason: Reason,
    param: Annotated[
        list[str],
        typer.Option(
            help="A parameter as name=value, repeated (domains=a.example,b.example).",
        ),
    ] = [],  # noqa: B006  (typer reads the default; it is never changed)
    severity: Annotated[int, typer.Option(min=1, max=5)] = 1,
    reason_code: Annotated[ReasonCode, typer.Option(help="The reason its flags carry.")] = (
        ReasonCode.SPAM
    ),
    on: Annotated[bool, typer.Option("--on/--off", help="On at once, or saved off.")] = False,
) -> None:
    """Add a rule, or change the one with this name."""
    given = RuleInput(
        name=name,
        kind=str(kind),
        parameters=_parameters(param),
        severity=severity,
        enabled=on,
        reason_code=str(reason_code),
    )
    typer.echo(_rule_line(run(lambda p: p.moderation.rules.save(OPERATOR, given, reason=reason))))


def dry_run(
    rule: str,
    last: Annotated[int, typer.Option(min=1, max=MAX_DRY_RUN)] = DEFAULT_DRY_RUN,
) -> None:
    """Try a rule (on or off) on the last generations: which it would have flagged.
    Nothing is written."""
    tried = run(lambda p: p.moderation.rules.dry_run(OPERATOR, rule, last=last))
    typer.echo(
        f"{tried.rule.name}: would have flagged {len(tried.would_flag)} "
        f"of the last {tried.examined} generations"
    )
    for hit in tried.would_flag:
        typer.echo(
            f"{hit.generation_id}  {hit.created_at:%Y-%m-%d %H:%M}  {hit.why}  {hit.text[:60]}"
        )


def _term_line(term: FilterTerm) -> str:
    return f"{term.action:<5} {term.kind:<6} {term.reason:<13} {term.text}"


def terms() -> None:
    """The text filter's staff entries (set them on the terms page or with the API)."""
    echo_lines(run(lambda p: p.moderation.terms.list_all(OPERATOR)), _term_line, none="no entries")


def _held_line(made: MadeText) -> str:
    return f"{made.generation_id}  {made.created_at:%Y-%m-%d %H:%M}  {made.text[:80]}"


def held(limit: Annotated[int, typer.Option(min=1, max=200)] = 50) -> None:
    """Generations the text filter held for review, longest waiting first."""
    found = run(lambda p: p.moderation.held.waiting(OPERATOR, limit=limit))
    echo_lines(found, _held_line, none="nothing held")


def _generation_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise fail(f"{value!r} is not a generation id", 2) from None


def approve(generation_id: str, reason: Reason) -> None:
    """Let a held text through: it is queued and made."""
    gid = _generation_id(generation_id)
    run(lambda p: p.moderation.held.approve(OPERATOR, gid, reason=reason))
    typer.echo(f"{gid} approved and queued")


def reject(generation_id: str, reason: Reason) -> None:
    """Refuse a held text: no audio is made of it."""
    gid = _generation_id(generation_id)
    run(lambda p: p.moderation.held.reject(OPERATOR, gid, reason=reason))
    typer.echo(f"{gid} rejected")


def register(moderation: typer.Typer) -> None:
    """Add these commands to the `voiceqr moderation` group."""
    moderation.add_typer(rules)
    moderation.command("dry-run")(dry_run)
    moderation.command("terms")(terms)
    moderation.command("held")(held)
    moderation.command("approve")(approve)
    moderation.command("reject")(reject)
