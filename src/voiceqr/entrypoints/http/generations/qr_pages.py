"""The QR design panel of the generation page: a preview of the design being tried,
saving it (for this generation, and as the default), and uploading a logo.

Without scripts the panel's "Preview" button posts the form and the page comes back
drawing the tried design; with them, `qr_design.js` redraws the preview as the fields
change, from the same `qr-preview.svg` address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.qr_design import DEFAULT_CAPTION, QrDesign
from voiceqr.domain.shared.errors import DomainError, ValidationError
from voiceqr.entrypoints.http.generations.api import qr_download
from voiceqr.entrypoints.http.generations.qr_api import MAX_LOGO_BODY
from voiceqr.entrypoints.http.generations.views import DESIGN_FIELDS, generation_page_context
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

PREVIEW_WIDTH = 256


def design_from(fields: Mapping[str, str]) -> QrDesign:
    """The design a form (or a preview address) describes; a checkbox is on when sent."""
    return QrDesign(
        foreground=fields.get("foreground", "#000000"),
        background=fields.get("background", "#ffffff"),
        module_style=fields.get("module_style", "square"),  # type: ignore[arg-type]
        eye_style=fields.get("eye_style", "square"),  # type: ignore[arg-type]
        frame=fields.get("frame", "") in ("on", "1", "true"),
        caption=fields.get("caption", DEFAULT_CAPTION),
    )


@get("/generations/{generation_id:uuid}/qr-preview.svg", media_type="image/svg+xml")
async def qr_preview(
    request: Request[Any, Any, Any],
    generation_id: FromPath[UUID],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[bytes]:
    """The code drawn to a design being tried (from the query), with the generation's
    logo; nothing is saved. A design that would not scan is a 422 problem."""
    fields = {name: request.query_params.get(name, "") for name in DESIGN_FIELDS}
    tried = design_from({k: v for k, v in fields.items() if v or k == "frame"})
    return await qr_download(platform, user, generation_id, "svg", PREVIEW_WIDTH, "", preview=tried)


@post("/generations/{generation_id:uuid}/qr-design", status_code=303)
async def qr_design_submit(
    request: Request[Any, Any, Any],
    generation_id: FromPath[UUID],
    data: Form,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[Any]:
    """The design form: "Preview" shows the page again drawing the tried design; "Save"
    keeps it (and as the default when ticked) and goes back to the page."""
    try:
        design = design_from(data)
        if data.get("action") == "preview":
            return await _panel(request, platform, user, generation_id, data, status=200)
        await platform.generations.qr_designs.save(
            user,
            generation_id,
            design,
            remove_logo=data.get("remove_logo") == "on",
            as_default=data.get("save_as_default") == "on",
        )
    except DomainError as exc:
        status = refusal_status(exc)
        return await _panel(
            request, platform, user, generation_id, data, status=status, error=exc.message
        )
    return Redirect(f"/generations/{generation_id}?design=saved#qr-design", status_code=303)


@post(
    "/generations/{generation_id:uuid}/qr-design/logo",
    status_code=303,
    request_max_body_size=MAX_LOGO_BODY,
)
async def qr_logo_submit(
    request: Request[Any, Any, Any],
    generation_id: FromPath[UUID],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[Any]:
    """The logo form: the image goes in the middle of the code."""
    form = await request.form()
    upload = form.get("logo")
    try:
        if not isinstance(upload, UploadFile):
            raise ValidationError("Choose a PNG or JPEG image.", code="invalid_qr_logo")
        image = await upload.read()
        await upload.close()
        await platform.generations.qr_designs.upload_logo(user, generation_id, image)
    except DomainError as exc:
        status = refusal_status(exc)
        return await _panel(
            request, platform, user, generation_id, None, status=status, error=exc.message
        )
    return Redirect(f"/generations/{generation_id}?design=logo#qr-design", status_code=303)


async def _panel(
    request: Request[Any, Any, Any],
    platform: Platform,
    user: User,
    generation_id: UUID,
    tried: Mapping[str, str] | None,
    *,
    status: int,
    error: str | None = None,
) -> Response[Any]:
    """The generation page with the design panel showing what was tried (and why not)."""
    generation = await platform.generations.generations.get_for_owner(user, generation_id)
    context = await generation_page_context(
        request, platform, user, generation, design_tried=tried, design_error=error
    )
    return page("generations/generation.html", status, **context)
