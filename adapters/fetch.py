"""Media downloads for batch imports (the core's `MediaFetcher` port), with aiohttp.

What may be fetched (a batch's rows are written by whoever sends the file, so a URL must not
reach into the machine's own networks):

- https only; plain http only to a host in `allow_hosts` (``TAPMARK_MEDIA_ALLOW_HOSTS``);
- the host is resolved here, and refused if any of its addresses is loopback, private,
  link-local, multicast, reserved, unspecified, shared (carrier NAT) or a cloud metadata
  address, unless the host is allowed by name. The connection then goes to the addresses that
  were checked (the connector's resolver is this check), so no second lookup can be rebound
  to another address;
- redirects are followed by hand, at most `MAX_REDIRECTS`, each hop checked the same way;
- the body is read up to the byte cap (the declared length is checked first) and the whole
  download, redirects included, gets one time cap. No proxy from the environment is used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.config import Settings
from bot.media.images import MediaError

MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Awaitable[list[tuple[int, str]]]]
"""(host, port) to [(address family, address)]: the system's resolver unless a test gives one."""


def address_problem(address: Address) -> str | None:
    """Why a download may not go to `address`, if it may not."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return "a cloud metadata address"
    for test, name in (
        (address.is_loopback, "a loopback"),
        (address.is_link_local, "a link-local"),
        (address.is_multicast, "a multicast"),
        (address.is_unspecified, "an unspecified"),
        (address.is_reserved, "a reserved"),
        (address.is_private, "a private"),
    ):
        if test:
            return f"{name} address"
    if not address.is_global:
        return "not a public address"
    return None


async def system_resolve(host: str, port: int) -> list[tuple[int, str]]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [(family, str(sockaddr[0])) for family, _, _, _, sockaddr in infos]


class _CheckedResolver(AbstractResolver):
    """The connector's resolver: every address of a host checked, only those returned."""

    def __init__(self, fetcher: HttpsFetcher) -> None:
        self.fetcher = fetcher

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            found = await self.fetcher.resolve(host, port)
        except OSError as exc:
            raise MediaError(f"cannot find the host {host} ({exc.strerror or exc})") from None
        if not found:
            raise MediaError(f"cannot find the host {host}")
        if host.lower() not in self.fetcher.allow_hosts:
            for _, address in found:
                problem = address_problem(ipaddress.ip_address(address.split("%")[0]))
                if problem is not None:
                    raise MediaError(f"refused: {host} is {problem} ({address})")
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": fam,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for fam, address in found
        ]

    async def close(self) -> None:
        return None


class HttpsFetcher:
    """Downloads media named by URL; see the module's docstring for what it refuses."""

    def __init__(
        self, allow_hosts: frozenset[str] = frozenset(), resolve: Resolve | None = None
    ) -> None:
        self.allow_hosts = frozenset(h.lower() for h in allow_hosts)
        self.resolve = resolve or system_resolve

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpsFetcher:
        return cls(settings.allowed_media_hosts())

    async def fetch(self, url: str, *, max_bytes: int, seconds: float) -> bytes:
        try:
            async with asyncio.timeout(seconds):
                return await self._fetch(url, max_bytes)
        except TimeoutError:
            raise MediaError(f"the download took longer than {seconds:g} s") from None
        except aiohttp.ClientError as exc:
            raise MediaError(f"could not download ({_reason(exc)})") from None

    async def _fetch(self, url: str, max_bytes: int) -> bytes:
        connector = aiohttp.TCPConnector(resolver=_CheckedResolver(self), use_dns_cache=False)
        async with aiohttp.ClientSession(
            connector=connector, trust_env=False, auto_decompress=True
        ) as session:
            for _ in range(MAX_REDIRECTS + 1):
                self._check_url(url)
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in REDIRECTS and "Location" in response.headers:
                        url = urljoin(url, response.headers["Location"])
                        continue
                    if response.status != 200:
                        raise MediaError(f"HTTP {response.status} from {urlsplit(url).hostname}")
                    return await _body(response, max_bytes)
        raise MediaError(f"more than {MAX_REDIRECTS} redirects")

    def _check_url(self, url: str) -> None:
        """The scheme, and the address when the URL names one (a host name is checked when
        the connector resolves it)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host:
            raise MediaError("the URL names no host")
        allowed = host in self.allow_hosts
        if parts.scheme != "https" and not (allowed and parts.scheme == "http"):
            raise MediaError("only https URLs are downloaded")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return
        problem = None if allowed else address_problem(address)
        if problem is not None:
            raise MediaError(f"refused: {host} is {problem}")


async def _body(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    too_big = f"over {max_bytes >> 20} MB" if max_bytes >= 1 << 20 else f"over {max_bytes} bytes"
    if response.content_length is not None and response.content_length > max_bytes:
        raise MediaError(too_big)
    body = bytearray()
    async for chunk in response.content.iter_chunked(1 << 16):
        body += chunk
        if len(body) > max_bytes:
            raise MediaError(too_big)
    return bytes(body)


def _reason(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port}"
    return str(exc) or type(exc).__name__
