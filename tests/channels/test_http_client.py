"""JsonPoster against real loopback servers: kept connections, framing, failures, TLS."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.channels.http_client import (
    JsonPoster,
    PlatformNetworkError,
    PlatformTimeout,
    wants_proxy,
)
from bot.channels.zalo_bot.client import ZaloBotClient, ZaloBotError
from bot.channels.zalo_oa.client import OAClient, ZaloApiError, ZaloUnavailable

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # False: close after


def ok(body: bytes, *, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


async def echo(body: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(ok(json.dumps({"ok": True, "got": json.loads(body)}).encode()))
    return True


@dataclass
class Server:
    """A scripted HTTP/1.1 server: counts connections and the requests it read."""

    answer: Answer = echo
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for item in lines:
                    if item:
                        name, _, value = item.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append((line, headers, body))
                keep = await self.answer(body, writer)
                await writer.drain()
                if not keep:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open_now -= 1
            writer.close()


@asynccontextmanager
async def serving(server: Server, tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=tls)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()


async def test_posts_json_and_keeps_the_connection() -> None:
    async with serving(Server()) as server:
        poster = JsonPoster(f"http://127.0.0.1:{server.port}/api/")
        first = await poster.post("/botT/sendMessage", {"chat_id": "1", "text": "Chào bà con"})
        second = await poster.post("/botT/sendMessage", {"chat_id": "2", "text": "x"})
        await poster.aclose()
    assert first.status == 200
    assert first.is_success
    assert first.json() == {"ok": True, "got": {"chat_id": "1", "text": "Chào bà con"}}
    assert second.json()["got"]["chat_id"] == "2"
    assert server.connections == 1  # kept, not reopened
    line, headers, body = server.requests[0]
    assert line == "POST /api/botT/sendMessage HTTP/1.1"
    assert headers["host"] == f"127.0.0.1:{server.port}"
    assert headers["content-type"] == "application/json"
    assert body.decode() == '{"chat_id":"1","text":"Chào bà con"}'  # UTF-8, compact


async def test_chunked_and_unframed_answers_are_read_whole() -> None:
    async def chunked(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'5\r\n{"ok"\r\n6\r\n: true\r\n1\r\n}\r\n0\r\n\r\n'
        )
        return True

    async def unframed(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"ok": 1}')
        return False

    async with serving(Server(chunked)) as server:
        poster = JsonPoster(f"http://127.0.0.1:{server.port}")
        assert (await poster.post("/m", {})).json() == {"ok": True}
        assert (await poster.post("/m", {})).json() == {"ok": True}
        assert server.connections == 1
    async with serving(Server(unframed)) as server:
        poster = JsonPoster(f"http://127.0.0.1:{server.port}")
        assert (await poster.post("/m", {})).json() == {"ok": 1}
        assert (await poster.post("/m", {})).json() == {"ok": 1}
        assert server.connections == 2  # the answer ended with its connection


async def test_a_kept_connection_closed_by_the_server_is_replaced_once() -> None:
    async def answer_then_close(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok(b'{"ok": true}'))  # says nothing of closing: kept by the client
        return False

    async with serving(Server(answer_then_close)) as server:
        poster = JsonPoster(f"http://127.0.0.1:{server.port}")
        await poster.post("/m", {"n": 1})
        await asyncio.sleep(0.05)  # the close reaches the client while the connection idles
        assert (await poster.post("/m", {"n": 2})).json() == {"ok": True}
    assert [json.loads(body)["n"] for _, _, body in server.requests] == [1, 2]  # once each
    assert server.connections == 2


async def test_a_request_the_server_dropped_unanswered_on_a_kept_connection_is_sent_again() -> (
    None
):
    served: list[int] = []

    async def drop_the_second(body: bytes, writer: asyncio.StreamWriter) -> bool:
        served.append(id(writer))
        if served.count(id(writer)) == 2:
            return False  # closed (an idle timeout racing the request): not a byte back
        return await echo(body, writer)

    async with serving(Server(drop_the_second)) as server:
        poster = JsonPoster(f"http://127.0.0.1:{server.port}")
        await poster.post("/m", {"n": 1})
        assert (await poster.post("/m", {"n": 2})).json()["got"] == {"n": 2}
    assert server.connections == 2


async def test_an_answer_broken_midway_is_an_error_and_not_sent_again() -> None:
    async def half(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"ok"')
        return False

    async with serving(Server(half)) as server:
        poster = JsonPoster(f"http://127.0.0.1:{server.port}")
        with pytest.raises(PlatformNetworkError):
            await poster.post("/m", {})
    assert len(server.requests) == 1


async def test_garbage_and_oversized_answers_are_network_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def garbage(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
        return True

    async def big(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok(b"[" + b"0," * 600 + b"0]"))
        return True

    async with serving(Server(garbage)) as server:
        with pytest.raises(PlatformNetworkError, match="not an HTTP answer"):
            await JsonPoster(f"http://127.0.0.1:{server.port}").post("/m", {})
    monkeypatch.setattr("bot.channels.http_client.MAX_BODY_BYTES", 1000)
    async with serving(Server(big)) as server:
        with pytest.raises(PlatformNetworkError, match="too large"):
            await JsonPoster(f"http://127.0.0.1:{server.port}").post("/m", {})


async def test_no_answer_times_out_and_the_connection_is_dropped() -> None:
    calls = 0

    async def slow_first(body: bytes, writer: asyncio.StreamWriter) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(0.5)
        writer.write(ok(b'{"ok": true}'))
        return True

    async with serving(Server(slow_first)) as server:
        poster = JsonPoster(f"http://127.0.0.1:{server.port}", timeout=5.0)
        started = asyncio.get_running_loop().time()
        with pytest.raises(PlatformTimeout):
            await poster.post("/m", {}, timeout=0.1)
        assert asyncio.get_running_loop().time() - started < 0.4
        assert (await poster.post("/m", {})).json() == {"ok": True}
        assert server.connections == 2  # the late answer cannot be taken for the next one
        await asyncio.sleep(0.6)
        assert server.open_now == 1  # the timed-out connection was closed, not leaked


async def test_concurrent_posts_stay_within_the_connection_limit() -> None:
    async def slowly(body: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.02)
        return await echo(body, writer)

    async with serving(Server(slowly)) as server:
        poster = JsonPoster(f"http://127.0.0.1:{server.port}", max_connections=3)
        answers = await asyncio.gather(*(poster.post("/m", {"n": n}) for n in range(12)))
        await poster.aclose()
    assert [a.json()["got"]["n"] for a in answers] == list(range(12))  # each its own answer
    assert server.most_open <= 3
    assert server.connections == 3


async def test_refused_connection_is_a_network_error() -> None:
    async with serving(Server()) as server:
        port = server.port
    with pytest.raises(PlatformNetworkError, match="cannot connect"):
        await JsonPoster(f"http://127.0.0.1:{port}").post("/m", {})


def test_urls_that_could_break_the_request_line_are_refused() -> None:
    for bad in ("ftp://host", "http://", "http://h/a b", "http://h/x?q=1", "http://h/\r\nX: y"):
        with pytest.raises(ValueError, match="base URL"):
            JsonPoster(bad)
    with pytest.raises(ValueError, match="token"):
        ZaloBotClient("12:ab cd")
    with pytest.raises(ValueError, match="token"):
        ZaloBotClient("12:ab/../x")


async def test_unsafe_paths_are_refused_before_anything_is_sent() -> None:
    async with serving(Server()) as server:
        poster = JsonPoster(f"http://127.0.0.1:{server.port}")
        for bad in ("m", "/m\r\nHost: evil", "/a b"):
            with pytest.raises(ValueError, match="path"):
                await poster.post(bad, {})
    assert server.requests == []


def test_a_proxy_in_the_environment_is_noticed() -> None:
    assert not wants_proxy({})
    assert wants_proxy({"HTTPS_PROXY": "http://proxy:3128"})
    assert wants_proxy({"all_proxy": "socks5://proxy"})
    assert not wants_proxy({"HTTPS_PROXY": ""})


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for "localhost" (openssl comes with PostgreSQL's packages)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_tls_is_verified(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    async with serving(Server(), served) as server:
        poster = JsonPoster(f"https://localhost:{server.port}", ssl_context=trusting)
        assert (await poster.post("/m", {"a": 1})).json()["got"] == {"a": 1}
        assert (await poster.post("/m", {"a": 2})).json()["got"] == {"a": 2}
        await poster.aclose()
        assert server.connections == 1
        with pytest.raises(PlatformNetworkError):  # certifi's authorities do not know it
            await JsonPoster(f"https://localhost:{server.port}").post("/m", {})


async def test_zalo_bot_client_reads_refusals_through_it() -> None:
    async def limited(body: bytes, writer: asyncio.StreamWriter) -> bool:
        answer = b'{"ok": false, "error_code": 429, "description": "Too many"}'
        writer.write(
            ok(answer, extra=b"Retry-After: 7\r\n").replace(b"200 OK", b"429 Too Many Requests")
        )
        return True

    async with serving(Server(limited)) as server:
        client = ZaloBotClient("12:abc", base_url=f"http://127.0.0.1:{server.port}")
        with pytest.raises(ZaloBotError) as refused:
            await client.send_message("chat", "Xin chào")
        await client.aclose()
    assert refused.value.code == 429
    assert refused.value.retry_after == 7.0
    assert server.requests[0][0] == "POST /bot12:abc/sendMessage HTTP/1.1"
    assert server.requests[0][1]["user-agent"] == "trolyso"  # JsonPoster's, not httpx's


async def test_zalo_oa_messages_go_through_it_with_the_access_token_header() -> None:
    answers = iter(
        [
            b'{"error": 0, "message": "Success", "data": {"message_id": "m-9"}}',
            b'{"error": -230, "message": "User has not interacted with the OA"}',
        ]
    )

    async def oa(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok(next(answers, b"{}")))
        return True

    async def busy(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok(b"{}", extra=b"Retry-After: 30\r\n").replace(b"200 OK", b"429 Slow"))
        return True

    async with serving(Server(oa)) as server:
        client = OAClient("app", "secret", api_base=f"http://127.0.0.1:{server.port}")
        sent = await client.send_cs_message("tok-1", "u-1", {"text": "Chào bác"})
        with pytest.raises(ZaloApiError) as refused:
            await client.send_cs_message("tok-1", "u-2", {"text": "x"})
        with pytest.raises(ValueError, match="header"):
            await client.send_cs_message("tok\r\nX-Evil: 1", "u-3", {"text": "x"})
        await client.aclose()
    assert sent == "m-9"
    assert refused.value.code == -230
    line, headers, body = server.requests[0]
    assert line == "POST /v3.0/oa/message/cs HTTP/1.1"
    assert headers["access_token"] == "tok-1"
    assert headers["user-agent"] == "trolyso"  # JsonPoster's, not httpx's
    assert json.loads(body) == {"recipient": {"user_id": "u-1"}, "message": {"text": "Chào bác"}}
    assert len(server.requests) == 2  # the bad header was refused before anything was sent
    assert server.connections == 1
    async with serving(Server(busy)) as server:
        client = OAClient("app", "secret", api_base=f"http://127.0.0.1:{server.port}")
        with pytest.raises(ZaloUnavailable) as later:
            await client.send_cs_message("tok-1", "u-1", {"text": "x"})
        await client.aclose()
    assert later.value.retry_after == 30.0
