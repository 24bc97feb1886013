"""Pages and `includes` in the X API v2 wire format: the `meta` of search, mentions and user
timelines (key order as recorded: CONTRACT.md §2-§3; `{"meta":{"result_count":0}}` when empty, no
`next_token` on the last page) and the de-duplicated `includes` built from `expansions`, with
partial errors (section "includes") for referenced tweets or mentioned users that are gone."""

from __future__ import annotations

from typing import Any

import bot.sandbox.params as P
from bot.sandbox.params import Fields
from bot.sandbox.wire import (
    not_authorized,
    not_found,
    referenced,
    render_media,
    render_tweet,
    render_user,
)
from bot.sandbox.world import TweetRec, World


def page_body(
    world: World,
    media_store: dict[str, dict[str, Any]],
    tweets: list[TweetRec],
    f: Fields,
    more: bool,
    previous: bool | None,
    kind: str,
    viewer_id: str | None,
) -> dict[str, Any]:
    if not tweets:
        return {"meta": {"result_count": 0}}
    body: dict[str, Any] = {"data": [render_tweet(t, f.tweet, world) for t in tweets]}
    includes, errors = includes_of(world, media_store, tweets, f, viewer_id)
    if includes:
        body["includes"] = includes
    if errors:
        body["errors"] = errors
    newest, oldest = tweets[0].id, tweets[-1].id
    nxt = P.encode_token("n", tweets[-1].num) if more else None
    prev = P.encode_token("p", tweets[0].num) if previous else None
    meta: dict[str, Any]
    if kind == "search":
        meta = {"newest_id": newest, "oldest_id": oldest, "result_count": len(tweets)}
        if nxt:
            meta["next_token"] = nxt
    elif kind == "mentions":
        meta = {"next_token": nxt} if nxt else {}
        meta.update({"result_count": len(tweets), "newest_id": newest, "oldest_id": oldest})
        if prev:
            meta["previous_token"] = prev
    else:
        meta = {"result_count": len(tweets), "newest_id": newest, "oldest_id": oldest}
        if nxt:
            meta["next_token"] = nxt
        if prev:
            meta["previous_token"] = prev
    body["meta"] = meta
    return body


def includes_of(
    world: World,
    media_store: dict[str, dict[str, Any]],
    tweets: list[TweetRec],
    f: Fields,
    viewer_id: str | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    exp = f.expansions
    if not exp:
        return {}, []
    users: dict[str, dict[str, Any]] = {}
    inc_tweets: dict[str, dict[str, Any]] = {}
    media: dict[str, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    primary = {t.id for t in tweets}

    def add_user(uid: str | None) -> None:
        if uid and uid not in users and uid in world.users:
            users[uid] = render_user(world.users[uid], f.user, world)

    def add_tweet(t: TweetRec) -> None:
        if t.id not in inc_tweets and t.id not in primary:
            inc_tweets[t.id] = render_tweet(t, f.tweet, world)

    for t in tweets:
        if "author_id" in exp:
            add_user(t.author_id)
        if "in_reply_to_user_id" in exp:
            add_user(t.in_reply_to_user_id)
        if "entities.mentions.username" in exp:
            for name in dict.fromkeys(m.lower() for m in t.mentions):
                u = world.find_user(name)
                if u is not None:
                    add_user(u.id)
                else:
                    errors.append(not_found("user", "entities.mentions.username", name, "includes"))
        if "referenced_tweets.id" in exp:
            for _, rid in referenced(t):
                r = world.get(rid)
                if r is None or r.deleted:
                    errors.append(not_found("tweet", "referenced_tweets.id", rid, "includes"))
                    continue
                ra = world.users[r.author_id]
                if ra.protected and ra.id != viewer_id:
                    errors.append(not_authorized("tweet", "referenced_tweets.id", rid, "includes"))
                    continue
                add_tweet(r)
                if "referenced_tweets.id.author_id" in exp:
                    add_user(r.author_id)
        if "edit_history_tweet_ids" in exp:
            for vid in t.chain:
                v = world.get(vid)
                if v is not None and vid != t.id:
                    add_tweet(v)
        if "attachments.media_keys" in exp:
            for key in t.media_keys:
                m = media_store.get(key.split("_", 1)[-1])
                if m is not None and key not in media:
                    media[key] = render_media(m, f.media)
    out: dict[str, Any] = {}
    if media:
        out["media"] = list(media.values())
    if users:
        out["users"] = list(users.values())
    if inc_tweets:
        out["tweets"] = list(inc_tweets.values())
    return out, errors
