"""Reading a JSON request body without letting its shape break the server.

Litestar decodes a body into plain Python values before converting them to the
handler's Struct, and msgspec raises RecursionError on arrays or objects nested
about a thousand deep (wherever they sit: a typed field never gets to refuse them)
and UnicodeDecodeError on bytes that are not UTF-8. Both would answer 500. No body of
ours nests more than a few levels, so the nesting is bounded before anything is
decoded, and both are answered like any other body that does not match its schema,
text that is not JSON included: 400 `malformed_request`.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException, ValidationException

MAX_NESTING = 32  # arrays and objects inside one another; our bodies use two or three

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def nests_too_deep(body: bytes, limit: int = MAX_NESTING) -> bool:
    """Whether arrays and objects in a JSON text nest more than `limit` deep (brackets
    inside strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= limit:  # most bodies: nothing to scan
        return False
    depth = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


class JSONBodyRequest(Request[Any, Any, Any]):
    """A request whose JSON body is refused (400 `malformed_request`) when it nests too
    deep, is not UTF-8 or is not JSON at all."""

    async def json(self) -> Any:
        if nests_too_deep(await self.body()):
            raise _malformed(f"Arrays and objects nest at most {MAX_NESTING} levels deep.")
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise _malformed("The body is not UTF-8 text.") from None
        except SerializationException as exc:
            raise _malformed(f"The body is not JSON: {exc}.") from None


def _malformed(message: str) -> ValidationException:
    return ValidationException(
        detail=message, extra=[{"message": message, "key": "body", "source": "body"}]
    )
