"""Finding the one generation a use case acts on: absent, deleted or another owner's,
it is NotFound, worded the same everywhere."""

from __future__ import annotations

from uuid import UUID

from voiceqr.application.generations.ports import GenerationsUnitOfWork
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.shared.errors import NotFound


def generation_not_found() -> NotFound:
    return NotFound("No such generation.", code="generation_not_found")


async def owned_generation(
    uow: GenerationsUnitOfWork, generation_id: UUID, owner_id: UUID
) -> Generation:
    """The owner's generation, unless deleted."""
    generation = await uow.generations.get_owned(generation_id, owner_id)
    if generation is None:
        raise generation_not_found()
    return generation


async def live_generation(uow: GenerationsUnitOfWork, generation_id: UUID) -> Generation:
    """Any owner's generation, unless deleted (for those who recover generations)."""
    generation = await uow.generations.get(generation_id)
    if generation is None or generation.is_deleted:
        raise generation_not_found()
    return generation
