"""How a generation's printed QR code looks, within what keeps it scannable.

An owner may colour the code, round or dot its modules and eyes, put a logo in the middle
and a frame with a caption around it. Each choice is refused when it would make the code
hard to read:

- The foreground must be darker than the background: many readers only look for dark
  modules on a light ground, so an inverted code scans badly or not at all.
- Their contrast ratio (WCAG 2 relative luminance) must be at least `MIN_CONTRAST`, the
  ratio WCAG asks of text, so the caption reads as well as the code scans.
- A logo covers at most `LOGO_SIDE_SHARE` of the code's side (about 5% of its area, with
  its padding under 8%), and a code with a logo is made at error correction H, which
  restores up to 30% of its codewords; without a logo it stays at M.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.text import refuse_control_characters

MIN_CONTRAST = 4.5
MAX_CAPTION_LENGTH = 40
MAX_LABEL_LENGTH = 80
DEFAULT_CAPTION = "Scan to listen"
LOGO_SIDE_SHARE = 0.22  # of the code's side, without the quiet zone
_HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")


class ModuleStyle(StrEnum):
    """How each dark module of the data is drawn."""

    SQUARE = "square"
    ROUNDED = "rounded"
    DOTS = "dots"


class EyeStyle(StrEnum):
    """How the three finder patterns (the eyes in the corners) are drawn."""

    SQUARE = "square"
    ROUNDED = "rounded"
    CIRCLE = "circle"


def colour(value: str, *, what: str) -> str:
    """A colour as `#rrggbb` in lower case; `#rgb` is widened. Anything else is refused."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if re.fullmatch(r"#[0-9a-f]{3}", text):
        text = "#" + "".join(c * 2 for c in text[1:])
    if not _HEX_COLOUR.fullmatch(text):
        raise ValidationError(
            f"The {what} colour must be written #rrggbb (such as #1a2b3c).",
            code="invalid_qr_colour",
        )
    return text


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`: 0 for black, 1 for white."""
    channels = []
    for i in (1, 3, 5):
        c = int(hex_colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two `#rrggbb` colours, from 1 (same) to 21 (black on white)."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True, slots=True)
class QrDesign:
    """The look of a printed code; `QrDesign()` is the plain black-on-white code.

    `logo_key` names an uploaded logo in the storage, or is None. `caption` is printed
    under the code when `frame` is on (a blank caption frames the code alone).
    """

    foreground: str = "#000000"
    background: str = "#ffffff"
    module_style: ModuleStyle = ModuleStyle.SQUARE
    eye_style: EyeStyle = EyeStyle.SQUARE
    frame: bool = False
    caption: str = DEFAULT_CAPTION
    logo_key: str | None = None

    def __post_init__(self) -> None:
        foreground = colour(self.foreground, what="foreground")
        background = colour(self.background, what="background")
        object.__setattr__(self, "foreground", foreground)
        object.__setattr__(self, "background", background)
        if relative_luminance(foreground) >= relative_luminance(background):
            raise ValidationError(
                "The code must be darker than its background: many phones cannot read "
                "a light code on a dark ground.",
                code="inverted_qr_colours",
            )
        ratio = contrast_ratio(foreground, background)
        # Rounded down, so a refused pair never shows the minimum itself.
        if ratio < MIN_CONTRAST:
            shown = int(ratio * 100) / 100
            raise ValidationError(
                f"These colours have a contrast of {shown:.2f}:1; a code needs at least "
                f"{MIN_CONTRAST}:1 to scan reliably. Darken the code or lighten the background.",
                code="low_qr_contrast",
            )
        for name, kind in (("module_style", ModuleStyle), ("eye_style", EyeStyle)):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, kind(value))
            except ValueError:
                choices = ", ".join(k.value for k in kind)
                raise ValidationError(
                    f"The {name.replace('_', ' ')} must be one of {choices}.",
                    code="invalid_qr_style",
                ) from None
        if not isinstance(self.frame, bool):
            raise ValidationError("Say yes or no to the frame.", code="invalid_qr_frame")
        if not isinstance(self.caption, str):
            raise ValidationError("The caption must be text.", code="invalid_qr_caption")
        caption = refuse_control_characters(self.caption.strip(), what="The caption")
        if len(caption) > MAX_CAPTION_LENGTH:
            raise ValidationError(
                f"A caption has at most {MAX_CAPTION_LENGTH} characters.",
                code="qr_caption_too_long",
            )
        object.__setattr__(self, "caption", caption)

    @property
    def error_correction(self) -> str:
        """The QR error-correction level: H carries a logo over the modules, M otherwise."""
        return "h" if self.logo_key is not None else "m"

    @property
    def shown_caption(self) -> str:
        """The caption printed with the code: none without a frame."""
        return self.caption if self.frame else ""

    def with_logo(self, logo_key: str | None) -> QrDesign:
        return replace(self, logo_key=logo_key)


def print_label(label: str) -> str:
    """The optional label of a print sheet (a room, an exhibit), checked."""
    text = refuse_control_characters(label.strip(), what="The label")
    if len(text) > MAX_LABEL_LENGTH:
        raise ValidationError(
            f"A label has at most {MAX_LABEL_LENGTH} characters.", code="qr_label_too_long"
        )
    return text
