"""What a scan's user agent says, read with maintained packages rather than patterns of
our own: `user-agents` (on `ua-parser` and the regexes `ua-parser-builtins` ships) for
the device class, OS and browser, and `crawlerdetect`'s list of crawlers and link-preview
fetchers (Slack, WhatsApp, Facebook, X, iMessage...) for bots. Answers are remembered per
user agent: a code's visitors send few distinct ones."""

from __future__ import annotations

from functools import lru_cache

from crawlerdetect import CrawlerDetect

from voiceqr.domain.playback.events import Device


class PackagedUserAgentReader:
    def __init__(self, *, remembered: int = 10_000) -> None:
        self._crawlers = CrawlerDetect()
        self.describe = lru_cache(maxsize=remembered)(self._describe)

    def _describe(self, user_agent: str) -> Device:
        if not user_agent.strip():
            return Device(bot=True)  # browsers always say who they are
        # On first use (or the start's warm-up), not at import: its regexes load slowly.
        from user_agents import parse

        agent = parse(user_agent)
        bot = bool(agent.is_bot) or bool(self._crawlers.isCrawler(user_agent))
        device = (
            "tablet"
            if agent.is_tablet
            else "mobile"
            if agent.is_mobile
            else "desktop"
            if agent.is_pc
            else ""
        )
        return Device(
            bot=bot,
            device="" if bot else device,
            os=_named(agent.os.family, agent.os.version),
            browser=_named(agent.browser.family, agent.browser.version),
        )


def _named(family: str, version: tuple[object, ...]) -> str:
    if not family or family == "Other":
        return ""
    major = version[0] if version else None
    return f"{family} {major}" if isinstance(major, int) else family
