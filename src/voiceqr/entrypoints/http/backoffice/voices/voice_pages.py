"""A voice's staff page: its form (every field of the catalogue), who made and changed it
and when (in the staff member's time zone), how much it is used, and publishing, which
the gallery's guard refuses in words when the voice cannot be heard or spoken yet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from voiceqr.application.voices.gallery import VoiceCard
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import DomainError
from voiceqr.domain.voices.voice import USE_CASES
from voiceqr.entrypoints.http.backoffice.voices.views import (
    SHOWN_ON_PAGE,
    action,
    done,
    notice,
    staff_zone,
)
from voiceqr.entrypoints.http.backoffice.voices.voice_form import VoiceForm
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import page, refusal_status
from voiceqr.entrypoints.http.kit.views import when
from voiceqr.entrypoints.http.voices.samples_api import MAX_UPLOAD_BODY, samples_out


async def voice_page(
    platform: Platform,
    staff: User,
    card: VoiceCard | None,
    *,
    typed: VoiceForm | None = None,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    """A voice's form and, once it exists, its samples, publishing and history."""
    voice = None if card is None else card.voice
    zone = await staff_zone(platform, staff)
    return page(
        "backoffice/voices/voice.html",
        status_code,
        user=staff,
        voice=voice,
        popularity=None if card is None else card.popularity,
        form=typed or VoiceForm.of(voice),
        form_open=typed is not None,
        use_cases=USE_CASES,
        created=when(voice.created_at, zone) if voice else "",
        updated=when(voice.updated_at, zone) if voice else "",
        samples=[] if voice is None else await samples_out(platform, voice),
        providers=sorted(platform.voices.speech),
        max_upload_mb=MAX_UPLOAD_BODY // (1024 * 1024),
        notice=notice,
        error=error,
    )


@get("/admin/voices/new")
async def admin_new_voice(
    staff: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    return await voice_page(platform, staff, None)


@action("/admin/voices/new")
async def admin_create_voice(
    request: Request[Any, Any, Any],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    typed = VoiceForm.posted(await request.form())
    try:
        voice = await platform.voices.create(
            staff, typed.spec(), ip=client_address(request, platform)
        )
    except DomainError as exc:
        status = refusal_status(exc, SHOWN_ON_PAGE)
        return await voice_page(
            platform, staff, None, typed=typed, error=exc.message, status_code=status
        )
    return done(f"/admin/voices/{voice.id}", "created")


@get("/admin/voices/{voice_id:uuid}")
async def admin_voice(
    voice_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    done: FromQuery[str] = "",
    uses: FromQuery[int] = 0,
) -> Template:
    card = await platform.voices.card(voice_id, user=staff)
    return await voice_page(platform, staff, card, notice=notice(done, uses=uses))


async def act(
    request: Request[Any, Any, Any],
    platform: Platform,
    staff: User,
    voice_id: UUID,
    run: Callable[[str], Awaitable[object]],
    *,
    done_as: str,
    typed: VoiceForm | None = None,
) -> Response[Any]:
    """Run one of a voice page's actions with the client's address (for the audit log):
    back to the page with a notice, or the page again with the refusal."""
    try:
        await run(client_address(request, platform))
    except DomainError as exc:
        status = refusal_status(exc, SHOWN_ON_PAGE)
        card = await platform.voices.card(voice_id, user=staff)
        return await voice_page(
            platform, staff, card, typed=typed, error=exc.message, status_code=status
        )
    return done(f"/admin/voices/{voice_id}", done_as)


@action("/admin/voices/{voice_id:uuid}")
async def admin_save_voice(
    request: Request[Any, Any, Any],
    voice_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    typed = VoiceForm.posted(await request.form())
    voice = await platform.voices.get(voice_id, user=staff)

    async def save(ip: str) -> object:
        changes = typed.changes(voice)  # none: nothing to write or to audit
        return await platform.voices.update(staff, voice_id, changes, ip=ip) if changes else None

    return await act(request, platform, staff, voice_id, save, done_as="saved", typed=typed)


def _publishing(published: bool) -> Any:
    path = f"/admin/voices/{{voice_id:uuid}}/{'publish' if published else 'unpublish'}"

    @action(path)
    async def press(
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        staff: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> Response[Any]:
        # The gallery's guard refuses a voice without a sample or with a voice id its
        # provider does not know (422, in words), or answers 502 when the provider
        # cannot be asked: both show on the page.
        async def change(ip: str) -> object:
            return await platform.voices.update(staff, voice_id, {"published": published}, ip=ip)

        done_as = "published" if published else "unpublished"
        return await act(request, platform, staff, voice_id, change, done_as=done_as)

    return press


admin_publish_voice = _publishing(True)
admin_unpublish_voice = _publishing(False)

ROUTES = (
    admin_new_voice,
    admin_create_voice,
    admin_voice,
    admin_save_voice,
    admin_publish_voice,
    admin_unpublish_voice,
)
