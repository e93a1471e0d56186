"""QR codes drawn with segno: plain ones (PNG by pypng), and designed ones
(`voiceqr.adapters.qr_design`: colours, styles, a logo, a frame; PNG and PDF by Pillow)."""

from __future__ import annotations

import io
from typing import Literal

import png
import segno

from voiceqr.adapters import qr_design
from voiceqr.domain.generations.qr_design import QrDesign
from voiceqr.domain.shared.errors import ValidationError

MIN_SIZE = 64
MAX_SIZE = 4096
BORDER = 4  # modules of quiet zone, the minimum the QR specification asks for
ERROR_CORRECTION = "m"


class SegnoQrRenderer:
    """Draws QR codes (error correction M, 4-module quiet zone) as SVG or PNG.

    Sizes are in pixels, between 64 and 4096. A PNG is exactly `size` pixels square:
    the code is drawn at the largest whole number of pixels per module that fits and
    centred on white, so modules stay sharp. Only when the code has more modules than
    `size` pixels is the PNG larger, at one pixel per module. An SVG declares `size`
    as its width and height and scales losslessly from its viewBox.
    """

    def svg(self, data: str, *, size: int) -> bytes:
        _check_size(size)
        qr = _make(data)
        out = io.BytesIO()
        qr.save(
            out,
            kind="svg",
            border=BORDER,
            dark="#000",
            light="#fff",
            omitsize=True,
            xmldecl=False,
            nl=False,
        )
        document = out.getvalue()
        # segno gives only a viewBox with omitsize; the pixel size is added to the root
        # element, and crispEdges stops browsers anti-aliasing module edges.
        return document.replace(
            b"<svg ",
            f'<svg width="{size}" height="{size}" shape-rendering="crispEdges" '.encode(),
            1,
        )

    def png(self, data: str, *, size: int) -> bytes:
        _check_size(size)
        qr = _make(data)
        modules = int(qr.symbol_size(scale=1, border=BORDER)[0])
        scale = max(1, size // modules)
        side = max(size, modules * scale)
        margin = (side - modules * scale) // 2
        padding = "1" * (-side % 8)  # rows are packed to whole bytes
        white_row = _pack("1" * side + padding)
        rows: list[bytes] = [white_row] * margin
        for module_row in qr.matrix_iter(scale=1, border=BORDER):
            # Greyscale at 1 bit per pixel: 0 is black, 1 is white.
            bits = "".join(("0" if dark else "1") * scale for dark in module_row)
            packed = _pack("1" * margin + bits + "1" * (side - margin - len(bits)) + padding)
            rows.extend([packed] * scale)
        rows.extend([white_row] * (side - len(rows)))
        out = io.BytesIO()
        writer = png.Writer(width=side, height=side, greyscale=True, bitdepth=1)
        writer.write_packed(out, rows)
        return out.getvalue()

    def designed(
        self,
        data: str,
        design: QrDesign,
        *,
        kind: Literal["svg", "png", "pdf"],
        size: int,
        logo: bytes | None = None,
        label: str = "",
    ) -> bytes:
        """The code drawn to `design` (error correction M, or H with a logo). SVG and PNG
        are `size` pixels wide (taller with a frame's caption); the PDF is an A4 sheet."""
        _check_size(size)
        shape = qr_design.layout(data, design)
        if kind == "svg":
            return qr_design.svg(shape, size=size, logo=logo)
        if kind == "png":
            return qr_design.png(shape, size=size, logo=logo)
        return qr_design.pdf(shape, logo=logo, label=label)

    def clean_logo(self, image: bytes) -> bytes:
        return qr_design.clean_logo(image)


def _make(data: str) -> segno.QRCode:
    if not data:
        raise ValidationError("There is nothing to encode.", code="bad_qr_data")
    try:
        # boost_error=False keeps the level at M as specified, not whatever fits.
        return segno.make(data, error=ERROR_CORRECTION, micro=False, boost_error=False)
    except segno.DataOverflowError as exc:
        raise ValidationError(
            "This is too long for a QR code.", code="bad_qr_data", detail=str(exc)
        ) from exc


def _check_size(size: int) -> None:
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValidationError(
            f"The QR code size must be between {MIN_SIZE} and {MAX_SIZE} pixels.",
            code="bad_qr_size",
            detail=f"size={size}",
        )


def _pack(bits: str) -> bytes:
    return int(bits, 2).to_bytes(len(bits) // 8, "big")
