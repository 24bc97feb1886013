"""Shared pieces of the posting tests: a config written as TOML and validated by the real parser,
a migrated store, a TweepyXClient on the sandbox, and a Poster wired to them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Config, parse_config
from bot.posting.poster import Poster
from bot.store import Store
from bot.x.tweepy_client import TweepyXClient


def config_of(text: str) -> Config:
    """The config `text` declares; posting is switched on (an empty `[posting]`) unless the text
    has its own section, since without one the bot posts nothing."""
    if "[posting]" not in text:
        text += "\n[posting]\n"
    if "[bot]" not in text:  # posting needs the bot's handle: its own posts never count
        text = '[bot]\nusername = "contestbot"\n' + text
    return parse_config(text, source="contestbot.toml")


def competition_toml(
    cid: str, start: datetime, end: datetime, *, hashtag: str = "Spring", bot: str = "contestbot"
) -> str:
    return f"""
[[competition]]
id = "{cid}"
title = "Spring photos"
hashtags = ["{hashtag}"]
start = "{start.isoformat()}"
end = "{end.isoformat()}"
accounts = ["{bot}"]

[[competition.categories]]
id = "most-liked"
kind = "likes"
title = "Most liked"
"""


_OPENED: list[Store] = []


def open_store(db_url: str) -> Store:
    """A migrated store, closed after the test by `close_stores` (PostgreSQL connections must not
    outlive it)."""
    store = Store(db_url)
    store.upgrade()
    _OPENED.append(store)
    return store


@pytest.fixture(autouse=True)
def close_stores() -> Iterator[None]:
    """Import into a test module to close every store it opened."""
    yield
    while _OPENED:
        _OPENED.pop().close()


def client_for(sandbox: Any) -> TweepyXClient:
    return TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url, timeout=5.0)


def poster_for(
    sandbox: Any, store: Store, clock: ManualClock, config: Config, **kwargs: Any
) -> Poster:
    return Poster(
        client_for(sandbox),
        store,
        clock,
        config=config,
        bot_user_id=sandbox.bot_user_id,
        bot_username=sandbox.bot_username,
        **kwargs,
    )


def creates(sandbox: Any) -> int:
    """POST /2/tweets requests the sandbox received (whatever their answer)."""
    return sum(1 for r in sandbox.requests if r.endpoint == "create")
