"""A local stand-in for the ElevenLabs text-to-speech API, for integration tests.

It listens on 127.0.0.1 on a random port in a background thread, checks requests the
way ElevenLabs does (path, `xi-api-key`, output format, JSON body), records them, and
answers with fake MP3 bytes and a `character-cost` header; GET /v1/voices lists the
account's voices (`voices`) in ElevenLabs' shape. Tests can queue scripted
answers (errors, slow responses) that are used, in order, before the normal one.

Use the `elevenlabs_server` fixture by importing it into a test module.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

API_KEY = "sk_test_4f1c2a9be07d4c3e8a55"
VOICE_ID = "21m00Tcm4TlvDq8ikWAM"
OUTPUT_FORMATS = frozenset({"mp3_22050_32", "mp3_44100_64", "mp3_44100_128", "mp3_44100_192"})
FAKE_MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + bytes(413)

_PATH = re.compile(r"^/v1/text-to-speech/(?P<voice_id>[^/]+)$")
VOICES_PATH = "/v1/voices"

# Some of ElevenLabs' premade voices as its voices endpoint describes them:
# (voice_id, name, gender, accent, age, description, use case).
PREMADE_VOICES = (
    ("21m00Tcm4TlvDq8ikWAM", "Rachel", "female", "american", "young", "calm", "narration"),
    ("pNInz6obpgDQGcFmaJgB", "Adam", "male", "american", "middle aged", "deep", "narration"),
    ("JBFqnCBsd6RMkjVDRZzb", "George", "male", "british", "middle aged", "raspy", "narration"),
    ("onwK4e9ZLuTAKqWW03F9", "Daniel", "male", "british", "middle aged", "deep", "news"),
    ("pFZP5JQG7iQjIQuC4Bku", "Lily", "female", "british", "middle aged", "raspy", "narration"),
    (
        "IKne3meq5aSn9XLyUdCD",
        "Charlie",
        "male",
        "australian",
        "middle aged",
        "casual",
        "conversational",
    ),
    ("ZQe5CZNOzWyzPSCn5a3c", "James", "male", "australian", "old", "calm", "news"),
    ("D38z5RcWu1voky8WS1ja", "Fin", "male", "irish", "old", "sailor", "video games"),
)


def voice_entry(voice_id: str) -> dict[str, Any]:
    """One voice of GET /v1/voices, in ElevenLabs' shape (a voice added by a test has
    a made-up name and no labels)."""
    known = {v[0]: v for v in PREMADE_VOICES}
    _, name, gender, accent, age, description, use_case = known.get(
        voice_id, (voice_id, f"Voice {voice_id[:6]}", "", "", "", "", "")
    )
    labels = {
        "accent": accent,
        "description": description,
        "age": age,
        "gender": gender,
        "use_case": use_case,
    }
    return {
        "voice_id": voice_id,
        "name": name,
        "category": "premade" if voice_id in known else "cloned",
        "labels": {k: v for k, v in labels.items() if v},
        "description": None,
        "preview_url": f"https://storage.example/voices/{voice_id}/preview.mp3",
        "available_for_tiers": [],
        "settings": None,
        "high_quality_base_model_ids": ["eleven_multilingual_v2"],
    }


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class ScriptedResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def error_body(status: str, message: str) -> bytes:
    return json.dumps({"detail": {"status": status, "message": message}}).encode()


class FakeElevenLabs:
    """The fake server: start/stop it, queue scripted answers, inspect `requests`."""

    def __init__(self) -> None:
        self.api_key = API_KEY
        # The account's voices: what the voices endpoint lists and speech accepts.
        self.voices: set[str] = {VOICE_ID}
        self.audio = FAKE_MP3
        self.voice_list_status = 200
        self.requests: list[RecordedRequest] = []
        self._script: deque[ScriptedResponse] = deque()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown, and so every test's teardown, fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-elevenlabs",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        # Slow handlers wait on this event, so they finish instead of outliving the test.
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def enqueue(self, response: ScriptedResponse) -> None:
        with self._lock:
            self._script.append(response)

    def respond_error(
        self, status: int, provider_status: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self.enqueue(
            ScriptedResponse(
                status,
                error_body(provider_status, message),
                {"Content-Type": "application/json", **(headers or {})},
            )
        )

    def respond_invalid_api_key(self) -> None:
        self.respond_error(401, "invalid_api_key", "Invalid API key")

    def respond_quota_exceeded(self) -> None:
        self.respond_error(
            401,
            "quota_exceeded",
            "This request exceeds your quota of 10000. You have 3 credits remaining.",
        )

    def respond_validation_error(self) -> None:
        body = {
            "detail": [
                {
                    "type": "string_too_short",
                    "loc": ["body", "text"],
                    "msg": "String should have at least 1 character",
                    "input": "",
                }
            ]
        }
        self.enqueue(
            ScriptedResponse(422, json.dumps(body).encode(), {"Content-Type": "application/json"})
        )

    def respond_too_many_concurrent_requests(self, retry_after: str | None = "3") -> None:
        self.respond_error(
            429,
            "too_many_concurrent_requests",
            "Too many concurrent requests for your subscription.",
            {"Retry-After": retry_after} if retry_after is not None else None,
        )

    def respond_system_busy(self) -> None:
        self.respond_error(429, "system_busy", "The system is experiencing heavy traffic.")

    def respond_server_error(
        self, status: int = 500, body: bytes = b"Internal Server Error"
    ) -> None:
        self.enqueue(ScriptedResponse(status, body, {"Content-Type": "text/plain"}))

    def respond_slowly(self, delay: float) -> None:
        self.enqueue(ScriptedResponse(200, self.audio, {"Content-Type": "audio/mpeg"}, delay=delay))

    def _next_scripted(self) -> ScriptedResponse | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def answer(self, request: RecordedRequest) -> ScriptedResponse:
        """What ElevenLabs would say to `request` (scripted answers first)."""
        json_headers = {"Content-Type": "application/json"}
        if request.path == VOICES_PATH and request.method == "GET":
            return self._voice_list(request)
        match = _PATH.match(request.path)
        if request.method != "POST" or match is None:
            return ScriptedResponse(404, b'{"detail":"Not Found"}', json_headers)
        if request.headers.get("xi-api-key") != self.api_key:
            return ScriptedResponse(
                401, error_body("invalid_api_key", "Invalid API key"), json_headers
            )
        scripted = self._next_scripted()
        if scripted is not None:
            return scripted
        if unquote(match["voice_id"]) not in self.voices:
            return ScriptedResponse(
                404,
                error_body("voice_not_found", "A voice with the voice_id was not found."),
                json_headers,
            )
        problems = self._validate(request)
        if problems:
            return ScriptedResponse(422, json.dumps({"detail": problems}).encode(), json_headers)
        text = request.json()["text"]
        return ScriptedResponse(
            200,
            self.audio,
            {"Content-Type": "audio/mpeg", "character-cost": str(len(text))},
        )

    def _voice_list(self, request: RecordedRequest) -> ScriptedResponse:
        """GET /v1/voices: never takes a scripted answer (those are for speech), but
        `voice_list_status` makes it fail (500: the provider is down)."""
        json_headers = {"Content-Type": "application/json"}
        if request.headers.get("xi-api-key") != self.api_key:
            return ScriptedResponse(
                401, error_body("invalid_api_key", "Invalid API key"), json_headers
            )
        if self.voice_list_status != 200:
            return ScriptedResponse(self.voice_list_status, b"Service Unavailable")
        body = {"voices": [voice_entry(v) for v in sorted(self.voices)]}
        return ScriptedResponse(200, json.dumps(body).encode(), json_headers)

    def _validate(self, request: RecordedRequest) -> list[dict[str, Any]]:
        problems: list[dict[str, Any]] = []

        def problem(loc: list[str], msg: str) -> None:
            problems.append({"type": "value_error", "loc": loc, "msg": msg})

        formats = request.query.get("output_format", [])
        if len(formats) != 1 or formats[0] not in OUTPUT_FORMATS:
            problem(["query", "output_format"], "Input should be a known output format")
        if not request.headers.get("content-type", "").startswith("application/json"):
            problem(["header", "content-type"], "Expected application/json")
        try:
            body = request.json()
        except ValueError:
            problem(["body"], "JSON decode error")
            return problems
        if not isinstance(body, dict):
            problem(["body"], "Input should be an object")
            return problems
        text = body.get("text")
        if not isinstance(text, str) or not text:
            problem(["body", "text"], "String should have at least 1 character")
        if not isinstance(body.get("model_id"), str):
            problem(["body", "model_id"], "Input should be a valid string")
        settings = body.get("voice_settings")
        if settings is not None:
            if not isinstance(settings, dict):
                problem(["body", "voice_settings"], "Input should be an object")
            else:
                for key in ("stability", "similarity_boost"):
                    value = settings.get(key)
                    if not isinstance(value, int | float) or not 0 <= value <= 1:
                        problem(["body", "voice_settings", key], "Input should be in [0, 1]")
        return problems

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = RecordedRequest(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                fake._record(request)
                response = fake.answer(request)
                if response.delay and fake._released.wait(response.delay):
                    return
                try:
                    self.send_response(response.status, HTTPStatus(response.status).phrase)
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def elevenlabs_server() -> Iterator[FakeElevenLabs]:
    server = FakeElevenLabs()
    server.start()
    try:
        yield server
    finally:
        server.stop()
