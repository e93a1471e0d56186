"""Designed QR codes: colours, module and eye styles, a logo and a frame with a caption,
drawn as SVG (vector), PNG (Pillow) and a PDF print sheet.

Geometry is worked out once in modules (`_Layout`) and drawn by each format, so the
three files show the same code. segno gives the module matrix; the shapes are drawn
here, since segno draws only square modules.
"""

from __future__ import annotations

import base64
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

import segno
from PIL import Image, ImageDraw, ImageFont

from voiceqr.domain.generations.qr_design import LOGO_SIDE_SHARE, EyeStyle, ModuleStyle, QrDesign
from voiceqr.domain.shared.errors import ErrorCategory, ValidationError

BORDER = 4  # modules of quiet zone, the minimum the QR specification asks for
FRAME = 1  # modules of frame line around the quiet zone
CAPTION_BAND = 6  # modules of the band under a framed code that holds its caption
EYE = 7  # a finder pattern is 7 x 7 modules
A4 = (595.28, 841.89)  # points
_SHEET_CODE_WIDTH = 340.0  # points: 12 cm, scannable from a couple of metres
_SHEET_PIXELS = 1600  # the code is embedded at about 340 dpi


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where everything goes, in modules: the whole picture is `width` x `height`."""

    matrix: tuple[bytearray, ...]
    design: QrDesign

    @property
    def n(self) -> int:
        return len(self.matrix)

    @property
    def framed(self) -> bool:
        return self.design.frame

    @property
    def origin(self) -> int:
        """Offset of the first module (after the frame and the quiet zone)."""
        return (FRAME if self.framed else 0) + BORDER

    @property
    def width(self) -> int:
        return self.n + 2 * self.origin

    @property
    def height(self) -> int:
        if not self.framed:
            return self.width
        return self.width + (CAPTION_BAND if self.design.shown_caption else 0)

    def eyes(self) -> list[tuple[int, int]]:
        """Top-left module of each finder pattern, as (x, y)."""
        o, far = self.origin, self.origin + self.n - EYE
        return [(o, o), (far, o), (o, far)]

    def data_modules(self) -> Iterator[tuple[int, int]]:
        """Every dark module outside the finder patterns, as (x, y)."""
        n = self.n
        for row, line in enumerate(self.matrix):
            for col, dark in enumerate(line):
                top, left = row < EYE, col < EYE
                in_eye = (top and left) or (top and col >= n - EYE) or (left and row >= n - EYE)
                if dark and not in_eye:
                    yield self.origin + col, self.origin + row

    def logo_box(self) -> tuple[float, float, float] | None:
        """(x, y, side) of the logo, or None; the clear square is half a module wider
        on every side so no module touches it."""
        if self.design.logo_key is None:
            return None
        side = self.n * LOGO_SIDE_SHARE
        corner = self.origin + (self.n - side) / 2
        return corner, corner, side


def layout(data: str, design: QrDesign) -> _Layout:
    if not data:
        raise ValidationError("There is nothing to encode.", code="bad_qr_data")
    try:
        # boost_error=False keeps the level the design asks for, not whatever fits.
        qr = segno.make(data, error=design.error_correction, micro=False, boost_error=False)
    except segno.DataOverflowError as exc:
        raise ValidationError(
            "This is too long for a QR code.", code="bad_qr_data", detail=str(exc)
        ) from exc
    return _Layout(tuple(bytearray(row) for row in qr.matrix), design)


# Logos

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 2048  # a side; a logo is drawn at most a few hundred pixels wide
_LOGO_FORMATS = {"PNG", "JPEG"}


def clean_logo(data: bytes) -> bytes:
    """An uploaded logo as a plain PNG of at most 512 pixels a side.

    Only PNG and JPEG are read (no SVG, whose scripts and links a code would carry
    along); the image is decoded and drawn again, so metadata and anything hidden after
    the pixels is dropped. A file too large, too many pixels or undecodable is refused.
    """
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError(
            f"A logo is at most {MAX_LOGO_BYTES // (1024 * 1024)} MB.",
            code="qr_logo_too_large",
            category=ErrorCategory.TOO_LARGE,
        )
    refused = ValidationError("A logo must be a PNG or JPEG image.", code="invalid_qr_logo")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in _LOGO_FORMATS:
                raise refused
            if max(image.size) > MAX_LOGO_PIXELS:
                raise ValidationError(
                    f"A logo is at most {MAX_LOGO_PIXELS} pixels wide and high.",
                    code="qr_logo_too_large",
                    category=ErrorCategory.TOO_LARGE,
                )
            image.load()
            clean = image.convert("RGBA")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise refused from exc
    clean.thumbnail((512, 512))
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


# SVG


def svg(shape: _Layout, *, size: int, logo: bytes | None) -> bytes:
    d = shape.design
    fg, bg = d.foreground, d.background
    height = round(size * shape.height / shape.width)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height}" '
        f'viewBox="0 0 {shape.width} {shape.height}" role="img" '
        f'aria-label="QR code{escape(": " + d.shown_caption) if d.shown_caption else ""}">',
        f'<rect width="{shape.width}" height="{shape.height}" fill="{bg}"/>',
    ]
    if shape.framed:
        w, h = shape.width, shape.height
        parts.append(
            f'<rect x="0.5" y="0.5" width="{w - 1}" height="{h - 1}" rx="1.5" '
            f'fill="none" stroke="{fg}" stroke-width="1"/>'
        )
        if d.shown_caption:
            band = shape.width
            parts.append(
                f'<path d="M0 {band - 1}h{w}v{h - band - 0.5}a1.5 1.5 0 0 1 -1.5 1.5'
                f'h{-(w - 3)}a1.5 1.5 0 0 1 -1.5 -1.5z" fill="{fg}"/>'
            )
            font = _caption_font_size(d.shown_caption, w)
            parts.append(
                f'<text x="{w / 2}" y="{band - 1 + (h - band + 1) / 2}" fill="{bg}" '
                f'font-family="Helvetica, Arial, sans-serif" font-weight="bold" '
                f'font-size="{font:.2f}" text-anchor="middle" dominant-baseline="central">'
                f"{escape(d.shown_caption)}</text>"
            )
    parts.append(_svg_modules(shape))
    parts.extend(_svg_eye(shape, x, y) for x, y in shape.eyes())
    box = shape.logo_box()
    if box is not None and logo is not None:
        x, y, side = box
        encoded = base64.b64encode(logo).decode()
        parts.append(
            f'<rect x="{x - 0.5:.3f}" y="{y - 0.5:.3f}" width="{side + 1:.3f}" '
            f'height="{side + 1:.3f}" fill="{bg}"/>'
            f'<image x="{x:.3f}" y="{y:.3f}" width="{side:.3f}" height="{side:.3f}" '
            f'href="data:image/png;base64,{encoded}" preserveAspectRatio="xMidYMid meet"/>'
        )
    parts.append("</svg>")
    return "".join(parts).encode()


def _svg_modules(shape: _Layout) -> str:
    fg = shape.design.foreground
    style = shape.design.module_style
    if style is ModuleStyle.DOTS:
        dots = "".join(
            f'<circle cx="{x + 0.5}" cy="{y + 0.5}" r="0.45"/>' for x, y in shape.data_modules()
        )
        return f'<g fill="{fg}">{dots}</g>'
    if style is ModuleStyle.ROUNDED:
        tiles = "".join(
            f'<rect x="{x + 0.05}" y="{y + 0.05}" width="0.9" height="0.9" rx="0.3"/>'
            for x, y in shape.data_modules()
        )
        return f'<g fill="{fg}">{tiles}</g>'
    path = "".join(f"M{x} {y}h1v1h-1z" for x, y in shape.data_modules())
    return f'<path fill="{fg}" shape-rendering="crispEdges" d="{path}"/>'


def _svg_eye(shape: _Layout, x: int, y: int) -> str:
    fg = shape.design.foreground
    style = shape.design.eye_style
    if style is EyeStyle.CIRCLE:
        return (
            f'<circle cx="{x + 3.5}" cy="{y + 3.5}" r="3" fill="none" stroke="{fg}"/>'
            f'<circle cx="{x + 3.5}" cy="{y + 3.5}" r="1.5" fill="{fg}"/>'
        )
    if style is EyeStyle.ROUNDED:
        return (
            f'<rect x="{x + 0.5}" y="{y + 0.5}" width="6" height="6" rx="1.5" '
            f'fill="none" stroke="{fg}"/>'
            f'<rect x="{x + 2}" y="{y + 2}" width="3" height="3" rx="0.75" fill="{fg}"/>'
        )
    return (
        f'<path fill="{fg}" fill-rule="evenodd" shape-rendering="crispEdges" '
        f'd="M{x} {y}h7v7h-7zM{x + 1} {y + 1}v5h5v-5zM{x + 2} {y + 2}h3v3h-3z"/>'
    )


def _caption_font_size(caption: str, width: float) -> float:
    """A caption's font size in modules: half the band, smaller for a long caption
    (about 0.6 em a letter in a bold sans-serif) so it fits inside the frame."""
    return min(CAPTION_BAND * 0.5, (width - 4) / (0.62 * max(len(caption), 1)))


# PNG


def picture(shape: _Layout, *, size: int, logo: bytes | None) -> Image.Image:
    """The design `size` pixels wide, each module a whole number of pixels so edges stay
    sharp (centred with margins of the background); wider only when the code has more
    modules than `size` pixels."""
    d = shape.design
    scale = max(1, size // shape.width)
    width = max(size, shape.width * scale)
    margin = (width - shape.width * scale) // 2
    # The same margins above and below as left and right (so a code without a frame is
    # exactly `size` square, the odd pixel at the bottom and right).
    height = shape.height * scale + width - shape.width * scale
    # A palette image, background 0 and code 1 (the logo's colours after them): a third
    # of the bytes of RGB, so a 4096-pixel code is drawn and compressed in a fraction.
    canvas = Image.new("P", (width, height), _BACKGROUND)
    canvas.putpalette([*_rgb(d.background), *_rgb(d.foreground)])
    draw = ImageDraw.Draw(canvas)

    def box(x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
        return (margin + x * scale, margin + y * scale, margin + (x + w) * scale - 1,
                margin + (y + h) * scale - 1)  # fmt: skip

    fg = _CODE
    if shape.framed:
        w, h = shape.width, shape.height
        draw.rounded_rectangle(box(0, 0, w, h), radius=2 * scale, outline=fg, width=scale)
        if d.shown_caption:
            band = shape.width - 1
            draw.rounded_rectangle(
                box(0, band, w, h - band),
                radius=2 * scale,
                fill=fg,
                corners=(False, False, True, True),
            )
            _png_caption(draw, d.shown_caption, box(0, band, w, h - band), _BACKGROUND)
    for x, y in shape.data_modules():
        if d.module_style is ModuleStyle.DOTS:
            draw.ellipse(box(x + 0.05, y + 0.05, 0.9, 0.9), fill=fg)
        elif d.module_style is ModuleStyle.ROUNDED:
            draw.rounded_rectangle(box(x + 0.05, y + 0.05, 0.9, 0.9), radius=0.3 * scale, fill=fg)
        else:
            draw.rectangle(box(x, y, 1, 1), fill=fg)
    for x, y in shape.eyes():
        if d.eye_style is EyeStyle.CIRCLE:
            draw.ellipse(box(x, y, 7, 7), outline=fg, width=scale)
            draw.ellipse(box(x + 2, y + 2, 3, 3), fill=fg)
        elif d.eye_style is EyeStyle.ROUNDED:
            draw.rounded_rectangle(box(x, y, 7, 7), radius=2 * scale, outline=fg, width=scale)
            draw.rounded_rectangle(box(x + 2, y + 2, 3, 3), radius=0.75 * scale, fill=fg)
        else:
            draw.rectangle(box(x, y, 7, 7), outline=fg, width=scale)
            draw.rectangle(box(x + 2, y + 2, 3, 3), fill=fg)
    logo_box = shape.logo_box()
    if logo_box is not None and logo is not None:
        lx, ly, side = logo_box
        draw.rectangle(box(lx - 0.5, ly - 0.5, side + 1, side + 1), fill=_BACKGROUND)
        centre = (margin + (lx + side / 2) * scale, margin + (ly + side / 2) * scale)
        _paste_logo(canvas, logo, d.background, pixels=max(1, round(side * scale)), centre=centre)
    return canvas


_BACKGROUND, _CODE = 0, 1  # the palette's first two entries
_LOGO_COLOURS = 254  # the rest of an 8-bit palette


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def _paste_logo(
    canvas: Image.Image,
    logo: bytes,
    background: str,
    *,
    pixels: int,
    centre: tuple[float, float],
) -> None:
    """The logo at most `pixels` square, centred on `centre`: flattened on the background,
    reduced to the palette's 254 free colours and pasted with its indexes moved past the
    code's two."""
    image = Image.open(io.BytesIO(logo)).convert("RGBA")
    image.thumbnail((pixels, pixels))
    flat = Image.new("RGB", image.size, background)
    flat.paste(image, (0, 0), image)
    reduced = flat.quantize(colors=_LOGO_COLOURS)
    shifted = reduced.tobytes().translate(bytes(min(i + 2, 255) for i in range(256)))
    palette = reduced.getpalette() or []
    canvas.putpalette([*(canvas.getpalette() or [])[:6], *palette[: 3 * _LOGO_COLOURS]])
    left, top = round(centre[0] - image.width / 2), round(centre[1] - image.height / 2)
    canvas.paste(Image.frombytes("P", image.size, shifted), (left, top))


