"""Use cases of folders and tags (G4): keep them, and file generations in them.

Every use case takes the signed-in user and reaches only that user's folders, tags
and generations: another user's id is NotFound, exactly like an id that never
existed. The many-generation methods (`move`, `tag`, `untag`) are what batch actions
build on; the one-generation endpoints use them too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.generations.lookup import generation_not_found, owned_generation
from voiceqr.application.generations.ports import GenerationsUnitOfWork, LabelRepository
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.generations.organising import (
    MAX_TAGS_PER_GENERATION,
    Filing,
    Label,
    LabelKind,
    LabelUsage,
    clean_label_name,
    name_key,
)
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.domain.shared.ids import uuid7

Clock = Callable[[], datetime]


def _repository(uow: GenerationsUnitOfWork, kind: LabelKind) -> LabelRepository:
    return uow.folders if kind is LabelKind.FOLDER else uow.tags


def _not_found(kind: LabelKind) -> NotFound:
    return NotFound(f"No such {kind}.", code=f"{kind}_not_found")


@dataclass(frozen=True, slots=True, kw_only=True)
class FoldersAndTags:
    """A user's folders and tags, and which generations are filed in them."""

    uow: Callable[[], GenerationsUnitOfWork]
    clock: Clock

    # --- the folders and tags themselves -----------------------------------------------

    async def labels(self, user: User, kind: LabelKind) -> list[LabelUsage]:
        """The user's folders (or tags) by name, each with its number of generations."""
        async with self.uow() as uow:
            return await _repository(uow, kind).list_for_owner(user.id)

    async def create(self, user: User, kind: LabelKind, name: str) -> Label:
        """A new folder or tag; Conflict when the user has one of that name in any case."""
        label = Label(
            id=uuid7(),
            owner_id=user.id,
            name=clean_label_name(name, kind),
            created_at=self.clock(),
        )
        async with self.uow() as uow:
            await _repository(uow, kind).add(label)
            await uow.commit()
        return label

    async def rename(self, user: User, kind: LabelKind, label_id: UUID, name: str) -> Label:
        """A new name (a change of case only is allowed); Conflict when another of the
        user's folders (or tags) has it."""
        cleaned = clean_label_name(name, kind)
        async with self.uow() as uow:
            labels = _repository(uow, kind)
            label = await labels.get_owned(label_id, user.id)
            if label is None:
                raise _not_found(kind)
            label.name = cleaned
            await labels.rename(label)
            await uow.commit()
        return label

    async def delete(self, user: User, kind: LabelKind, label_id: UUID) -> None:
        """Remove a folder (its generations stay, in no folder) or a tag (it comes off
        every generation); the generations themselves are never touched."""
        async with self.uow() as uow:
            if not await _repository(uow, kind).delete(label_id, user.id):
                raise _not_found(kind)
            await uow.commit()

    # --- filing generations --------------------------------------------------------------

    async def filings(self, user: User, generation_ids: Sequence[UUID]) -> dict[UUID, Filing]:
        """Folder and tags of a page of the user's generations, fetched together."""
        async with self.uow() as uow:
            return await uow.generations.filings(user.id, generation_ids)

    async def filings_of(self, generations: Sequence[Generation]) -> dict[UUID, Filing]:
        """Folder and tags of generations already read for their owner (a history page,
        a generation just fetched): the owner of each comes from the generation."""
        found: dict[UUID, Filing] = {}
        owners: dict[UUID, list[UUID]] = {}
        for generation in generations:
            owners.setdefault(generation.owner_id, []).append(generation.id)
        if owners:
            async with self.uow() as uow:
                for owner_id, ids in owners.items():
                    found.update(await uow.generations.filings(owner_id, ids))
        return found

    async def move(self, user: User, generation_ids: Sequence[UUID], folder_id: UUID | None) -> int:
        """Put the user's generations among `generation_ids` in a folder of theirs (None:
        in no folder); others' ids are skipped. Returns how many were moved."""
        async with self.uow() as uow:
            if folder_id is not None and await uow.folders.get_owned(folder_id, user.id) is None:
                raise _not_found(LabelKind.FOLDER)
            moved = await uow.generations.set_folder(user.id, generation_ids, folder_id)
            await uow.commit()
        return moved

    async def move_one(self, user: User, generation_id: UUID, folder_id: UUID | None) -> Filing:
        """Move one generation; NotFound unless it (and the folder) are the user's."""
        if await self.move(user, [generation_id], folder_id) == 0:
            raise generation_not_found()
        return (await self.filings(user, [generation_id]))[generation_id]

    async def tag(self, user: User, generation_ids: Sequence[UUID], names: Sequence[str]) -> None:
        """Add tags by name to the user's generations, creating the tags the user lacks.

        Nothing is saved when a generation would carry more than the limit.
        """
        async with self.uow() as uow:
            tags = await self._tags_named(uow, user, names)
            await uow.generations.add_tags(user.id, generation_ids, [tag.id for tag in tags])
            filed = await uow.generations.filings(user.id, generation_ids)
            if any(len(filing.tags) > MAX_TAGS_PER_GENERATION for filing in filed.values()):
                raise _too_many_tags()
            await uow.commit()

    async def untag(self, user: User, generation_ids: Sequence[UUID], names: Sequence[str]) -> None:
        """Take tags by name off the user's generations; unknown names are no error."""
        async with self.uow() as uow:
            keys = list({name_key(name.strip()) for name in names})
            tags = await uow.tags.find_named(user.id, keys)
            await uow.generations.remove_tags(user.id, generation_ids, [tag.id for tag in tags])
            await uow.commit()

    async def set_tags(self, user: User, generation_id: UUID, names: Sequence[str]) -> Filing:
        """Make one generation carry exactly these tags (by name), creating missing ones."""
        async with self.uow() as uow:
            filing = await self._set_tags(uow, user, generation_id, names)
            await uow.commit()
        return filing

    async def file_one(
        self, user: User, generation_id: UUID, folder_id: UUID | None, tag_names: Sequence[str]
    ) -> Filing:
        """Move one generation and set its tags at once: both are saved, or neither."""
        async with self.uow() as uow:
            if folder_id is not None and await uow.folders.get_owned(folder_id, user.id) is None:
                raise _not_found(LabelKind.FOLDER)
            await uow.generations.set_folder(user.id, [generation_id], folder_id)
            filing = await self._set_tags(uow, user, generation_id, tag_names)
            await uow.commit()
        return filing

    async def _set_tags(
        self, uow: GenerationsUnitOfWork, user: User, generation_id: UUID, names: Sequence[str]
    ) -> Filing:
        await owned_generation(uow, generation_id, user.id)
        wanted = await self._tags_named(uow, user, names)
        if len(wanted) > MAX_TAGS_PER_GENERATION:
            raise _too_many_tags()
        current = (await uow.generations.filings(user.id, [generation_id]))[generation_id]
        keep = {tag.id for tag in wanted}
        await uow.generations.remove_tags(
            user.id, [generation_id], [tag.id for tag in current.tags if tag.id not in keep]
        )
        await uow.generations.add_tags(user.id, [generation_id], list(keep))
        return (await uow.generations.filings(user.id, [generation_id]))[generation_id]

    async def _tags_named(
        self, uow: GenerationsUnitOfWork, user: User, names: Sequence[str]
    ) -> list[Label]:
        """The user's tags of these names (one per name, whatever its case), new ones made."""
        wanted: dict[str, str] = {}
        for name in names:
            cleaned = clean_label_name(name, LabelKind.TAG)
            wanted.setdefault(name_key(cleaned), cleaned)
        found = await uow.tags.find_named(user.id, list(wanted))
        have = {tag.name_key for tag in found}
        for key, name in wanted.items():
            if key not in have:
                tag = Label(id=uuid7(), owner_id=user.id, name=name, created_at=self.clock())
                await uow.tags.add(tag)
                found.append(tag)
        return found


def _too_many_tags() -> ValidationError:
    return ValidationError(
        f"A generation carries at most {MAX_TAGS_PER_GENERATION} tags.", code="too_many_tags"
    )
