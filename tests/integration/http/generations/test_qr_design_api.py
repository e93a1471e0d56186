"""QR design through the JSON API and the generation page: every download is read back
by zxing to the playback URL, bad designs are refused saying why, another owner's
generation is not found, and a failed generation offers no code."""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
import zxingcpp
from PIL import Image

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    due_tomorrow,
    wait_until_finished,
)
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.shared.errors import ErrorCategory

pytestmark = pytest.mark.asyncio(loop_scope="module")

NAVY_DOTS = {
    "foreground": "#1a237e",
    "background": "#fff8e1",
    "module_style": "dots",
    "eye_style": "circle",
    "frame": True,
    "caption": "Scan to listen",
}


def design_url(generation: dict[str, Any]) -> str:
    return f"/api/v1/generations/{generation['id']}/qr-design"


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def png_of(content: bytes) -> Image.Image:
    return Image.open(io.BytesIO(content))


def logo_file(kind: str = "PNG", size: tuple[int, int] = (240, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#c62828").save(out, format=kind)
    return out.getvalue()


def sheet_image(pdf: bytes) -> Image.Image:
    """The code's image in a print sheet (its one image XObject, Flate-compressed RGB)."""
    head = re.search(
        rb"/Subtype /Image /Width (\d+) /Height (\d+).*?/Length (\d+) >>\nstream\n", pdf
    )
    assert head is not None, pdf[:400]
    width, height, length = (int(v) for v in head.groups())
    pixels = zlib.decompress(pdf[head.end() : head.end() + length])
    return Image.frombytes("RGB", (width, height), pixels)


async def new_generation(agent: Agent, voices: list[dict[str, Any]]) -> dict[str, Any]:
    response = await agent.post(
        "/api/v1/generations", json={"text": "Room three.", "voice_id": voices[0]["id"]}
    )
    assert response.status_code == 202, response.text
    return await wait_until_finished(agent, response.json()["id"])


async def test_a_generation_starts_with_the_plain_code_at_level_m(
    alice: Agent, spoken: dict[str, Any]
) -> None:
    response = await alice.get(design_url(spoken))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["foreground"] == "#000000"
    assert body["background"] == "#ffffff"
    assert body["error_correction"] == "M"
    assert body["has_logo"] is False
    assert spoken["qr_pdf_url"] == f"/api/v1/generations/{spoken['id']}/qr.pdf"


async def test_a_designed_code_downloads_as_png_and_pdf_that_scan_to_the_playback_url(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    generation = await new_generation(alice, voices)
    saved = await alice.request("PUT", design_url(generation), json=NAVY_DOTS)
    assert saved.status_code == 200, saved.text
    assert saved.json()["contrast_ratio"] >= 4.5
    scanned = f"{generation['playback_url']}?s=q"

    png = await alice.get(generation["qr_png_url"], params={"size": 777, "placement": "Lobby"})
    pdf = await alice.get(generation["qr_pdf_url"], params={"label": "Room 3 (east)"})

    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    image = png_of(png.content)
    assert image.width == 777
    assert image.height > 777
    assert image.convert("RGB").getpixel((0, 0)) == (255, 248, 225)  # the chosen background
    assert decoded(image) == [f"{scanned}&p=lobby"]
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf.content
    assert b"(Room 3 \\(east\\)) Tj" in pdf.content
    assert decoded(sheet_image(pdf.content)) == [scanned]
    svg = await alice.get(generation["qr_svg_url"])
    assert svg.status_code == 200
    assert b"#1a237e" in svg.content
    assert b"<circle" in svg.content


async def test_a_logo_is_carried_at_level_h_and_still_scans(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    generation = await new_generation(alice, voices)

    uploaded = await alice.request(
        "PUT",
        f"{design_url(generation)}/logo",
        files={"file": ("logo.jpg", logo_file("JPEG"), "image/jpeg")},
    )

    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["has_logo"] is True
    assert uploaded.json()["error_correction"] == "H"
    png = await alice.get(generation["qr_png_url"], params={"size": 600})
    image = png_of(png.content).convert("RGB")
    red, green, blue = image.getpixel((300, 300))  # type: ignore[misc]
    assert red > 150
    assert green < 80
    assert blue < 80
    assert decoded(image) == [f"{generation['playback_url']}?s=q"]
    kept = await alice.request("PUT", design_url(generation), json=NAVY_DOTS)
    assert kept.json()["has_logo"] is True
    removed = await alice.request("PUT", design_url(generation), json={"remove_logo": True})
    assert removed.json()["has_logo"] is False
    assert removed.json()["error_correction"] == "M"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.svg"),
        (b"GIF89a not really", "x.gif"),
        (b"", "empty.png"),
    ],
)
async def test_a_logo_that_is_not_a_png_or_jpeg_is_refused(
    alice: Agent, spoken: dict[str, Any], content: bytes, name: str
) -> None:
    response = await alice.request(
        "PUT", f"{design_url(spoken)}/logo", files={"file": (name, content, "image/png")}
    )

    assert_problem(response, 422, "invalid_qr_logo")
    assert (await alice.get(design_url(spoken))).json()["has_logo"] is False


async def test_a_logo_over_two_megabytes_is_refused_as_too_large(
    alice: Agent, spoken: dict[str, Any]
) -> None:
    response = await alice.request(
        "PUT",
        f"{design_url(spoken)}/logo",
        files={"file": ("big.png", b"\x89PNG" + b"0" * (3 * 1024 * 1024), "image/png")},
    )

    assert response.status_code == 413


async def test_low_contrast_is_refused_naming_the_ratio_and_nothing_changes(
    alice: Agent, spoken: dict[str, Any]
) -> None:
    before = (await alice.get(design_url(spoken))).json()

    response = await alice.request(
        "PUT", design_url(spoken), json={"foreground": "#999999", "background": "#ffffff"}
    )

    body = assert_problem(response, 422, "low_qr_contrast")
    assert "2.84:1" in body["detail"]
    assert "4.5:1" in body["detail"]
    assert (await alice.get(design_url(spoken))).json() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"foreground": "#ffffff", "background": "#000000"}, 422, "inverted_qr_colours"),
        ({"foreground": "navy"}, 422, "invalid_qr_colour"),
        ({"module_style": "hearts"}, 422, "invalid_qr_style"),
        ({"eye_style": "stars"}, 422, "invalid_qr_style"),
        ({"frame": True, "caption": "x" * 41}, 422, "qr_caption_too_long"),
        ({"caption": "Scan\u0007"}, 422, "control_characters"),
        ({"frame": "yes"}, 400, None),
        ({"logo_key": "qr-logos/someone-else.png"}, 400, None),
    ],
)
async def test_bad_designs_are_problems_saying_what_is_wrong(
    alice: Agent, spoken: dict[str, Any], body: dict[str, Any], status: int, code: str | None
) -> None:
    assert_problem(await alice.request("PUT", design_url(spoken), json=body), status, code)


