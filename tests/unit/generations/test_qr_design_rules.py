"""The rules that keep a designed QR code scannable, and the property they buy: every
design they accept, drawn by the real renderer, is read back by zxing to its URL."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from voiceqr.adapters.qr import SegnoQrRenderer
from voiceqr.domain.generations.qr_design import (
    MIN_CONTRAST,
    EyeStyle,
    ModuleStyle,
    QrDesign,
    contrast_ratio,
    print_label,
)
from voiceqr.domain.shared.errors import ValidationError

URL = "https://voiceqr.test/p/AbCdEfGhIjKlMnOp?s=q&p=lobby"


def logo_png(colour: str = "#c62828") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), colour).save(out, format="PNG")
    return SegnoQrRenderer().clean_logo(out.getvalue())


def decoded(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_black_on_white_has_the_highest_contrast_and_equal_colours_none() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)


def test_the_plain_design_is_black_on_white_square_at_level_m() -> None:
    design = QrDesign()

    assert (design.foreground, design.background) == ("#000000", "#ffffff")
    assert design.module_style is ModuleStyle.SQUARE
    assert design.eye_style is EyeStyle.SQUARE
    assert design.error_correction == "m"
    assert design.shown_caption == ""


def test_a_logo_raises_the_error_correction_to_h() -> None:
    assert QrDesign(logo_key="qr-logos/x.png").error_correction == "h"


def test_low_contrast_is_refused_naming_the_ratio() -> None:
    with pytest.raises(ValidationError) as refused:
        QrDesign(foreground="#777777", background="#ffffff")

    assert refused.value.code == "low_qr_contrast"
    assert "4.47:1" in refused.value.message  # #777 on white, rounded down
    assert f"{MIN_CONTRAST}:1" in refused.value.message


def test_a_light_code_on_a_dark_ground_is_refused_even_with_contrast() -> None:
    with pytest.raises(ValidationError) as refused:
        QrDesign(foreground="#ffffff", background="#000000")

    assert refused.value.code == "inverted_qr_colours"


@pytest.mark.parametrize("value", ["red", "#12345", "#gggggg", "", "rgb(0,0,0)", "#1234567"])
def test_a_colour_not_written_as_hex_is_refused(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        QrDesign(foreground=value)

    assert refused.value.code == "invalid_qr_colour"


def test_short_hex_colours_are_widened_and_lowered() -> None:
    design = QrDesign(foreground="#123", background="#FFF")

    assert (design.foreground, design.background) == ("#112233", "#ffffff")


def test_unknown_styles_and_long_captions_are_refused() -> None:
    with pytest.raises(ValidationError, match="square, rounded, dots"):
        QrDesign(module_style="hearts")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="square, rounded, circle"):
        QrDesign(eye_style="stars")  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as long_caption:
        QrDesign(frame=True, caption="x" * 41)
    assert long_caption.value.code == "qr_caption_too_long"
    with pytest.raises(ValidationError) as control:
        QrDesign(caption="Scan\x07me")
    assert control.value.code == "control_characters"


def test_a_print_label_is_one_short_line() -> None:
    assert print_label("  Room 3  ") == "Room 3"
    with pytest.raises(ValidationError):
        print_label("x" * 81)
    with pytest.raises(ValidationError):
        print_label("Room\x003")


@pytest.mark.parametrize("eye", list(EyeStyle))
@pytest.mark.parametrize("module", list(ModuleStyle))
def test_every_style_with_a_frame_and_a_logo_scans_to_the_url(
    module: ModuleStyle, eye: EyeStyle
) -> None:
    design = QrDesign(
        foreground="#1a237e",
        background="#fff8e1",
        module_style=module,
        eye_style=eye,
        frame=True,
        logo_key="qr-logos/logo.png",
    )

    png = SegnoQrRenderer().designed(URL, design, kind="png", size=400, logo=logo_png())

    assert decoded(png) == [URL]


def test_a_png_is_the_asked_width_and_taller_by_the_caption_band() -> None:
    renderer = SegnoQrRenderer()

    plain = Image.open(io.BytesIO(renderer.designed(URL, QrDesign(), kind="png", size=500)))
    framed = Image.open(
        io.BytesIO(renderer.designed(URL, QrDesign(frame=True), kind="png", size=500))
    )

    assert plain.size == (500, 500)
    assert framed.width == 500
    assert framed.height > 500


def test_the_svg_carries_the_colours_the_caption_and_the_logo() -> None:
    design = QrDesign(foreground="#1a237e", frame=True, caption="Hear the <guide>")
    svg = SegnoQrRenderer().designed(
        URL, design.with_logo("k"), kind="svg", size=300, logo=logo_png()
    )

    assert b'width="300"' in svg
    assert b"#1a237e" in svg
    assert b"Hear the &lt;guide&gt;" in svg  # escaped, never markup
    assert b"data:image/png;base64," in svg


channel = st.integers(min_value=0, max_value=255)
colours = st.tuples(channel, channel, channel).map(lambda c: "#{:02x}{:02x}{:02x}".format(*c))


@st.composite
def accepted_designs(draw: st.DrawFn) -> QrDesign:
    foreground, background = draw(colours), draw(colours)
    try:
        return QrDesign(
            foreground=foreground,
            background=background,
            module_style=draw(st.sampled_from(ModuleStyle)),
            eye_style=draw(st.sampled_from(EyeStyle)),
            frame=draw(st.booleans()),
            caption=draw(st.sampled_from(["Scan to listen", "", "Écoutez l'histoire"])),
            logo_key=draw(st.sampled_from([None, "qr-logos/logo.png"])),
        )
    except ValidationError:
        # Refused designs are what the rules are for; the property is about the others.
        return draw(st.nothing())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(design=accepted_designs())
def test_any_accepted_design_scans_to_the_url(design: QrDesign) -> None:
    logo = logo_png() if design.logo_key else None

    png = SegnoQrRenderer().designed(URL, design, kind="png", size=360, logo=logo)

    assert decoded(png) == [URL]
