"""The fake store of QR designs (a generation's, and each user's default)."""

from __future__ import annotations

from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.generations.ports import QrDesignRepository
from voiceqr.domain.generations.qr_design import QrDesign


class FakeQrDesigns(Table):
    # QrDesign is frozen, so storing the value itself is storing a copy.
    async def get_for_generation(self, generation_id: UUID) -> QrDesign | None:
        return self._db.generation_qr_designs.get(generation_id)

    async def save_for_generation(self, generation_id: UUID, design: QrDesign) -> None:
        self._db.generation_qr_designs[generation_id] = design
        self._wrote()

    async def get_default(self, user_id: UUID) -> QrDesign | None:
        return self._db.default_qr_designs.get(user_id)

    async def save_default(self, user_id: UUID, design: QrDesign) -> None:
        self._db.default_qr_designs[user_id] = design
        self._wrote()


class QrDesignsPart(Part):
    """The QR designs' fake repository."""

    qr_designs: QrDesignRepository

    def attach(self) -> None:
        self.qr_designs = FakeQrDesigns(self)
        super().attach()
