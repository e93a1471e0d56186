"""What the account data tests set up: an owner's completed generations."""

from __future__ import annotations

from tests.unit.fakes import Services
from voiceqr.domain.accounts.users import User


async def completed(s: Services, owner: User, count: int = 2) -> list[str]:
    """`count` completed generations of `owner`; their printed codes."""
    voice = s.add_voice("Alex")
    codes = []
    for n in range(count):
        generation = await s.generations.request(owner, text=f"Hello {n}", voice_id=voice.id)
        await s.generations.process(generation.id)
        codes.append(generation.public_code)
    return codes
