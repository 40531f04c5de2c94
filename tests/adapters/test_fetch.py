"""Media downloads (`adapters.fetch`) against a real web server on loopback: what is refused
before any connection (internal addresses by IP or by name, plain http, metadata addresses),
redirects checked hop by hop, the byte and time caps, and the connection going to the address
that was checked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from adapters.fetch import HttpsFetcher
from bot.media.images import MediaError

BODY = b"a picture, or as good as one" * 10
MB = 1 << 20


@pytest.fixture
async def server() -> AsyncIterator[int]:
    """A loopback server: a file, redirects (to itself, to another name, in a loop), a big
    body with and without its length, a slow answer, a 404. Yields its port."""
    port = 0

    async def serve(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name == "p.jpg":
            return web.Response(body=BODY)
        if name == "to-p":
            raise web.HTTPFound("/p.jpg")
        if name == "to-localhost":
            raise web.HTTPFound(f"https://localhost:{port}/p.jpg")
        if name == "to-http-name":
            raise web.HTTPFound(f"http://localhost:{port}/p.jpg")
        if name == "loop":
            raise web.HTTPFound("/loop")
        if name == "big":
            return web.Response(body=b"x" * 5000)
        if name == "big-chunked":
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(10):
                await response.write(b"x" * 500)
            await response.write_eof()
            return response
        if name == "slow":
            await asyncio.sleep(5)
            return web.Response(body=BODY)
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/{name}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield port
    await runner.cleanup()


LOCAL = HttpsFetcher(frozenset({"127.0.0.1"}))


async def fetch(fetcher: HttpsFetcher, url: str, max_bytes: int = MB, seconds: float = 10) -> bytes:
    return await fetcher.fetch(url, max_bytes=max_bytes, seconds=seconds)


async def refused(fetcher: HttpsFetcher, url: str, **caps: float) -> str:
    with pytest.raises(MediaError) as caught:
        await fetch(fetcher, url, **caps)  # type: ignore[arg-type]
    return str(caught.value)


async def test_an_allowed_host_is_downloaded_following_its_own_redirects(server: int) -> None:
    assert await fetch(LOCAL, f"http://127.0.0.1:{server}/p.jpg") == BODY
    assert await fetch(LOCAL, f"http://127.0.0.1:{server}/to-p") == BODY
    assert "HTTP 404" in await refused(LOCAL, f"http://127.0.0.1:{server}/nope")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1:{port}/p.jpg", "refused: 127.0.0.1 is a loopback address"),
        ("https://localhost:{port}/p.jpg", "refused: localhost is a loopback address"),
        ("https://[::ffff:127.0.0.1]:{port}/p.jpg", "is a loopback address"),
        ("https://10.1.2.3/p.jpg", "refused: 10.1.2.3 is a private address"),
        ("https://192.168.0.1/p.jpg", "is a private address"),
        ("https://169.254.169.254/latest/meta-data/", "is a cloud metadata address"),
        ("https://[fd00:ec2::254]/latest/", "is a cloud metadata address"),
        ("https://169.254.10.10/x", "is a link-local address"),
        ("https://0.0.0.0:{port}/p.jpg", "is an unspecified address"),
        ("https://240.0.0.1/x", "is a reserved address"),
        ("https://224.0.0.1/x", "is a multicast address"),
        ("https://100.64.0.1/x", "not a public address"),
        ("http://127.0.0.1:{port}/p.jpg", "only https URLs are downloaded"),
        ("http://example.org/p.jpg", "only https URLs are downloaded"),
        ("ftp://example.org/p.jpg", "only https URLs are downloaded"),
    ],
)
async def test_internal_addresses_and_plain_http_are_refused_before_connecting(
    server: int, url: str, reason: str
) -> None:
    assert reason in await refused(HttpsFetcher(), url.format(port=server))


async def test_every_redirect_hop_is_checked(server: int) -> None:
    to_name = await refused(LOCAL, f"http://127.0.0.1:{server}/to-localhost")
    assert "refused: localhost is a loopback address" in to_name
    assert "only https" in await refused(LOCAL, f"http://127.0.0.1:{server}/to-http-name")
    assert "more than 5 redirects" in await refused(LOCAL, f"http://127.0.0.1:{server}/loop")


async def test_bytes_and_time_are_capped(server: int) -> None:
    base = f"http://127.0.0.1:{server}"
    assert "over 1000 bytes" in await refused(LOCAL, f"{base}/big", max_bytes=1000)
    assert "over 1000 bytes" in await refused(LOCAL, f"{base}/big-chunked", max_bytes=1000)
    assert len(await fetch(LOCAL, f"{base}/big-chunked", max_bytes=5000)) == 5000
    assert "took longer than 0.3 s" in await refused(LOCAL, f"{base}/slow", seconds=0.3)


async def test_the_connection_goes_to_the_address_that_was_checked(server: int) -> None:
    """The host names below exist only in the test's resolver: a download that works went to
    the address it returned, with no lookup of its own; a name with any internal address among
    its answers is refused, even when another of them is public."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[tuple[int, str]]:
        asked.append(host)
        answers = {"files.test": ["127.0.0.1"], "mixed.test": ["93.184.216.34", "127.0.0.1"]}
        return [(2, a) for a in answers.get(host, [])]

    named = HttpsFetcher(frozenset({"files.test"}), resolve=resolve)
    assert await fetch(named, f"http://files.test:{server}/p.jpg") == BODY
    assert asked == ["files.test"]
    mixed = await refused(named, f"https://mixed.test:{server}/p.jpg")
    assert "refused: mixed.test is a loopback address (127.0.0.1)" in mixed
    assert "cannot find the host nowhere.test" in await refused(named, "https://nowhere.test/x")