def _png_caption(
    draw: ImageDraw.ImageDraw, caption: str, band: tuple[float, float, float, float], fill: int
) -> None:
    left, top, right, bottom = band
    size: int = max(8, round((bottom - top) * 0.5))
    font = ImageFont.load_default(size=size)
    while size > 8 and font.getlength(caption) > (right - left) * 0.9:
        size -= 1
        font = ImageFont.load_default(size=size)
    draw.text(((left + right) / 2, (top + bottom) / 2), caption, fill=fill, font=font, anchor="mm")


def png(shape: _Layout, *, size: int, logo: bytes | None) -> bytes:
    out = io.BytesIO()
    picture(shape, size=size, logo=logo).save(out, format="PNG")
    return out.getvalue()


# PDF


def pdf(shape: _Layout, *, logo: bytes | None, label: str) -> bytes:
    """An A4 print sheet: the code 12 cm wide near the top, then (when the code has no
    frame to carry it) the caption, then the label, in Helvetica.

    The code is embedded as an image of about 340 dpi, the same drawing as the PNG; the
    text stays text. Helvetica is one of the fonts every PDF reader has, so nothing is
    embedded; it covers Latin-1 (Windows-1252), and other letters print as "?".
    """
    image = picture(shape, size=_SHEET_PIXELS, logo=logo).convert("RGB")
    page_w, page_h = A4
    draw_w = _SHEET_CODE_WIDTH
    draw_h = draw_w * image.height / image.width
    left = (page_w - draw_w) / 2
    bottom = page_h - 110 - draw_h
    lines: list[tuple[str, float]] = []
    if shape.design.caption and not shape.design.frame:
        lines.append((shape.design.caption, 26.0))
    if label:
        lines.append((label, 18.0))
    content = [f"q {draw_w:.2f} 0 0 {draw_h:.2f} {left:.2f} {bottom:.2f} cm /Code Do Q"]
    baseline = bottom - 44
    for text, font_size in lines:
        width = 0.55 * font_size * len(text)  # Helvetica's letters average about 0.55 em
        content.append(
            f"BT /F1 {font_size:.0f} Tf {(page_w - width) / 2:.2f} {baseline:.2f} Td "
            f"({_pdf_text(text)}) Tj ET"
        )
        baseline -= font_size * 1.8
    stream = "\n".join(content).encode("latin-1")
    pixels = zlib.compress(image.tobytes(), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_w} {page_h}] "
            "/Resources << /XObject << /Code 4 0 R >> /Font << /F1 5 0 R >> >> "
            "/Contents 6 0 R >>"
        ).encode(),
        (
            f"<< /Type /XObject /Subtype /Image /Width {image.width} /Height {image.height} "
            f"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode "
            f"/Length {len(pixels)} >>\nstream\n"
        ).encode()
        + pixels
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream",
    ]
    return _pdf_file(objects)


def _pdf_text(text: str) -> str:
    """`text` as a PDF string in Windows-1252 (as latin-1 characters, for encoding)."""
    raw = text.encode("cp1252", errors="replace").decode("latin-1")
    return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _pdf_file(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
