"""The batch form of the history page.

The ticked generations, or every one matching the page's filters, are moved or tagged
at once; a delete goes to a confirmation page first and only its "Yes" button deletes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Request, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from voiceqr.application.generations.batch import MAX_IDS, BatchAction, Selection
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.entrypoints.http.generations.history_filters import (
    FILTER_FIELDS,
    cleaned_filters,
    history_filter,
)
from voiceqr.entrypoints.http.generations.views import reader_zone
from voiceqr.entrypoints.http.kit.forms import page

_SHOWN = 20  # generations listed by name on the confirmation page


class BatchForm:
    """What the history page's batch form sent, checked."""

    def __init__(self, form: FormMultiDict) -> None:
        action = str(form.get("action", ""))
        if action not in set(BatchAction):
            raise ValidationError("Choose what to do with the generations.", code="bad_action")
        self.action = BatchAction(action)
        self.filters = cleaned_filters(
            {name: str(form.get(f"filter_{name}", "")) for name in FILTER_FIELDS}
        )
        self.everything = form.get("everything") == "1"
        self.ids = [_uuid(value) for value in form.getall("ids")] if "ids" in form else []
        folder = str(form.get("folder_id", ""))
        self.folder_id = _uuid(folder) if folder else None
        self.tags = [str(form.get("tags", "")).strip()]

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.ids

    def selection(self, zone: ZoneInfo) -> Selection:
        """The ticked ids, or every match of the filters (their days in `zone`)."""
        if self.everything:
            return Selection(matching=history_filter(self.filters, zone))
        if len(self.ids) > MAX_IDS:
            raise ValidationError(
                f"Tick at most {MAX_IDS} generations, or choose every matching one.",
                code="too_many_ids",
            )
        return Selection(ids=tuple(self.ids))


def _uuid(value: object) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationError("The selection is not valid.", code="bad_selection") from None


def _back(filters: dict[str, str], **done: object) -> Redirect:
    query = urlencode({**{k: v for k, v in filters.items() if v}, **done})
    return Redirect(f"/generations?{query}", status_code=303)


@post("/generations/batch", status_code=200)
async def batch_submit(
    request: Request[Any, Any, Any],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Template | Redirect:
    """Move or tag at once; for a delete, show what would go and ask first."""
    form = BatchForm(await request.form())
    if form.is_empty:
        return _back(form.filters, batch="none")
    selection = form.selection(await reader_zone(platform, user, request))
    if form.action is not BatchAction.DELETE:
        result = await platform.generations.batches.apply(
            user, form.action, selection, folder_id=form.folder_id, tags=form.tags
        )
        return _back(form.filters, batch=str(result.action), count=result.count)
    chosen = await platform.generations.batches.select(user, selection)
    shown = [await platform.generations.generations.get_for_owner(user, i) for i in chosen[:_SHOWN]]
    return page(
        "generations/batch_confirm.html",
        user=user,
        form=form,
        count=len(chosen),
        shown=shown,
        more=len(chosen) - len(shown),
    )


@post("/generations/batch/delete")
async def batch_delete_confirmed(
    request: Request[Any, Any, Any],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Redirect:
    """The "Yes" of the confirmation page."""
    form = BatchForm(await request.form())
    selection = form.selection(await reader_zone(platform, user, request))
    result = await platform.generations.batches.apply(user, BatchAction.DELETE, selection)
    return _back(form.filters, batch=str(result.action), count=result.count)
