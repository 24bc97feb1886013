"""Fixtures for the sandbox tests: tweepy 4.17 Clients pointed at the `sandbox` fixture (user
context, app-only, raw-response), and the recorded X API samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import tweepy

from bot.sandbox import Sandbox
from tests.conftest import redirect_client

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "x-api" / "samples"


def make_client(
    sb: Sandbox, *, raw: bool = False, timeout: float | None = None, **overrides: Any
) -> tweepy.Client:
    c = sb.credentials
    kwargs: dict[str, Any] = {
        "bearer_token": c["bearer_token"],
        "consumer_key": c["api_key"],
        "consumer_secret": c["api_secret"],
        "access_token": c["access_token"],
        "access_token_secret": c["access_token_secret"],
    }
    kwargs.update(overrides)
    if raw:
        kwargs["return_type"] = requests.Response
    return redirect_client(tweepy.Client(**kwargs), sb.base_url, timeout)


def admin_auth(sb: Sandbox) -> dict[str, str]:
    """The headers that open the sandbox's admin routes (/_sandbox/*)."""
    return {"Authorization": f"Bearer {sb.admin_token}"}


@pytest.fixture
def client(sandbox: Sandbox) -> tweepy.Client:
    return make_client(sandbox)


@pytest.fixture
def raw_client(sandbox: Sandbox) -> tweepy.Client:
    return make_client(sandbox, raw=True)


def sample(name_part: str) -> dict[str, Any]:
    """The recorded interaction whose file name contains `name_part` (tweepy's sync client)."""
    matches = sorted(SAMPLES.glob(f"test_client_{name_part}*.json"))
    if not matches:
        raise FileNotFoundError(f"no sample test_client_{name_part}* in {SAMPLES}")
    return json.loads(matches[0].read_text())  # type: ignore[no-any-return]


def key_paths(obj: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value: {'data[].id', 'meta.result_count', ...}."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            out |= key_paths(value, path)
    elif isinstance(obj, list):
        for item in obj:
            out |= key_paths(item, prefix + "[]")
    return out
