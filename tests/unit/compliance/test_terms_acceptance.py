"""Publishing and accepting the terms on fakes: only admins publish (audited with a
reason), sign-up records the versions in force in its own transaction, a material
version asks every user once, and the acceptances reach the timeline and go with the
account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.fakes import Services, make_services
from tests.unit.fakes.clock import START
from voiceqr.application.accounts.policy import Client
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.compliance.documents import AcceptanceWay, DocumentKind
from voiceqr.domain.shared.errors import Conflict, PermissionDenied, ValidationError

TERMS, PRIVACY = DocumentKind.TERMS, DocumentKind.PRIVACY
TODAY = START.date()
CLIENT = Client(ip="203.0.113.7", user_agent="test", country="")


@pytest.fixture
def s() -> Services:
    return make_services()


async def publish(
    s: Services, kind: DocumentKind = TERMS, *, text: str, material: bool = False, days: int = 0
) -> int:
    document = await s.platform.compliance.documents.publish(
        OPERATOR,
        kind,
        text=text,
        summary="What changed",
        effective_on=s.clock().date() + timedelta(days=days),
        material=material,
        reason="Counsel asked",
    )
    return document.version


async def test_only_admins_publish_and_each_publication_is_audited_with_its_reason(
    s: Services,
) -> None:
    support = s.add_user("help@example.com", role=Role.SUPPORT)
    admin = s.add_user("boss@example.com", role=Role.ADMIN)
    documents = s.platform.compliance.documents
    with pytest.raises(PermissionDenied):
        await documents.publish(
            support, TERMS, text="T", summary="", effective_on=TODAY, material=False, reason="r"
        )
    with pytest.raises(ValidationError):
        await documents.publish(
            admin, TERMS, text="T", summary="", effective_on=TODAY, material=False, reason=" "
        )
    assert s.db.legal_documents == []
    assert s.db.audit_events == []
    published = await documents.publish(
        admin, TERMS, text="T", summary="", effective_on=TODAY, material=True, reason="Launch"
    )
    [event] = s.db.audit_events
    assert (event.action, event.actor, event.details["reason"]) == (
        "legal.publish",
        "boss@example.com",
        "Launch",
    )
    assert event.details["sha256"] == published.sha256
    assert event.details["version"] == 1


async def test_signing_up_records_the_terms_and_privacy_in_force_with_the_account(
    s: Services,
) -> None:
    await publish(s, TERMS, text="Terms one")
    await publish(s, PRIVACY, text="Privacy one")
    await publish(s, TERMS, text="Terms two, next month", days=30)
    await s.accounts.register(
        name="Ann",
        email="ann@example.com",
        password="correct horse battery",
        terms_accepted=True,
        client=CLIENT,
    )
    [user] = [u for u in s.db.users.values() if u.email == "ann@example.com"]
    accepted = await s.platform.compliance.acceptances.of_user(user.id)
    assert sorted((a.kind, a.version, a.how) for a in accepted) == [
        (PRIVACY, 1, AcceptanceWay.SIGNUP),
        (TERMS, 1, AcceptanceWay.SIGNUP),  # not the scheduled version 2
    ]


async def test_a_refused_sign_up_records_no_acceptance(s: Services) -> None:
    await publish(s, TERMS, text="Terms one")
    with pytest.raises(ValidationError):
        await s.accounts.register(
            name="Ann",
            email="ann@example.com",
            password="short",
            terms_accepted=True,
            client=CLIENT,
        )
    assert s.db.legal_acceptances == []


async def test_a_material_version_asks_every_user_once_and_a_wording_fix_asks_nobody(
    s: Services,
) -> None:
    ann = s.add_user("ann@example.com")
    acceptances = s.platform.compliance.acceptances
    await publish(s, TERMS, text="Terms one")  # not material: nobody is asked
    assert await acceptances.still_to_accept(ann.id) == []
    await publish(s, TERMS, text="Terms two", material=True, days=3)
    assert await acceptances.still_to_accept(ann.id) == []  # scheduled, not in force
    s.clock.advance(days=3)
    assert await acceptances.still_to_accept(ann.id) == [TERMS]
    asked = await acceptances.request(ann.id)
    assert [(d.kind, d.version) for d in asked.documents] == [(TERMS, 2)]
    await acceptances.accept(ann.id, {TERMS: 2})
    assert await acceptances.still_to_accept(ann.id) == []
    await publish(s, TERMS, text="Terms three: typo fixed")
    assert await acceptances.still_to_accept(ann.id) == []
    [mine] = [a for a in s.db.legal_acceptances if a.user_id == ann.id]
    assert (mine.version, mine.how) == (2, AcceptanceWay.REACCEPTANCE)


async def test_accepting_a_version_that_is_no_longer_in_force_is_refused(s: Services) -> None:
    ann = s.add_user("ann@example.com")
    await publish(s, TERMS, text="Terms one", material=True)
    await publish(s, TERMS, text="Terms two", material=True)
    with pytest.raises(Conflict):
        await s.platform.compliance.acceptances.accept(ann.id, {TERMS: 1})
    assert s.db.legal_acceptances == []


async def test_a_publication_elsewhere_is_seen_once_the_short_cache_expires(s: Services) -> None:
    ann = s.add_user("ann@example.com")
    documents = s.platform.compliance.documents
    ticks = [0.0]
    documents.monotonic = lambda: ticks[0]
    assert await s.platform.compliance.acceptances.still_to_accept(ann.id) == []
    # Another process (the CLI) publishes: this one's cache does not know yet.
    other = make_services()
    other.uow.database = s.uow.database
    await publish(other, TERMS, text="Terms one", material=True)
    assert await s.platform.compliance.acceptances.still_to_accept(ann.id) == []
    ticks[0] += 31
    assert await s.platform.compliance.acceptances.still_to_accept(ann.id) == [TERMS]


async def test_acceptances_show_on_the_timeline_and_go_with_the_account(s: Services) -> None:
    ann: User = s.add_user("ann@example.com")
    await publish(s, TERMS, text="Terms one", material=True)
    await s.platform.compliance.acceptances.accept(ann.id, {TERMS: 1})
    page = await s.platform.accounts.timeline.page(OPERATOR, ann.id, kinds=("legal",))
    assert [e.what for e in page.items] == ["Accepted the terms of service, version 1"]
    await s.platform.account_deletions.delete_by_email(
        OPERATOR, "ann@example.com", reason="asked by mail", at_once=True
    )
    assert s.db.legal_acceptances == []


async def test_with_nothing_published_the_pages_say_so_and_nobody_is_stopped(
    s: Services,
) -> None:
    ann = s.add_user("ann@example.com")
    shown = await s.platform.compliance.documents.public(TERMS)
    assert (shown.shown, shown.live, shown.scheduled, shown.versions) == (None, None, None, [])
    assert await s.platform.compliance.acceptances.still_to_accept(ann.id) == []
    await s.accounts.register(
        name="Bo",
        email="bo@example.com",
        password="correct horse battery",
        terms_accepted=True,
        client=CLIENT,
    )
    assert s.db.legal_acceptances == []  # nothing to accept yet: none recorded
