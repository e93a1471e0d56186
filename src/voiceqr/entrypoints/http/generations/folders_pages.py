"""Folders and tags on the web: the /folders page (create, rename, delete, with a
confirmation before deleting) and the generation page's "Folder and tags" form.

History's search box and folder and tag filters are in `pages.history_page`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.organising import MAX_FOLDER_NAME, MAX_TAG_NAME, LabelKind
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, ValidationError
from voiceqr.entrypoints.http.generations.views import generation_page_context
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

# Refusals a form explains next to its fields; anything else is a real error page.
_SHOWN_ON_FORM = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT)
_DONE = {
    "created": "Saved.",
    "renamed": "Renamed.",
    "deleted": "Deleted. Its generations are still in your history.",
}


def _kind(request: Request[Any, Any, Any]) -> LabelKind:
    """Folders and tags share these forms; the path says which one a form is about."""
    return LabelKind.FOLDER if request.url.path.startswith("/folders") else LabelKind.TAG


async def _folders_page(
    platform: Platform,
    user: User,
    *,
    done: str = "",
    error: str | None = None,
    error_kind: str = "",
    name: str = "",
    status: int = 200,
) -> Template:
    return page(
        "generations/folders.html",
        status,
        user=user,
        sections=[
            {
                "kind": "folder",
                "path": "folders",
                "title": "Folders",
                "filter": "folder_id",
                "max": MAX_FOLDER_NAME,
                "labels": await platform.generations.folders.labels(user, LabelKind.FOLDER),
                "hint": "A generation sits in one folder at most.",
            },
            {
                "kind": "tag",
                "path": "tags",
                "title": "Tags",
                "filter": "tag",
                "max": MAX_TAG_NAME,
                "labels": await platform.generations.folders.labels(user, LabelKind.TAG),
                "hint": "A generation can carry many tags.",
            },
        ],
        done=_DONE.get(done),
        error=error,
        error_kind=error_kind,
        name=name,
    )


@get("/folders")
async def folders_page(
    platform: NamedDependency[Platform], user: NamedDependency[User], done: FromQuery[str] = ""
) -> Template:
    return await _folders_page(platform, user, done=done)


@post(["/folders", "/tags"], status_code=303)
async def create_submit(
    request: Request[Any, Any, Any],
    data: Form,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[Any]:
    kind, name = _kind(request), data.get("name", "")
    saving = platform.generations.folders.create(user, kind, name)
    return await _save_name(platform, user, kind, name, saving, done="created")


@post(["/folders/{label_id:uuid}/rename", "/tags/{label_id:uuid}/rename"], status_code=303)
async def rename_submit(
    request: Request[Any, Any, Any],
    label_id: FromPath[UUID],
    data: Form,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[Any]:
    kind, name = _kind(request), data.get("name", "")
    saving = platform.generations.folders.rename(user, kind, label_id, name)
    return await _save_name(platform, user, kind, name, saving, done="renamed")


@post(["/folders/{label_id:uuid}/delete", "/tags/{label_id:uuid}/delete"], status_code=303)
async def delete_submit(
    request: Request[Any, Any, Any],
    label_id: FromPath[UUID],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Redirect:
    """The confirmed delete button of a folder or tag."""
    kind = _kind(request)
    await platform.generations.folders.delete(user, kind, label_id)
    return Redirect(f"/folders?done=deleted#{kind}s", status_code=303)


async def _save_name(
    platform: Platform,
    user: User,
    kind: LabelKind,
    name: str,
    saving: Awaitable[object],
    *,
    done: str,
) -> Response[Any]:
    """Back to the list once a folder's or tag's `name` is saved, or the page again with
    the refusal next to the form of that `kind`."""
    try:
        await saving
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_FORM)
        return await _folders_page(
            platform, user, error=exc.message, error_kind=str(kind), name=name, status=status
        )
    return Redirect(f"/folders?done={done}#{kind}s", status_code=303)


# --- the generation page's form ----------------------------------------------------------


@post("/generations/{generation_id:uuid}/filing", status_code=303)
async def filing_submit(
    request: Request[Any, Any, Any],
    generation_id: FromPath[UUID],
    data: Form,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[Any]:
    """Move a generation to a folder (or none) and set its tags (comma-separated)."""
    folder = data.get("folder_id", "").strip()
    names = [n for n in (part.strip() for part in data.get("tags", "").split(",")) if n]
    try:
        try:
            folder_id = UUID(folder) if folder else None
        except ValueError:
            raise ValidationError("Pick a folder from the list.", code="unknown_folder") from None
        await platform.generations.folders.file_one(user, generation_id, folder_id, names)
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_FORM)
        generation = await platform.generations.generations.get_for_owner(user, generation_id)
        return page(
            "generations/generation.html",
            status,
            **await generation_page_context(request, platform, user, generation),
            filing_error=exc.message,
            filing_tags=data.get("tags", ""),
        )
    return Redirect(f"/generations/{generation_id}?filed=1#filing", status_code=303)
