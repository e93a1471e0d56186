"""SegnoQrRenderer: codes are read back with zxing-cpp to prove they scan."""

from __future__ import annotations

import io
import re

import pytest
import segno
import zxingcpp
from PIL import Image

from voiceqr.adapters.qr import BORDER, SegnoQrRenderer
from voiceqr.domain.shared.errors import ValidationError

URL = "https://voiceqr.example/p/7f3c9a2e-5b1d-4c8e-9f0a-1b2c3d4e5f60"


@pytest.fixture
def renderer() -> SegnoQrRenderer:
    return SegnoQrRenderer()


def _decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("size", [64, 100, 256, 333, 1024])
def test_png_decodes_to_the_data_at_the_requested_size(
    renderer: SegnoQrRenderer, size: int
) -> None:
    image = Image.open(io.BytesIO(renderer.png(URL, size=size)))

    assert image.format == "PNG"
    assert image.size == (size, size)
    assert _decode(image) == [URL]


def test_png_keeps_whole_pixels_per_module_and_centres(renderer: SegnoQrRenderer) -> None:
    modules = int(segno.make(URL, error="m", boost_error=False).symbol_size(border=BORDER)[0])
    size = 300
    scale = size // modules
    image = Image.open(io.BytesIO(renderer.png(URL, size=size))).convert("L")
    pixels = image.load()
    assert pixels is not None

    # The finder pattern's top-left corner sits after the margin and quiet zone.
    offset = (size - modules * scale) // 2 + BORDER * scale
    assert pixels[offset, offset] == 0
    assert pixels[offset - 1, offset] == 255
    assert pixels[offset, offset - 1] == 255
    assert pixels[0, 0] == 255
    assert pixels[size - 1, size - 1] == 255


def test_png_grows_past_size_only_when_modules_do_not_fit(renderer: SegnoQrRenderer) -> None:
    data = "x" * 400
    modules = int(segno.make(data, error="m", boost_error=False).symbol_size(border=BORDER)[0])
    assert modules > 64

    image = Image.open(io.BytesIO(renderer.png(data, size=64)))

    assert image.size == (modules, modules)
    assert _decode(image) == [data]


def test_unicode_data_round_trips(renderer: SegnoQrRenderer) -> None:
    data = "Grüße — 你好"

    image = Image.open(io.BytesIO(renderer.png(data, size=256)))

    assert _decode(image) == [data]


@pytest.mark.parametrize("size", [0, 63, 4097, -5])
def test_bad_size_is_rejected(renderer: SegnoQrRenderer, size: int) -> None:
    for draw in (renderer.png, renderer.svg):
        with pytest.raises(ValidationError) as excinfo:
            draw(URL, size=size)
        assert excinfo.value.code == "bad_qr_size"


def test_empty_or_oversized_data_is_rejected(renderer: SegnoQrRenderer) -> None:
    for data in ("", "x" * 5000):
        with pytest.raises(ValidationError) as excinfo:
            renderer.png(data, size=256)
        assert excinfo.value.code == "bad_qr_data"


def test_svg_has_size_and_viewbox(renderer: SegnoQrRenderer) -> None:
    document = renderer.svg(URL, size=512).decode()

    root = re.match(r"<svg [^>]*>", document)
    assert root is not None
    assert 'width="512"' in root.group(0)
    assert 'height="512"' in root.group(0)
    assert re.search(r'viewBox="0 0 (\d+) \1"', root.group(0))
    assert document.rstrip().endswith("</svg>")


def test_svg_decodes_to_the_data(renderer: SegnoQrRenderer) -> None:
    # Pillow cannot rasterise SVG, so draw the SVG's own path data onto a bitmap.
    document = renderer.svg(URL, size=256).decode()
    view_box = re.search(r'viewBox="0 0 (\d+) (\d+)"', document)
    line_path = re.search(r'<path class="qrline"[^>]* d="([^"]+)"', document)
    assert view_box is not None
    assert line_path is not None
    modules = int(view_box.group(1))
    scale = 8
    image = Image.new("L", (modules * scale, modules * scale), 255)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmhv])(-?[\d.]+)(?: (-?[\d.]+))?", line_path.group(1)):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        elif command == "h":
            length = float(a)
            left, right = sorted((x, x + length))
            top = y - 0.5
            image.paste(
                0, (int(left * scale), int(top * scale), int(right * scale), int((top + 1) * scale))
            )
            x += length

    assert _decode(image) == [URL]
