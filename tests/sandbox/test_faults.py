"""Every fault switch, observed from a tweepy Client (or plain requests for the admin route)."""

from __future__ import annotations

import socket
import struct
from datetime import timedelta

import pytest
import requests
import tweepy

from bot.clock import ManualClock
from bot.sandbox import Sandbox
from bot.sandbox.httpd import SandboxHTTPServer
from tests.sandbox.conftest import admin_auth, make_client
from tests.waiting import wait_until


def test_rate_limit_burst_then_reset(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    sandbox.faults.add("rate_limit", "search", count=1, reset_in=120)
    with pytest.raises(tweepy.TooManyRequests) as info:
        client.search_recent_tweets("x")
    assert info.value.reset_time == int(clock.now().timestamp()) + 120
    with pytest.raises(tweepy.TooManyRequests):  # the bucket stays empty until the reset
        client.search_recent_tweets("x")
    client.get_users_mentions(sandbox.bot_user_id)  # another endpoint is fine
    clock.advance(121)
    assert client.search_recent_tweets("x").meta == {"result_count": 0}


def test_usage_cap_body(sandbox: Sandbox, client: tweepy.Client) -> None:
    sandbox.faults.add("usage_cap")
    with pytest.raises(tweepy.TooManyRequests) as info:
        client.get_tweets(["1"])
    body = info.value.response.json()
    assert body["type"] == "https://api.twitter.com/2/problems/usage-capped"
    assert body["title"] == "UsageCapExceeded" and body["period"] == "Monthly"
    assert int(info.value.response.headers["x-rate-limit-remaining"]) > 0


def test_credits_depleted_is_a_plain_http_exception(
    sandbox: Sandbox, client: tweepy.Client
) -> None:
    sandbox.faults.add("credits", "create")
    with pytest.raises(tweepy.HTTPException) as info:
        client.create_tweet(text="hi")
    assert type(info.value) is tweepy.HTTPException
    assert info.value.response.status_code == 402
    assert info.value.response.json()["title"] == "CreditsDepleted"
    assert sandbox.posted == []


@pytest.mark.parametrize(("kind", "status"), [("server_error", 500), ("unavailable", 503)])
def test_server_errors(sandbox: Sandbox, client: tweepy.Client, kind: str, status: int) -> None:
    sandbox.faults.add(kind, "search", count=2)
    for _ in range(2):
        with pytest.raises(tweepy.TwitterServerError) as info:
            client.search_recent_tweets("x")
        assert info.value.response.status_code == status
    client.search_recent_tweets("x")  # the third call succeeds
    assert [r.fault for r in sandbox.requests] == [kind, kind, None]


def test_unauthorized_and_not_enrolled(sandbox: Sandbox, client: tweepy.Client) -> None:
    sandbox.faults.add("unauthorized", "me", count=1)
    sandbox.faults.add("not_enrolled", "search", count=1)
    with pytest.raises(tweepy.Unauthorized):
        client.get_me()
    with pytest.raises(tweepy.Forbidden) as info:
        client.search_recent_tweets("x")
    assert info.value.response.json()["reason"] == "client-not-enrolled"


def test_slow_response_beats_the_client_timeout(sandbox: Sandbox) -> None:
    sandbox.faults.add("slow", "search", count=1, delay=0.6)
    client = make_client(sandbox, timeout=0.2)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.search_recent_tweets("x")
    assert client.search_recent_tweets("x").meta == {"result_count": 0}


def test_dropped_connection(sandbox: Sandbox, client: tweepy.Client) -> None:
    sandbox.faults.add("drop", "tweets", count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.get_tweets(["1"])
    assert sandbox.requests[-1].status == 0
    assert client.get_tweets(["1"]).errors


def test_malformed_json(sandbox: Sandbox, client: tweepy.Client) -> None:
    sandbox.world.add_user("alice")
    tid = sandbox.world.post("alice", "hello")
    sandbox.faults.add("malformed", "tweet", count=1)
    with pytest.raises(requests.exceptions.JSONDecodeError):
        client.get_tweet(tid)
    assert client.get_tweet(tid).data.text == "hello"


def test_probability_is_seeded_and_reproducible(clock: ManualClock) -> None:
    from bot.sandbox import Faults

    def fired(seed: int) -> list[bool]:
        f = Faults(seed)
        f.add("unavailable", "search", probability=0.5)
        return [f.pick("search", clock.now()) is not None for _ in range(40)]

    assert fired(3) == fired(3)
    assert 5 < sum(fired(3)) < 35


def test_time_window(sandbox: Sandbox, client: tweepy.Client, clock: ManualClock) -> None:
    sandbox.faults.add(
        "unavailable",
        start=clock.now() + timedelta(minutes=1),
        end=clock.now() + timedelta(minutes=2),
    )
    client.search_recent_tweets("x")
    clock.advance(60)
    with pytest.raises(tweepy.TwitterServerError):
        client.search_recent_tweets("x")
    clock.advance(60)
    client.search_recent_tweets("x")


def test_faults_through_the_admin_route(sandbox: Sandbox, client: tweepy.Client) -> None:
    resp = requests.post(
        sandbox.base_url + "/_sandbox/faults",
        json={"kind": "unavailable", "endpoint": "mentions", "count": 1},
        headers=admin_auth(sandbox),
        timeout=5,
    )
    assert resp.status_code == 201 and resp.json()["fault"]["kind"] == "unavailable"
    with pytest.raises(tweepy.TwitterServerError):
        client.get_users_mentions(sandbox.bot_user_id)
    bad = requests.post(
        sandbox.base_url + "/_sandbox/faults",
        json={"kind": "meteor"},
        headers=admin_auth(sandbox),
        timeout=5,
    )
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]
    assert requests.delete(
        sandbox.base_url + "/_sandbox/faults", headers=admin_auth(sandbox), timeout=5
    ).json() == {
        "faults": [],
        "removed": 1,
    }


def test_clearing_faults_refills_the_bucket_a_burst_emptied(
    sandbox: Sandbox, client: tweepy.Client
) -> None:
    client.search_recent_tweets("x")  # the bucket exists: 449 of 450 left
    faults = sandbox.base_url + "/_sandbox/faults"
    requests.post(
        faults,
        json={"kind": "rate_limit", "endpoint": "search", "count": 1},
        headers=admin_auth(sandbox),
        timeout=5,
    )
    with pytest.raises(tweepy.TooManyRequests):
        client.search_recent_tweets("x")
    with pytest.raises(tweepy.TooManyRequests):  # drained: the fault's burst outlives its count
        client.search_recent_tweets("x")
    requests.delete(faults, headers=admin_auth(sandbox), timeout=5)
    raw = make_client(sandbox, raw=True).search_recent_tweets("x")
    assert raw.status_code == 200
    # 450 - the first call - the call the fault answered - this one; the refused call spent none
    assert raw.headers["x-rate-limit-remaining"] == "447"


def test_removing_one_fault_refills_only_when_no_other_burst_holds_the_bucket(
    sandbox: Sandbox, client: tweepy.Client
) -> None:
    first = sandbox.faults.add("rate_limit", "mentions", count=1)
    with pytest.raises(tweepy.TooManyRequests):
        client.get_users_mentions(sandbox.bot_user_id)
    sandbox.faults.add("rate_limit", "*", count=1)
    with pytest.raises(tweepy.TooManyRequests):  # fired by the catch-all fault
        client.search_recent_tweets("x")
    assert sandbox.faults.remove(first.id)
    client.get_users_mentions(sandbox.bot_user_id)  # refilled: a fresh bucket
    with pytest.raises(tweepy.TooManyRequests):
        client.search_recent_tweets("x")  # the other fault still holds this one
    sandbox.faults.clear()
    client.search_recent_tweets("x")


def _reset_connection(sock: socket.socket) -> None:
    """Close with an RST, as a killed process (or a timed-out client) leaves the connection."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _handling(server: SandboxHTTPServer) -> int:
    """Connections whose request the server has read the head of and is now handling (the
    server marks a connection busy, not idle, once `_handle` starts: body, dispatch, answer)."""
    with server._conn_lock:
        return sum(since is None for since in server._idle_since.values())


def test_killed_clients_are_counted_not_printed(
    sandbox: Sandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    server = sandbox._server
    assert server is not None
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    # 1: gone while the server reads the body it was promised
    sock = socket.create_connection((host, int(port)))
    sock.sendall(b"POST /2/tweets HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nabc")
    wait_until(lambda: _handling(server) == 1, what="the server to read the head, then the body")
    _reset_connection(sock)
    # 2: gone while the server waits to send a slow answer
    slow = sandbox.faults.add("slow", "search", count=1, delay=0.3)
    sock = socket.create_connection((host, int(port)))
    bearer = sandbox.credentials["bearer_token"]
    sock.sendall(
        b"GET /2/tweets/search/recent?query=x HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {bearer}\r\n\r\n".encode()
    )
    wait_until(lambda: slow.fired == 1, what="the slow fault to fire (the answer is delayed)")
    _reset_connection(sock)

    def state() -> dict[str, object]:
        return requests.get(  # type: ignore[no-any-return]
            sandbox.base_url + "/_sandbox/state", headers=admin_auth(sandbox), timeout=5
        ).json()

    wait_until(
        lambda: state()["disconnects"] == 2,
        timeout=5,
        interval=0.02,
        what=lambda: f"2 disconnects in /_sandbox/state, got {state()['disconnects']}",
    )
    assert state()["disconnects"] == 2
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ConnectionResetError" not in err
