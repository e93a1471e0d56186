"""Response compression that leaves a response encoded by its route as it is."""

from __future__ import annotations

from typing import Literal

from litestar.enums import CompressionEncoding
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import Message, Scope, Send


class CompressionUnlessEncoded(CompressionMiddleware):
    """Litestar's compression, except for a response that comes with its
    Content-Encoding already: the public playback page keeps its gzipped bytes (every
    scan from a phone asked to compress the same page again, at level 9), and no
    compressor is made for it. Every other response is compressed as before."""

    def create_compression_send_wrapper(
        self,
        send: Send,
        compression_encoding: Literal[CompressionEncoding.BROTLI, CompressionEncoding.GZIP] | str,
        scope: Scope,
    ) -> Send:
        compressing = super().create_compression_send_wrapper
        chosen: Send | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal chosen
            if chosen is None:  # the response's start: its headers decide
                start = message if message["type"] == "http.response.start" else None
                headers = start["headers"] if start else ()
                encoded = any(name.lower() == b"content-encoding" for name, _ in headers)
                chosen = send if encoded else compressing(send, compression_encoding, scope)
            await chosen(message)

        return send_wrapper