async def test_bad_download_parameters_are_400_or_422(alice: Agent, spoken: dict[str, Any]) -> None:
    assert_problem(await alice.get(spoken["qr_png_url"], params={"size": 4097}), 400)
    assert_problem(await alice.get(spoken["qr_pdf_url"], params={"label": "x" * 81}), 400)
    assert_problem(
        await alice.get(spoken["qr_pdf_url"], params={"label": "Room\x003"}),
        422,
        "control_characters",
    )


async def test_another_users_generation_design_and_codes_are_not_found(
    bob: Agent, spoken: dict[str, Any]
) -> None:
    for url in (
        design_url(spoken),
        spoken["qr_svg_url"],
        spoken["qr_png_url"],
        spoken["qr_pdf_url"],
    ):
        assert_problem(await bob.get(url), 404)
    assert_problem(await bob.request("PUT", design_url(spoken), json=NAVY_DOTS), 404)
    logo = {"file": ("logo.png", logo_file(), "image/png")}
    assert_problem(await bob.request("PUT", f"{design_url(spoken)}/logo", files=logo), 404)


async def test_saved_as_default_the_design_draws_the_owners_next_generations(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    dana = await app.new_user("dana@example.com")
    first = await new_generation(dana, voices)

    saved = await dana.request(
        "PUT", design_url(first), json={**NAVY_DOTS, "save_as_default": True}
    )
    assert saved.status_code == 200, saved.text
    later = await new_generation(dana, voices)

    assert (await dana.get(design_url(later))).json()["foreground"] == "#1a237e"
    svg = await dana.get(later["qr_svg_url"])
    assert b"#1a237e" in svg.content


async def test_a_failed_generation_offers_no_qr_download_on_the_api_or_the_page(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    assert alice.user is not None
    failed = replace(
        due_tomorrow(alice.user.id, UUID(voices[0]["id"]), "It never spoke."),
        status=GenerationStatus.FAILED,
        next_attempt_at=None,
        error_category=ErrorCategory.PROVIDER,
        error_code="provider_down",
        error_message="The speech service did not answer.",
    )
    app.insert_generation(failed)
    base = f"/api/v1/generations/{failed.id}"

    shown = (await alice.get(base)).json()
    page = await alice.get(f"/generations/{failed.id}", headers=BROWSER)

    assert (shown["qr_svg_url"], shown["qr_png_url"], shown["qr_pdf_url"]) == (None,) * 3
    for kind in ("svg", "png", "pdf"):
        assert_problem(await alice.get(f"{base}/qr.{kind}"), 409, "generation_failed_no_qr")
    assert page.status_code == 200
    assert 'id="no-qr"' in page.text
    assert f"{base}/qr." not in page.text


async def test_the_page_previews_a_design_without_saving_it_then_saves_it(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    generation = await new_generation(alice, voices)
    page = f"/generations/{generation['id']}"
    action = f"{page}/qr-design"
    form = {
        "foreground": "#004d40",
        "background": "#ffffff",
        "module_style": "rounded",
        "eye_style": "rounded",
        "frame": "on",
        "caption": "Listen here",
    }

    preview = await alice.submit(page, action, {**form, "action": "preview"})

    assert preview.status_code == 200
    src = re.search(r'id="qr-preview" src="([^"]+)"', preview.text)
    assert src is not None
    assert "qr-preview.svg?" in src.group(1)
    drawn = await alice.get(src.group(1).replace("&amp;", "&"))
    assert drawn.status_code == 200
    assert b"#004d40" in drawn.content
    assert b"Listen here" in drawn.content
    assert (await alice.get(design_url(generation))).json()["foreground"] == "#000000"

    saved = await alice.submit(page, action, {**form, "action": "save"})

    assert saved.status_code == 303
    back = await alice.get(saved.headers["location"].split("#")[0], headers=BROWSER)
    assert 'id="design-notice"' in back.text
    design = (await alice.get(design_url(generation))).json()
    assert (design["foreground"], design["module_style"], design["frame"]) == (
        "#004d40",
        "rounded",
        True,
    )


async def test_the_page_shows_a_refused_design_with_the_reason(
    alice: Agent, spoken: dict[str, Any]
) -> None:
    page = f"/generations/{spoken['id']}"

    refused = await alice.submit(
        page, f"{page}/qr-design", {"foreground": "#bbbbbb", "background": "#ffffff"}
    )

    assert refused.status_code == 422
    assert 'id="design-error"' in refused.text
    assert "contrast of 1.91:1" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert 'value="#bbbbbb"' in refused.text  # what was typed comes back


async def test_the_page_uploads_a_logo_and_refuses_a_file_that_is_no_image(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    from tests.integration.http_helpers import CSRF_FIELD, csrf_token

    generation = await new_generation(alice, voices)
    page = f"/generations/{generation['id']}"
    opened = await alice.open_form(page)
    token = {CSRF_FIELD: csrf_token(opened.text)}

    bad = await alice.post(
        f"{page}/qr-design/logo",
        data=token,
        files={"logo": ("notes.txt", b"hello", "text/plain")},
        headers=BROWSER,
    )
    good = await alice.post(
        f"{page}/qr-design/logo",
        data=token,
        files={"logo": ("logo.png", logo_file(), "image/png")},
        headers=BROWSER,
    )

    assert bad.status_code == 422
    assert "PNG or JPEG" in bad.text
    assert good.status_code == 303
    assert (await alice.get(design_url(generation))).json()["has_logo"] is True
    shown = await alice.get(page, headers=BROWSER)
    for button in ("copy-link", "share", "open-playback", "print-sheet", "png-any-size"):
        assert f'id="{button}"' in shown.text
