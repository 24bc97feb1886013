"""Simple v2 media upload (multipart and base64 JSON), then a post that attaches it."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest
import requests
import tweepy

from bot.sandbox import Sandbox
from tests.conftest import redirect_client

UPLOAD = "https://api.twitter.com/2/media/upload"


def png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff" * (width * 3) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def oauth(sb: Sandbox) -> object:
    c = sb.credentials
    return tweepy.OAuth1UserHandler(
        c["api_key"], c["api_secret"], c["access_token"], c["access_token_secret"]
    ).apply_auth()


def test_upload_then_post_with_media(sandbox: Sandbox, client: tweepy.Client) -> None:
    session = redirect_client(requests.Session(), sandbox.base_url)
    image = png()
    resp = session.post(
        UPLOAD,
        files={"media": ("chart.png", image, "image/png")},
        data={"media_category": "tweet_image"},
        auth=oauth(sandbox),
        timeout=5,
    )
    assert resp.status_code == 200
    data = resp.json()["data"]
    assert set(data) == {"id", "media_key", "size", "expires_after_secs"}
    assert data["size"] == len(image) and data["media_key"] == "3_" + data["id"]
    posted = client.create_tweet(text="Leaderboard", media_ids=[data["id"]])
    tweet = client.get_tweet(
        posted.data["id"], expansions=["attachments.media_keys"], tweet_fields=["attachments"]
    )
    assert tweet.data.attachments == {"media_keys": [data["media_key"]]}
    assert tweet.includes["media"][0].media_key == data["media_key"]
    assert sandbox.posted[-1]["media_ids"] == [data["id"]]


def test_upload_as_base64_json(sandbox: Sandbox) -> None:
    session = redirect_client(requests.Session(), sandbox.base_url)
    resp = session.post(
        UPLOAD,
        json={"media": base64.b64encode(png()).decode(), "media_category": "tweet_image"},
        auth=oauth(sandbox),
        timeout=5,
    )
    assert resp.status_code == 200 and resp.json()["data"]["id"]


def test_upload_errors(sandbox: Sandbox) -> None:
    session = redirect_client(requests.Session(), sandbox.base_url)
    no_category = session.post(
        UPLOAD, files={"media": ("a.png", png(), "image/png")}, auth=oauth(sandbox), timeout=5
    )
    assert no_category.status_code == 400
    assert no_category.json()["errors"][0]["parameters"] == {"media_category": []}
    not_image = session.post(
        UPLOAD,
        files={"media": ("a.txt", b"hello", "text/plain")},
        data={"media_category": "tweet_image"},
        auth=oauth(sandbox),
        timeout=5,
    )
    assert not_image.status_code == 400
    bearer = session.post(
        UPLOAD,
        files={"media": ("a.png", png(), "image/png")},
        data={"media_category": "tweet_image"},
        headers={"Authorization": "Bearer " + sandbox.credentials["bearer_token"]},
        timeout=5,
    )
    assert bearer.status_code == 403
    assert bearer.json()["type"].endswith("/unsupported-authentication")


def test_unknown_media_id_is_400(client: tweepy.Client) -> None:
    with pytest.raises(tweepy.BadRequest) as info:
        client.create_tweet(text="chart", media_ids=["123456"])
    assert info.value.response.json()["errors"][0] == {
        "parameters": {"media.media_ids": ["123456"]},
        "message": "Your media IDs are invalid.",
    }
