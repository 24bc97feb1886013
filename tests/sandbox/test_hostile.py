"""Hostile clients against a real sandbox on loopback: the admin token, body caps, bad
Content-Length, deep JSON, and half-open connections that must not block a normal request."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import pytest
import requests

from bot.clock import ManualClock
from bot.sandbox import Sandbox, World
from tests.sandbox.conftest import admin_auth, make_client
from tests.waiting import wait_until

ADMIN = [
    ("GET", "/_sandbox/state", None),
    ("GET", "/_sandbox/requests", None),
    ("POST", "/_sandbox/reset-log", None),
    ("GET", "/_sandbox/posted", None),
    ("GET", "/_sandbox/faults", None),
    ("POST", "/_sandbox/faults", {"kind": "server_error"}),
    ("DELETE", "/_sandbox/faults", None),
    ("DELETE", "/_sandbox/faults/1", None),
    ("POST", "/_sandbox/world", {"action": "post", "user": "contestbot", "text": "x"}),
    ("POST", "/_sandbox/late-indexing", {"seconds": 30}),
    ("POST", "/_sandbox/clock", {"advance": 3600}),
    ("GET", "/_sandbox/tweets/1", None),
]


def raw(sb: Sandbox, data: bytes, timeout: float = 5) -> bytes:
    """Send raw bytes; return everything the server answers before it closes."""
    with socket.create_connection((sb.host, sb._server.server_address[1]), timeout) as s:  # type: ignore[union-attr]
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
            if b"\r\n\r\n" in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                if len(rest) >= length:
                    break
        return out


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize(("method", "path", "body"), ADMIN)
def test_admin_routes_refuse_without_or_with_a_wrong_token(
    sandbox: Sandbox, clock: ManualClock, method: str, path: str, body: object
) -> None:
    before = clock.now()
    users = sandbox.world.summary()
    creds = sandbox.credentials
    assert sandbox.admin_token not in creds.values()
    for headers, code in [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 403),
        ({"Authorization": f"Bearer {creds['bearer_token']}"}, 403),  # X API creds never open it
    ]:
        r = requests.request(method, sandbox.base_url + path, json=body, headers=headers, timeout=5)
        assert r.status_code == code and "admin token" in r.json()["hint"]
    assert clock.now() == before and sandbox.faults.snapshot() == []
    assert sandbox.world.summary() == users and sandbox.world.index_delay != 30
    ok = requests.request(method, sandbox.base_url + path, headers=admin_auth(sandbox), timeout=5)
    assert ok.status_code not in (401, 403)
    query = requests.get(
        sandbox.base_url + "/_sandbox/state?token=" + sandbox.admin_token, timeout=5
    )
    assert query.status_code == 200


def test_body_caps_and_content_length(sandbox: Sandbox) -> None:
    head = b"POST /2/tweets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    big = raw(sandbox, head + b"Content-Length: 2000000\r\n\r\n")
    assert status(big) == 413 and b"Payload Too Large" in big
    for bad in (b"-1", b"abc", b"1e3", b" "):
        assert status(raw(sandbox, head + b"Content-Length: " + bad + b"\r\n\r\n")) == 400
    twice = head + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
    assert status(raw(sandbox, twice)) == 400


def test_short_body_then_stall_is_a_400(clock: ManualClock) -> None:
    with Sandbox(World(clock), clock=clock, request_timeout=0.3) as sb:
        start = time.monotonic()
        answer = raw(sb, b"POST /2/tweets HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert status(answer) == 400 and time.monotonic() - start < 3


def test_deep_json_and_bad_utf8_are_400(
    sandbox: Sandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    client = make_client(sandbox, raw=True)
    deep = b"[" * 100_000
    for body in (deep, b'{"text": "\xff\xfe"}', b"not json"):
        admin = requests.post(
            sandbox.base_url + "/_sandbox/world",
            data=body,
            headers=admin_auth(sandbox),
            timeout=5,
        )
        assert admin.status_code == 400
    # The API route: the body is parsed after OAuth, so sign the request with tweepy's session.
    for body in (deep, b'{"text": "\xff"}', b"[[["):
        resp = client.session.post(
            "https://api.twitter.com/2/tweets",
            data=body,
            headers={"Content-Type": "application/json"},
            auth=_oauth1(sandbox),
            timeout=5,
        )
        assert resp.status_code == 400, resp.text
        assert "errors" in resp.json() or resp.json().get("status") == 400
    err = capfd.readouterr().err
    assert "RecursionError" not in err and "Traceback" not in err


def _oauth1(sb: Sandbox) -> Any:
    from requests_oauthlib import OAuth1

    c = sb.credentials
    return OAuth1(c["api_key"], c["api_secret"], c["access_token"], c["access_token_secret"])


def _count_taken(server: Any) -> list[None]:
    """Note each connection the server takes off its listen backlog (given a handler slot, or
    refused), after it is handled as before: the returned list grows by one per connection."""
    taken: list[None] = []
    process_request = server.process_request

    def counted(request: Any, client_address: Any) -> None:
        process_request(request, client_address)
        taken.append(None)

    server.process_request = counted
    return taken


def test_half_open_connections_do_not_block_a_normal_client(clock: ManualClock) -> None:
    with Sandbox(World(clock), clock=clock, request_timeout=1.0, max_connections=16) as sb:
        server = sb._server
        assert server is not None
        port = server.server_address[1]
        client = make_client(sb, timeout=5)
        client.get_me()  # a keep-alive connection before the flood
        before = threading.active_count()
        taken = _count_taken(server)
        held = []
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", port), 2)
            s.sendall(b"GET /2/users/me HT")  # a partial request line, then silence
            held.append(s)
        wait_until(
            lambda: len(taken) == 50,
            timeout=5,
            what=lambda: f"the server to take all 50 half-open connections, took {len(taken)}",
        )
        start = time.monotonic()
        for _ in range(5):
            assert client.get_me().data.username == "contestbot"
        assert time.monotonic() - start < 2
        assert threading.active_count() <= before + 16 + 1
        for s in held:
            s.close()
        wait_until(
            lambda: server.open_connections <= 1,
            timeout=3,
            what=lambda: f"the closed connections to be let go, open: {server.open_connections}",
        )
        assert server.open_connections <= 1
        assert json.loads(json.dumps(sb.disconnects)) >= 0


def test_a_new_client_is_served_at_once_while_stalled_connections_fill_every_slot(
    clock: ManualClock,
) -> None:
    # More stalled connections than slots (request_timeout far away): the listen backlog takes
    # the burst, the server evicts the connection idle the longest, and a client arriving after
    # the flood on a fresh connection is answered without waiting for any timeout.
    with Sandbox(World(clock), clock=clock, request_timeout=30.0, max_connections=16) as sb:
        server = sb._server
        assert server is not None
        port = server.server_address[1]
        held: list[socket.socket] = []
        try:
            _flood_then_serve(sb, server, port, held)
        finally:
            for s in held:
                s.close()


def _flood_then_serve(sb: Sandbox, server: Any, port: int, held: list[socket.socket]) -> None:
    """Sixty stalled connections against sixteen slots, then one fresh client."""
    for i in range(60):
        s = socket.create_connection(("127.0.0.1", port), 2)
        if i % 2:
            s.sendall(b"GET /2/users/me HTTP/1.1\r\nHost: x\r\n")  # headers, never ended
        held.append(s)
    wait_until(  # a burst is taken at once, not 5 at a time
        lambda: server.open_connections >= 16,
        timeout=1.5,
        what=lambda: f"the burst to fill the 16 slots, open: {server.open_connections}",
    )
    assert server.open_connections == 16  # every slot taken by a stalled connection
    start = time.monotonic()
    fresh = make_client(sb, timeout=5)  # its own, new connection
    assert fresh.get_me().data.username == "contestbot"
    assert time.monotonic() - start < 1.0
    assert server.evicted >= 1
