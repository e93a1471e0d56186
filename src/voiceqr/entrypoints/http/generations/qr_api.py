"""The design of a generation's printed code in the JSON API: read it, change it, give
it a logo. The designed files themselves are the generation's `qr.svg`, `qr.png` and
`qr.pdf` (in `api.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from litestar import Controller, get, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body as BodyParam
from litestar.params import FromPath, JSONBody

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.generations.schemas import QrDesignIn, QrDesignOut
from voiceqr.entrypoints.http.generations.views import qr_design_out
from voiceqr.entrypoints.http.kit.api_requests import ACCEPTS_FILES
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user

# A logo is at most 2 MB (the renderer says so with 413); the rest is the form around it.
MAX_LOGO_BODY = 2 * 1024 * 1024 + 64 * 1024


@dataclass
class LogoIn:
    """The logo, a PNG or JPEG image sent as the `file` field."""

    file: UploadFile


class QrDesignController(Controller):
    path = "/generations/{generation_id:uuid}/qr-design"
    tags = ["generations"]
    opt = api_key_scopes(GET=Scope.READ, PUT=Scope.GENERATE)
    dependencies = {"user": Provide(current_user)}

    @get("/")
    async def get_design(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> QrDesignOut:
        """How the generation's code looks: its own design, else your default."""
        return qr_design_out(await platform.generations.qr_designs.design(user, generation_id))

    @put("/")
    async def put_design(
        self,
        generation_id: FromPath[UUID],
        data: JSONBody[QrDesignIn],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> QrDesignOut:
        """Change how the generation's code looks, and with `save_as_default` make it the
        design of your generations that have none. The logo stays unless `remove_logo`.

        A design that would not scan is refused (422): the foreground must be darker
        than the background, with a contrast of at least 4.5:1."""
        saved = await platform.generations.qr_designs.save(
            user,
            generation_id,
            data.design(),
            remove_logo=data.remove_logo,
            as_default=data.save_as_default,
        )
        return qr_design_out(saved)

    @put("/logo", opt={ACCEPTS_FILES: True}, request_max_body_size=MAX_LOGO_BODY)
    async def put_logo(
        self,
        generation_id: FromPath[UUID],
        data: Annotated[LogoIn, BodyParam(media_type=RequestEncodingType.MULTI_PART)],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> QrDesignOut:
        """Put a logo (PNG or JPEG, at most 2 MB and 2048 pixels a side) in the middle of
        the code; the code is then made at error correction H, which carries it."""
        image = await data.file.read()
        await data.file.close()
        return qr_design_out(
            await platform.generations.qr_designs.upload_logo(user, generation_id, image)
        )
