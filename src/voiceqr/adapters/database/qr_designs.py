"""How printed codes look, on SQLAlchemy Core: a design per generation and each user's
default, in two tables of the same columns."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, Column, RowMapping, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, upsert
from voiceqr.application.generations.ports import QrDesignRepository
from voiceqr.domain.generations.qr_design import MAX_CAPTION_LENGTH, QrDesign


def _design_columns() -> list[Column[Any]]:
    return [
        Column("foreground", String(7), nullable=False),
        Column("background", String(7), nullable=False),
        Column("module_style", String(16), nullable=False),
        Column("eye_style", String(16), nullable=False),
        Column("frame", Boolean, nullable=False),
        Column("caption", String(MAX_CAPTION_LENGTH), nullable=False),
        Column("logo_key", String(200)),  # an uploaded logo in the storage
    ]


generation_qr_designs = Table(
    "generation_qr_designs",
    metadata,
    belongs_to("generation_id", "generations", primary_key=True),
    *_design_columns(),
)

default_qr_designs = Table(
    "default_qr_designs",
    metadata,
    belongs_to("user_id", "users", primary_key=True),
    *_design_columns(),
)

_FIELDS = ("foreground", "background", "module_style", "eye_style", "frame", "caption", "logo_key")


def _values(design: QrDesign) -> dict[str, Any]:
    return {name: getattr(design, name) for name in _FIELDS}


def _design(row: RowMapping | None) -> QrDesign | None:
    return None if row is None else QrDesign(**{name: row[name] for name in _FIELDS})


class SqlQrDesigns(Repository):
    async def get_for_generation(self, generation_id: UUID) -> QrDesign | None:
        table = generation_qr_designs
        return _design(
            await self._first(table.select().where(table.c.generation_id == generation_id))
        )

    async def save_for_generation(self, generation_id: UUID, design: QrDesign) -> None:
        await self._save(generation_qr_designs, "generation_id", generation_id, design)

    async def get_default(self, user_id: UUID) -> QrDesign | None:
        table = default_qr_designs
        return _design(await self._first(table.select().where(table.c.user_id == user_id)))

    async def save_default(self, user_id: UUID, design: QrDesign) -> None:
        await self._save(default_qr_designs, "user_id", user_id, design)

    async def _save(self, table: Table, key: str, value: UUID, design: QrDesign) -> None:
        changes = _values(design)
        # One statement, so two saves at once cannot both insert.
        await self._db.execute(
            upsert(self._db, table)
            .values({key: value, **changes})
            .on_conflict_do_update(index_elements=[key], set_=changes)
        )


class QrDesignsPart(Part):
    """The QR designs' share of the unit of work."""

    qr_designs: QrDesignRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.qr_designs = SqlQrDesigns(connection)
        super().attach(connection)
