"""Scans counted as people, against `voiceqr serve` on SQLite and on PostgreSQL: one
visitor is one scan, bots and the owner's own views are kept out of the count, and no IP
address the visitors came from is anywhere in the database afterwards."""

from __future__ import annotations

import ipaddress
import os
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.conftest import free_port
from tests.integration.browser_support import VOICEQR, create_user, serving

EMAIL = "owner@example.test"
PASSWORD = "correct horse battery staple"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
# (address, user agent): the server believes X-Forwarded-For from 127.0.0.1.
VISITS = [
    ("203.0.113.77", IPHONE),
    ("203.0.113.77", IPHONE),  # the same person again: the same visit
    ("198.51.100.23", DESKTOP),
    ("2001:db8:85a3::8a2e:370:7334", IPHONE),
    ("192.0.2.5", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
]


def test_scans_are_people_and_no_address_is_stored(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEQR_")}
    env |= {
        "VOICEQR_DATA_DIR": str(tmp_path / "data"),
        "VOICEQR_DATABASE_URL": database_url,
        "VOICEQR_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "VOICEQR_PLAYBACK_FLUSH_SECONDS": "0.2",
    }
    subprocess.run([str(VOICEQR), "voices", "seed"], env=env, check=True, capture_output=True)
    create_user(env, EMAIL, PASSWORD)
    with serving(env, port, tmp_path / "serve.log") as base, httpx.Client(base_url=base) as owner:
        signed_in = owner.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        voice = owner.get("/api/v1/voices/").json()[0]
        made = owner.post("/api/v1/generations/", json={"text": "Hi.", "voice_id": voice["id"]})
        assert made.status_code == 202, made.text
        generation = made.json()
        page = f"/p/{generation['public_code']}?s=q"
        for address, agent in VISITS:
            headers = {"X-Forwarded-For": address, "User-Agent": agent}
            assert httpx.get(base + page, headers=headers).status_code == 200
        assert owner.get(page, headers={"User-Agent": DESKTOP}).status_code == 200  # own view

        # Three people: the bot and the owner are stored, and left out.
        counted = wait_for_scans(owner, generation["id"], 3)
        assert counted["listens"] == 0

    dump = database_dump(database_url)
    assert generation["public_code"] in dump  # the dump does hold the data
    for address, _ in VISITS:
        ip = ipaddress.ip_address(address)
        network = ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 64}", strict=False)
        for form in {address, str(ip), ip.exploded, str(network), str(network.network_address)}:
            assert form not in dump, f"{form} is stored"
        assert ip.packed.hex() not in dump.lower(), f"{address} is stored as bytes"


def wait_for_scans(owner: httpx.Client, generation_id: str, scans: int) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        body: dict[str, Any] = owner.get(f"/api/v1/generations/{generation_id}").json()
        if body["scans"] == scans or time.monotonic() > deadline:
            assert body["scans"] == scans, body
            return body
        time.sleep(0.1)


def database_dump(url: str) -> str:
    """Every row of the database as text (SQL), blobs in hex."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        with sqlite3.connect(path) as connection:
            return "\n".join(connection.iterdump())
    database = urlsplit(url).path.lstrip("/")
    dumped = subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--data-only", "--inserts", database],
        capture_output=True,
        text=True,
        check=True,
    )
    return dumped.stdout
