"""Server-rendered web pages: sign-in, create, generation, history and public playback."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from litestar import MediaType, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.accounts.policy import SecondFactorRequired
from voiceqr.application.generations.generations import HistoryPage
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.generations.organising import MAX_SEARCH_LENGTH
from voiceqr.domain.profile.preferences import MAX_DRAFT_LENGTH
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    DomainError,
    NotFound,
    ValidationError,
)
from voiceqr.entrypoints.http.api import generation_outs, voice_out
from voiceqr.entrypoints.http.auth import (
    SESSION_COOKIE,
    cleared_session_cookie,
    client_of,
    current_user,
    optional_user,
    session_cookie,
)
from voiceqr.entrypoints.http.pages_revisions import generation_page_context, label_choices

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
NO_STORE = {"Cache-Control": "no-store"}


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the sign-in form cannot redirect elsewhere."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return "/generations/new"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@get("/", include_in_schema=False, dependencies={"viewer": Provide(optional_user)})
async def home(viewer: NamedDependency[User | None]) -> Redirect:
    return Redirect("/generations/new" if viewer else "/signin")


@get("/signin", include_in_schema=False, dependencies={"viewer": Provide(optional_user)})
async def signin_page(
    viewer: NamedDependency[User | None], next: FromQuery[str | None] = None
) -> Response[Any]:
    if viewer is not None:
        return Redirect(_safe_next(next))
    return Template("signin.html", context={"next": _safe_next(next), "error": None, "email": ""})


@post("/signin", include_in_schema=False, status_code=303)
async def signin_submit(
    data: Form, request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Response[Any]:
    email = data.get("email", "")
    remember_me = data.get("remember_me") == "on"
    target = _safe_next(data.get("next"))
    context = {"next": target, "email": email, "remember_me": remember_me}
    try:
        signed_in = await platform.accounts.sign_in(
            email=email,
            password=data.get("password", ""),
            remember_me=remember_me,
            otp_code=data.get("otp_code") or None,
            recovery_code=data.get("recovery_code") or None,
            client=client_of(request, platform),
        )
    except SecondFactorRequired as exc:
        return Template(
            "signin.html", context={**context, "error": exc.message, "needs_code": True}
        )
    except AuthenticationFailed as exc:
        return Template(
            "signin.html",
            context={
                **context,
                "error": exc.message,
                "needs_code": exc.code == "bad_second_factor",
            },
            status_code=401,
        )
    return Redirect(
        target,
        status_code=303,
        cookies=[session_cookie(platform, signed_in.token, remember_me=remember_me)],
    )


@post("/signout", include_in_schema=False, status_code=303)
async def signout(request: Request[Any, Any, Any], platform: NamedDependency[Platform]) -> Redirect:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await platform.accounts.sign_out(token)
    return Redirect("/signin", status_code=303, cookies=[cleared_session_cookie(platform)])


async def _create_page(
    platform: Platform,
    user: User,
    *,
    error: str | None = None,
    text: str = "",
    voice_id: str = "",
    status: int = 200,
) -> Template:
    """The create form: a re-rendered form keeps what was sent; otherwise the saved draft
    (P9) and the default voice (P7) fill it in. Recently used voices come first (P10)."""
    voices = [await voice_out(platform, v) for v in await platform.voices.list_for(user)]
    recent = await platform.preferences.recent_voice_ids(user)
    rank = {recent_id: i for i, recent_id in enumerate(recent)}
    voices.sort(key=lambda v: rank.get(v.id, len(rank)))  # stable: the rest keep their order
    preferences = await platform.preferences.get(user)
    listed = {str(v.id) for v in voices}
    preselect = [voice_id, str(preferences.draft_voice_id), str(preferences.default_voice_id)]
    max_chars = max((s.max_text_length for s in platform.generations.synthesizers()), default=5000)
    return Template(
        "create.html",
        context={
            "user": user,
            "voices": voices,
            "recent": {str(recent_id) for recent_id in recent},
            "error": error,
            "text": text if text or voice_id else preferences.draft_text,
            "draft_saved_at": None if text or voice_id else preferences.draft_saved_at,
            "voice_id": next(
                (v for v in preselect if v in listed), str(voices[0].id) if voices else ""
            ),
            "max_chars": max_chars,
            "max_draft": MAX_DRAFT_LENGTH,
        },
        status_code=status,
        headers=NO_STORE,
    )


@get("/generations/new", include_in_schema=False, dependencies={"user": Provide(current_user)})
async def create_page(platform: NamedDependency[Platform], user: NamedDependency[User]) -> Template:
    return await _create_page(platform, user)


@post(
    "/generations",
    include_in_schema=False,
    status_code=303,
    dependencies={"user": Provide(current_user)},
)
async def create_submit(
    data: Form, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Response[Any]:
    text, voice = data.get("text", ""), data.get("voice_id", "")
    try:
        voice_id = UUID(voice)
    except ValueError:
        return await _create_page(
            platform, user, error="Pick a voice.", text=text, voice_id=voice, status=422
        )
    try:
        generation = await platform.generations.request(user, text=text, voice_id=voice_id)
    except DomainError as exc:
        if exc.category.value not in ("validation", "not_found", "permission"):
            raise
        status = 403 if exc.category.value == "permission" else 422
        return await _create_page(
            platform, user, error=exc.message, text=text, voice_id=voice, status=status
        )
    return Redirect(f"/generations/{generation.id}", status_code=303)


HISTORY_PAGE_SIZE = 20


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


@get("/generations", include_in_schema=False, dependencies={"user": Provide(current_user)})
async def history_page(
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    cursor: FromQuery[str | None] = None,
    voice_id: FromQuery[str] = "",
    status: FromQuery[str] = "",
    deleted: FromQuery[str] = "",
    q: FromQuery[str] = "",
    folder_id: FromQuery[str] = "",
    tag: FromQuery[str] = "",
    batch: FromQuery[str] = "",
    count: FromQuery[int] = 0,
) -> Template:
    """The user's generations, a page at a time, searched and filtered by voice, status,
    folder and tag (G5); the filters stay in the paging links.

    Filter values the form cannot produce are ignored rather than refused; a search the
    index cannot take (too long, too many words) is explained above an empty list.
    """
    voice = _uuid_or_none(voice_id)
    state = GenerationStatus(status) if status in set(GenerationStatus) else None
    folder = _uuid_or_none(folder_id)
    q, tag = q.strip()[:MAX_SEARCH_LENGTH], tag.strip()[:MAX_SEARCH_LENGTH]
    search_error, page = None, HistoryPage(items=[], next_cursor=None)
    try:
        page = await platform.generations.history(
            user,
            matching=GenerationFilter(
                voice_id=voice, status=state, text=q or None, folder_id=folder, tag=tag or None
            ),
            cursor=cursor or None,
            limit=HISTORY_PAGE_SIZE,
        )
    except ValidationError as exc:
        search_error = exc.message
    filters = {
        "q": q,
        "voice_id": str(voice or ""),
        "status": str(state or ""),
        "folder_id": str(folder or ""),
        "tag": tag,
    }
    kept = {k: v for k, v in filters.items() if v}
    older = None
    if page.next_cursor:
        older = "/generations?" + urlencode({**kept, "cursor": page.next_cursor})
    return Template(
        "history.html",
        context={
            "user": user,
            "items": await generation_outs(platform, page.items),
            "voices": await platform.voices.list_for(user),
            "statuses": [str(s) for s in GenerationStatus],
            "filters": filters,
            "filtered": bool(kept),
            "search_error": search_error,
            "older": older,
            "newest": ("/generations?" + urlencode(kept)) if cursor else None,
            "deleted": deleted == "1",
            "batch_notice": _batch_notice(batch, count),
            "export_query": urlencode(kept),
            **await label_choices(platform, user),
        },
        headers=NO_STORE,
    )


_BATCH_DONE = {"delete": "deleted", "move": "moved", "tag": "tagged", "untag": "untagged"}


def _batch_notice(action: str, count: int) -> str | None:
    """What the batch form just did (G6), told on the history page it returns to."""
    if action == "none":
        return "Tick at least one generation first (or choose every matching one)."
    done = _BATCH_DONE.get(action)
    return None if done is None else f"{count} generation{'' if count == 1 else 's'} {done}."


@get(
    "/generations/{generation_id:uuid}",
    include_in_schema=False,
    dependencies={"user": Provide(current_user)},
)
async def generation_page(
    generation_id: FromPath[UUID], platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    generation = await platform.generations.get_for_owner(user, generation_id)
    return Template(
        "generation.html",
        context=await generation_page_context(platform, user, generation),
        headers=NO_STORE,
    )


@post(
    "/generations/{generation_id:uuid}/delete",
    include_in_schema=False,
    status_code=303,
    dependencies={"user": Provide(current_user)},
)
async def delete_submit(
    generation_id: FromPath[UUID], platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Redirect:
    """The confirmed delete button of the generation page."""
    await platform.generations.delete(user, generation_id)
    return Redirect("/generations?deleted=1", status_code=303)


@get("/p/{code:str}", include_in_schema=False, media_type=MediaType.HTML)
async def playback_page(
    code: FromPath[str], request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Template:
    """The page a printed QR code opens; counts the scan (410 once its owner deleted it)."""
    try:
        page = await platform.playback.page(code)
    except NotFound as exc:
        if exc.code != "audio_removed":
            raise
        return Template("playback_removed.html", status_code=410, headers=NO_STORE)
    await platform.playback.record_scan(code, user_agent=request.headers.get("user-agent", ""))
    return Template(
        "playback.html",
        context={"page": page, "ready": page.audio_url is not None},
        headers=NO_STORE,
    )


PAGES = [
    home,
    signin_page,
    signin_submit,
    signout,
    create_page,
    create_submit,
    history_page,
    generation_page,
    delete_submit,
    playback_page,
]
