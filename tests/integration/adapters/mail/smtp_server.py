"""A real SMTP server (aiosmtpd) on a free local port that records what it receives,
for the tests of the SMTP mailer and of account mail delivery."""

from __future__ import annotations

from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


class Recorder:
    """The server's handler: keeps every message; refuses recipients with `rcpt_reply`."""

    def __init__(self, rcpt_reply: str | None = None) -> None:
        self.rcpt_reply = rcpt_reply
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def start(handler: Recorder) -> tuple[Controller, int]:
    """A started server on 127.0.0.1 and its port; the caller stops the controller."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port
