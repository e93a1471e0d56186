"""How an owner's printed codes look: each generation's design, the owner's default,
an uploaded logo, and the designed files (SVG, PNG, and a PDF print sheet).

A generation with no design of its own is drawn to its owner's default, and an owner
with no default gets the plain black-on-white code. Every file encodes the playback URL
marked as a scan (`?s=q`, and `&p=` for a placement), as the plain codes do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal
from uuid import UUID

from voiceqr.application.generations.lookup import owned_generation
from voiceqr.application.generations.ports import GenerationsUnitOfWork
from voiceqr.application.shared.ports import AudioStorage, QrRenderer
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import Generation, GenerationStatus, scanned_url
from voiceqr.domain.generations.qr_design import QrDesign, print_label
from voiceqr.domain.shared.errors import Conflict, NotFound
from voiceqr.domain.shared.ids import uuid7

QrKind = Literal["svg", "png", "pdf"]
LOGO_FOLDER = "qr-logos"


def has_printable_code(generation: Generation) -> bool:
    """Whether a generation's code plays something when scanned: a generation that failed
    before it ever had audio has nothing to play, so it offers no code to print."""
    return not (generation.status is GenerationStatus.FAILED and generation.audio_key is None)


def no_code_for_failed_generation() -> Conflict:
    return Conflict(
        "This generation failed, so its code would play nothing; edit it and make it "
        "again to get a code to print.",
        code="generation_failed_no_qr",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class QrDesigns:
    """The design of an owner's codes, and the files drawn to it."""

    uow: Callable[[], GenerationsUnitOfWork]
    storage: AudioStorage
    qr: QrRenderer
    playback_url: Callable[[str], str]  # the public page a printed code opens

    async def design(self, owner: User, generation_id: UUID) -> QrDesign:
        """The design of the owner's generation: its own, else the owner's default."""
        async with self.uow() as uow:
            await owned_generation(uow, generation_id, owner.id)
            return await _design_of(uow, generation_id, owner.id)

    async def save(
        self,
        owner: User,
        generation_id: UUID,
        design: QrDesign,
        *,
        remove_logo: bool = False,
        as_default: bool = False,
    ) -> QrDesign:
        """Keep `design` for the owner's generation (and as the owner's default).

        The logo is never set here: the generation keeps the one it has (uploaded with
        `upload_logo`) unless `remove_logo`.
        """
        async with self.uow() as uow:
            await owned_generation(uow, generation_id, owner.id)
            current = await _design_of(uow, generation_id, owner.id)
            saved = design.with_logo(None if remove_logo else current.logo_key)
            await uow.qr_designs.save_for_generation(generation_id, saved)
            if as_default:
                await uow.qr_designs.save_default(owner.id, saved)
            await uow.commit()
        return saved

    async def upload_logo(self, owner: User, generation_id: UUID, image: bytes) -> QrDesign:
        """Put an uploaded logo (PNG or JPEG) in the middle of the generation's code; the
        code is then made at error correction H, which carries it."""
        clean = await asyncio.to_thread(self.qr.clean_logo, image)
        key = f"{LOGO_FOLDER}/{owner.id}/{uuid7()}.png"
        async with self.uow() as uow:
            await owned_generation(uow, generation_id, owner.id)
            design = (await _design_of(uow, generation_id, owner.id)).with_logo(key)
            await self.storage.put(key, clean, "image/png")
            await uow.qr_designs.save_for_generation(generation_id, design)
            await uow.commit()
        return design

    async def draw(
        self,
        owner: User,
        generation_id: UUID,
        kind: QrKind,
        *,
        size: int,
        placement: str = "",
        label: str = "",
        preview: QrDesign | None = None,
    ) -> tuple[Generation, bytes]:
        """The owner's generation and its code drawn to its design (or to `preview`, a
        design being tried and not saved, with the generation's logo): SVG or PNG `size`
        pixels wide, or the PDF print sheet with `label` under the code.

        A generation that failed with no audio is refused (409 `generation_failed_no_qr`).
        """
        label = print_label(label)
        async with self.uow() as uow:
            generation = await owned_generation(uow, generation_id, owner.id)
            if not has_printable_code(generation):
                raise no_code_for_failed_generation()
            design = await _design_of(uow, generation_id, owner.id)
        if preview is not None:
            design = replace(preview, logo_key=design.logo_key)
        logo = await self._logo(design)
        url = scanned_url(self.playback_url(generation.public_code), placement)
        body = await asyncio.to_thread(
            self.qr.designed, url, design, kind=kind, size=size, logo=logo, label=label
        )
        return generation, body

    async def _logo(self, design: QrDesign) -> bytes | None:
        if design.logo_key is None:
            return None
        try:
            return await self.storage.get(design.logo_key)
        except NotFound:
            # A logo lost from the storage leaves its clear square empty; the code,
            # still at level H, scans the same.
            return None


async def _design_of(uow: GenerationsUnitOfWork, generation_id: UUID, owner_id: UUID) -> QrDesign:
    return (
        await uow.qr_designs.get_for_generation(generation_id)
        or await uow.qr_designs.get_default(owner_id)
        or QrDesign()
    )
