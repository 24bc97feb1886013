"""The sandbox's write endpoints: POST /2/tweets, DELETE /2/tweets/:id and POST /2/media/upload.

Posting enforces what the real API enforces for a self-serve account, each behind a `Rules`
switch: the 280 weighted-character limit (400), duplicate content by the same author (403), and
the 2026 reply restriction (403 unless the author of the replied-to post mentioned the bot or
quoted one of its posts). Every accepted post is recorded in `posted` for tests and the admin
routes. Media uploads accept multipart or base64 JSON images and return the v2 body of §12.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import itertools
import json
import threading
from datetime import timedelta
from typing import Any

from bot.core.snowflake import make_snowflake
from bot.sandbox.api import Request, Result, Rules
from bot.sandbox.entities import weighted_length
from bot.sandbox.params import ApiError, invalid, path_id
from bot.sandbox.wire import problem, ts
from bot.sandbox.world import World

TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text "
    "length see https://github.com/twitter/twitter-text."
)
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
REPLY_RESTRICTED = (
    "Reply to this conversation is not allowed because you have not been "
    "mentioned or otherwise engaged by the author of the post you are replying to."
)
REPLY_GONE = "You attempted to reply to a Tweet that is deleted or not visible to you."
QUOTE_GONE = "You attempted to quote a Tweet that is deleted or not visible to you."
MAX_MEDIA_BYTES = 5 * 1024 * 1024
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class Writes:
    def __init__(self, world: World, rules: Rules, media: dict[str, dict[str, Any]]) -> None:
        self.world = world
        self.rules = rules
        self.media = media
        self.posted: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._media_seq = itertools.count(1)

    def create(self, req: Request) -> Result:
        try:
            payload = json.loads(req.body or b"{}")
        except ValueError:
            raise ApiError(400, invalid([("", [], "Request body is not valid JSON")])) from None
        if not isinstance(payload, dict):
            raise ApiError(400, invalid([("", [], "Request body must be a JSON object")]))
        text = payload.get("text")
        media_ids = [str(m) for m in (payload.get("media") or {}).get("media_ids", [])]
        reply_to = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
        quote_of = payload.get("quote_tweet_id")
        edit_of = (payload.get("edit_options") or {}).get("previous_post_id")
        if not isinstance(text, str) and not media_ids:
            raise ApiError(400, invalid([("text", [], "$.text: is missing but it is required")]))
        text = text if isinstance(text, str) else ""
        world, me = self.world, str(req.user_id)
        with world.lock:
            bad = [m for m in media_ids if m not in self.media or self.media[m]["owner"] != me]
            if bad or len(media_ids) > 4:
                raise ApiError(
                    400,
                    invalid([("media.media_ids", bad or media_ids, "Your media IDs are invalid.")]),
                )
            if self.rules.enforce_length and weighted_length(text) > 280:
                raise ApiError(400, problem(400, "Bad Request", TOO_LONG))
            if reply_to is not None:
                self._check_reply(str(reply_to), me, req)
            if quote_of is not None:
                q = world.get(str(quote_of))
                if q is None or q.deleted or world.users[q.author_id].protected:
                    raise ApiError(403, problem(403, "Forbidden", QUOTE_GONE))
            if self.rules.enforce_duplicates and text and world.has_live_text(me, text):
                raise ApiError(403, problem(403, "Forbidden", DUPLICATE))
            keys = tuple(self.media[m]["media_key"] for m in media_ids)
            username = world.users[me].username
            if edit_of is not None:
                tid = self._edit(str(edit_of), me, text, req)
            else:
                tid = world.post(
                    username,
                    text,
                    at=req.now,
                    reply_to=str(reply_to) if reply_to is not None else None,
                    quote_of=str(quote_of) if quote_of is not None else None,
                    media_keys=keys,
                )
            t = world.tweets[int(tid)]
            record = {
                "id": tid,
                "text": text,
                "created_at": ts(t.created_at),
                "in_reply_to_tweet_id": t.in_reply_to_tweet_id,
                "quote_tweet_id": t.quote_of,
                "media_ids": media_ids,
                "edit_history_tweet_ids": list(t.chain),
            }
            with self._lock:
                self.posted.append(record)
            data = {"edit_history_tweet_ids": list(t.chain), "id": tid, "text": text}
            return Result(
                201, {"data": data}, {"location": f"https://api.twitter.com/2/tweets/{tid}"}
            )

    def _check_reply(self, reply_to: str, me: str, req: Request) -> None:
        world = self.world
        parent = world.get(reply_to)
        if parent is None or parent.deleted or parent.created_at > req.now:
            raise ApiError(403, problem(403, "Forbidden", REPLY_GONE))
        author = world.users[parent.author_id]
        if author.protected and author.id != me:
            raise ApiError(403, problem(403, "Forbidden", REPLY_GONE))
        if not self.rules.reply_restriction or parent.author_id == me:
            return
        bot = world.users[me].username.lower()
        if bot in (m.lower() for m in parent.mentions):
            return
        quoted = world.get(parent.quote_of)
        if quoted is not None and quoted.author_id == me:
            return
        raise ApiError(403, problem(403, "Forbidden", REPLY_RESTRICTED))

    def _edit(self, previous: str, me: str, text: str, req: Request) -> str:
        old = self.world.get(previous)
        if old is None or old.deleted or old.author_id != me:
            raise ApiError(
                403, problem(403, "Forbidden", "You are not allowed to edit this Tweet.")
            )
        first = self.world.tweets[int(old.chain[0])]
        if (
            not old.is_latest
            or len(old.chain) > 5
            or req.now > first.created_at + timedelta(hours=1)
        ):
            raise ApiError(403, problem(403, "Forbidden", "This Tweet is no longer editable."))
        return self.world.edit(previous, text, at=req.now)

    def delete(self, req: Request, tweet_id: str) -> Result:
        path_id(tweet_id)
        with self.world.lock:
            t = self.world.get(tweet_id)
            if t is None or t.deleted:
                return Result(200, {"data": {"deleted": False}})
            if t.author_id != req.user_id:
                raise ApiError(
                    403, problem(403, "Forbidden", "You are not allowed to delete this Tweet.")
                )
            self.world.delete(tweet_id)
            return Result(200, {"data": {"deleted": True}})

    # ------------------------------------------------------------------ media
    def upload(self, req: Request) -> Result:
        fields = self._form(req)
        if "command" in fields:
            raise ApiError(
                400,
                invalid(
                    [
                        (
                            "command",
                            [str(fields["command"])],
                            "The sandbox supports the simple upload only (no `command`)",
                        )
                    ]
                ),
            )
        data = fields.get("media")
        raw_category = fields.get("media_category")
        category = raw_category.decode() if isinstance(raw_category, bytes) else raw_category
        errs: list[tuple[str, list[str], str]] = []
        if not isinstance(data, bytes) or not data:
            errs.append(("media", [], "The `media` field can not be empty"))
        if not category:
            errs.append(("media_category", [], "The `media_category` field can not be empty"))
        elif category not in ("tweet_image", "tweet_gif", "dm_image", "subtitles"):
            errs.append(
                (
                    "media_category",
                    [str(category)],
                    f"The `media_category` value "
                    f"[{category}] is not one of [tweet_image,tweet_gif,dm_image,subtitles]",
                )
            )
        if errs:
            raise ApiError(400, invalid(errs))
        assert isinstance(data, bytes)
        kind = next((mime for magic, mime in MAGIC if data.startswith(magic)), None)
        if kind is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            kind = "image/webp"
        if kind is None:
            raise ApiError(
                400,
                invalid(
                    [
                        (
                            "media",
                            [],
                            "The media type is not supported; send a JPEG, PNG, GIF or WEBP image",
                        )
                    ]
                ),
            )
        if len(data) > MAX_MEDIA_BYTES:
            raise ApiError(
                400,
                invalid(
                    [
                        (
                            "media",
                            [],
                            f"The image is {len(data)} bytes; the limit is {MAX_MEDIA_BYTES} bytes",
                        )
                    ]
                ),
            )
        mid = make_snowflake(req.now, next(self._media_seq) & 0xFFF, 2)
        w, h = _png_size(data) if kind == "image/png" else (0, 0)
        with self._lock:
            self.media[mid] = {
                "media_key": f"3_{mid}",
                "owner": str(req.user_id),
                "type": kind,
                "size": len(data),
                "width": w,
                "height": h,
                "url": f"https://pbs.twimg.com/media/sandbox{mid}.png",
            }
        return Result(
            200,
            {
                "data": {
                    "id": mid,
                    "media_key": f"3_{mid}",
                    "size": len(data),
                    "expires_after_secs": 86400,
                }
            },
        )

    @staticmethod
    def _form(req: Request) -> dict[str, bytes | str]:
        ctype = req.content_type
        if ctype.startswith("application/json"):
            try:
                payload = json.loads(req.body)
                raw = base64.b64decode(payload.get("media", ""), validate=True)
            except (ValueError, binascii.Error, AttributeError):
                raise ApiError(
                    400,
                    invalid([("media", [], "The `media` field must be base64 in a JSON object")]),
                ) from None
            out: dict[str, bytes | str] = {k: str(v) for k, v in payload.items() if k != "media"}
            out["media"] = raw
            return out
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + req.body
            )
            out = {}
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if not isinstance(name, str):
                    continue
                payload_bytes = part.get_payload(decode=True)
                if not isinstance(payload_bytes, bytes):
                    continue
                out[name] = payload_bytes if name == "media" else payload_bytes.decode()
            return out
        raise ApiError(
            400,
            invalid(
                [
                    (
                        "",
                        [],
                        "Send multipart/form-data (media, media_category) "
                        "or application/json with base64 `media`",
                    )
                ]
            ),
        )


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 0, 0
