"""The web app can read the platform's types."""

from __future__ import annotations

import msgspec

from voiceqr.bootstrap import Platform


def test_the_web_app_can_read_every_type_the_platform_holds() -> None:
    # Litestar hands the platform to handlers as a dependency and msgspec reads its
    # dataclasses, the use cases' fields included. If an annotation names something
    # the class shadows (a method called `list`), every request fails with a 500.
    info = msgspec.inspect.type_info(Platform)

    assert isinstance(info, msgspec.inspect.DataclassType)
