"""In-memory fakes for every port, one module per feature, and services wired to them.

The fakes keep persistence semantics so the use cases are tested as they run in
production: objects are copied on the way in and out (a caller never holds the
stored object), a unit of work applies its writes only when committed, and the
generation repository does the same version compare-and-set as the SQL one.
"""

from tests.unit.fakes.clock import PUBLIC_BASE_URL, START, FakeClock
from tests.unit.fakes.services import Services, make_services
from tests.unit.fakes.shared import FakeSpeech, SpeechCall

__all__ = [
    "PUBLIC_BASE_URL",
    "START",
    "FakeClock",
    "FakeSpeech",
    "Services",
    "SpeechCall",
    "make_services",
]
