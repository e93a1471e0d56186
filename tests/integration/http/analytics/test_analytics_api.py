"""The owner's analytics over HTTP: the JSON API and the dashboard pages, counted from
real scans of the playback page."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    is_html,
    wait_for_counts,
    wait_until_finished,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

PHONE = {
    **BROWSER,
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Accept-Language": "fr-FR,fr;q=0.9",
}
FORMULA = '=HYPERLINK("https://evil.example")'


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scanned(app: RunningApp, alice: Agent, voices: list[dict[str, Any]]) -> dict[str, Any]:
    """Alice's code, scanned once from a phone through its QR code, and listened to."""
    response = await alice.post(
        "/api/v1/generations", json={"text": FORMULA, "voice_id": voices[0]["id"]}
    )
    assert response.status_code == 202, response.text
    made = await wait_until_finished(alice, response.json()["id"])
    code = made["public_code"]
    assert (await app.anonymous.get(f"/p/{code}?s=q", headers=PHONE)).status_code == 200
    listened = await app.anonymous.post(f"/api/v1/playback/{code}/listen", headers=PHONE)
    assert listened.status_code in (202, 204), listened.text
    await wait_for_counts(alice, made["id"], scans=1, listens=1)
    return made


async def test_the_summary_counts_the_scan_and_the_listen_of_today(
    alice: Agent, scanned: dict[str, Any]
) -> None:
    response = await alice.get("/api/v1/analytics/summary")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scans"] >= 1
    assert body["listens"] >= 1
    assert body["unique_visitors"] >= 1
    assert body["codes"] >= 1
    assert body["period"]["tz"] == "UTC"
    assert set(body["period"]) == {"from", "to", "tz"}


async def test_one_codes_analytics_and_its_breakdowns(
    alice: Agent, scanned: dict[str, Any]
) -> None:
    response = await alice.get(
        f"/api/v1/generations/{scanned['id']}/analytics", params={"tz": "Europe/Paris"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["summary"]["scans"], body["summary"]["listens"]) == (1, 1)
    assert body["breakdowns"]["device"][0]["value"] == "mobile"
    assert body["breakdowns"]["source"][0]["value"] == "qr"
    assert body["breakdowns"]["language"][0]["value"] == "fr"
    assert sum(map(sum, body["heatmap"]["scans"])) == 1
    assert body["timeseries"]["scans"] == 1
    assert len(body["timeseries"]["points"]) == 30


async def test_breakdown_timeseries_heatmap_and_top_codes(
    alice: Agent, scanned: dict[str, Any]
) -> None:
    breakdown = await alice.get("/api/v1/analytics/breakdown", params={"dimension": "device"})
    assert breakdown.status_code == 200, breakdown.text
    assert breakdown.json()["rows"][0]["value"] == "mobile"
    weeks = await alice.get(
        "/api/v1/analytics/timeseries",
        params={"bucket": "week", "from": "2026-01-01", "to": "2026-03-31"},
    )
    assert weeks.status_code == 200, weeks.text
    points = weeks.json()["points"]
    assert points[0]["from"] == "2026-01-01"
    assert points[-1]["to"] == "2026-03-31"
    heatmap = await alice.get("/api/v1/analytics/heatmap", params={"tz": "Asia/Tokyo"})
    assert heatmap.status_code == 200
    assert len(heatmap.json()["scans"]) == 7
    top = await alice.get("/api/v1/analytics/top-codes", params={"by": "listens"})
    assert top.status_code == 200
    assert scanned["id"] in [c["generation_id"] for c in top.json()["codes"]]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2026-02-30"}, "invalid_date"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "invalid_date_range"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "date_range_too_long"),
        ({"tz": "Mars/Olympus_Mons"}, "unknown_time_zone"),
    ],
)
async def test_a_bad_date_a_long_range_or_an_unknown_time_zone_is_a_422_saying_which(
    alice: Agent, params: dict[str, str], code: str
) -> None:
    assert_problem(await alice.get("/api/v1/analytics/summary", params=params), 422, code)


async def test_an_unknown_dimension_is_refused(alice: Agent) -> None:
    response = await alice.get("/api/v1/analytics/breakdown", params={"dimension": "hour"})
    assert response.status_code == 400


async def test_another_users_code_is_not_found_and_strangers_must_sign_in(
    app: RunningApp, bob: Agent, scanned: dict[str, Any]
) -> None:
    assert_problem(await bob.get(f"/api/v1/generations/{scanned['id']}/analytics"), 404)
    assert (await bob.get(f"/generations/{scanned['id']}/analytics")).status_code == 404
    assert (await bob.get("/api/v1/analytics/summary")).json()["scans"] == 0
    assert_problem(await app.anonymous.get("/api/v1/analytics/summary"), 401)


async def test_the_dashboard_pages_show_the_totals_and_the_charts(
    alice: Agent, bob: Agent, scanned: dict[str, Any]
) -> None:
    page = await alice.get("/analytics", headers=BROWSER)
    assert page.status_code == 200
    assert is_html(page)
    assert "<svg" in page.text
    assert "<table" in page.text
    assert "bots left out" in page.text
    one = await alice.get(f"/generations/{scanned['id']}/analytics", headers=BROWSER)
    assert one.status_code == 200
    assert "mobile" in one.text
    empty = await bob.get("/analytics", headers=BROWSER)
    assert "Print your code and share it" in empty.text
    refused = await alice.get("/analytics?from=soon", headers=BROWSER)
    assert refused.status_code == 422
    assert "must be a date" in refused.text


async def test_every_panel_exports_csv_with_formulas_defused(
    alice: Agent, scanned: dict[str, Any]
) -> None:
    response = await alice.get("/analytics/csv/top-scans")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Code", "Text", "Scans", "Listens"]
    texts = [row[1] for row in rows[1:]]
    assert "'" + FORMULA in texts
    for panel in ("summary", "timeseries", "heatmap", "country", "device", "placement"):
        exported = await alice.get(f"/generations/{scanned['id']}/analytics/csv/{panel}")
        assert exported.status_code == 200, panel
    assert (await alice.get("/analytics/csv/nonsense")).status_code == 404


async def test_the_profile_shows_usage(alice: Agent, scanned: dict[str, Any]) -> None:
    page = await alice.get("/profile", headers=BROWSER)
    assert page.status_code == 200
    assert "Generations this month" in page.text
    assert "Characters spoken" in page.text
    assert "Storage used" in page.text
