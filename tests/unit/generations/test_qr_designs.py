"""The design of an owner's codes on fakes: kept per generation, the owner's default,
the logo, and a failed generation that offers no code."""

from __future__ import annotations

from uuid import UUID

import pytest

from tests.unit.fakes import Services
from tests.unit.generations.test_generation_failures import failed_generation
from voiceqr.application.generations.qr_designs import QrDesigns
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.qr_design import ModuleStyle, QrDesign
from voiceqr.domain.shared.errors import Conflict, NotFound, ValidationError
from voiceqr.domain.voices.voice import Voice

NAVY = QrDesign(foreground="#1a237e", module_style=ModuleStyle.DOTS, frame=True)


async def made(s: Services, owner: User, voice: Voice) -> UUID:
    generation = await s.generations.request(owner, text="Room three.", voice_id=voice.id)
    s.queue.take()
    await s.generations.process(generation.id)
    return generation.id


def designs(s: Services) -> QrDesigns:
    return s.platform.generations.qr_designs


async def test_a_generation_with_no_design_has_the_plain_code(
    s: Services, owner: User, voice: Voice
) -> None:
    assert await designs(s).design(owner, await made(s, owner, voice)) == QrDesign()


async def test_a_saved_design_is_the_generations_and_not_the_next_ones(
    s: Services, owner: User, voice: Voice
) -> None:
    first, second = await made(s, owner, voice), await made(s, owner, voice)

    await designs(s).save(owner, first, NAVY)

    assert await designs(s).design(owner, first) == NAVY
    assert await designs(s).design(owner, second) == QrDesign()


async def test_saved_as_default_it_is_the_design_of_generations_without_their_own(
    s: Services, owner: User, voice: Voice
) -> None:
    first, second = await made(s, owner, voice), await made(s, owner, voice)

    await designs(s).save(owner, first, NAVY, as_default=True)
    later = await made(s, owner, voice)

    assert await designs(s).design(owner, second) == NAVY
    assert await designs(s).design(owner, later) == NAVY
    other = s.add_user("other@example.com")
    assert await designs(s).design(other, await made(s, other, voice)) == QrDesign()


async def test_another_owners_generation_is_not_found_and_keeps_its_design(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await made(s, owner, voice)
    stranger = s.add_user("stranger@example.com")

    with pytest.raises(NotFound):
        await designs(s).design(stranger, generation)
    with pytest.raises(NotFound):
        await designs(s).save(stranger, generation, NAVY)
    with pytest.raises(NotFound):
        await designs(s).draw(stranger, generation, "png", size=256)
    with pytest.raises(NotFound):
        await designs(s).upload_logo(stranger, generation, b"logo")
    assert await designs(s).design(owner, generation) == QrDesign()
    assert not [key for key in s.storage.objects if key.startswith("qr-logos/")]


async def test_an_uploaded_logo_is_stored_cleaned_and_raises_the_level(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await made(s, owner, voice)

    design = await designs(s).upload_logo(owner, generation, b"logo.png")

    assert design.logo_key is not None
    assert design.logo_key.startswith(f"qr-logos/{owner.id}/")
    assert s.storage.objects[design.logo_key].data == b"clean logo.png"
    assert design.error_correction == "h"
    _, drawn = await designs(s).draw(owner, generation, "svg", size=300)
    assert b"clean logo.png" in drawn


async def test_a_new_design_keeps_the_logo_unless_it_is_removed(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await made(s, owner, voice)
    with_logo = await designs(s).upload_logo(owner, generation, b"logo")

    kept = await designs(s).save(owner, generation, NAVY)
    removed = await designs(s).save(owner, generation, NAVY, remove_logo=True)

    assert kept.logo_key == with_logo.logo_key
    assert removed.logo_key is None
    assert removed.error_correction == "m"


async def test_a_file_that_is_no_image_is_refused_and_nothing_is_stored(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await made(s, owner, voice)
    stored = set(s.storage.objects)

    with pytest.raises(ValidationError):
        await designs(s).upload_logo(owner, generation, b"<svg onload=alert(1)>")

    assert set(s.storage.objects) == stored
    assert await designs(s).design(owner, generation) == QrDesign()


async def test_the_drawn_code_encodes_the_scanned_playback_url_with_the_placement(
    s: Services, owner: User, voice: Voice
) -> None:
    generation_id = await made(s, owner, voice)
    await designs(s).save(owner, generation_id, NAVY)

    generation, pdf = await designs(s).draw(
        owner, generation_id, "pdf", size=512, placement="Lobby", label="Room 3"
    )

    url = s.platform.generations.playback_url(generation.public_code)
    assert pdf.startswith(f"pdf:512:{url}?s=q&p=lobby:".encode())
    assert repr(NAVY).encode() in pdf
    assert pdf.endswith(b":Room 3")


async def test_a_preview_is_drawn_and_not_saved(s: Services, owner: User, voice: Voice) -> None:
    generation = await made(s, owner, voice)

    _, drawn = await designs(s).draw(owner, generation, "svg", size=300, preview=NAVY)

    assert repr(NAVY).encode() in drawn
    assert await designs(s).design(owner, generation) == QrDesign()


async def test_a_failed_generation_offers_no_code(s: Services, owner: User, voice: Voice) -> None:
    generation = await failed_generation(s, owner, voice)

    for kind in ("svg", "png", "pdf"):
        with pytest.raises(Conflict) as refused:
            await designs(s).draw(owner, generation, kind, size=256)  # type: ignore[arg-type]
        assert refused.value.code == "generation_failed_no_qr"
