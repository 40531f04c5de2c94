"""The page's aiohttp application: the static page, a JSON API and the pictures.

Routes, under the path of ``TAPMARK_WEB_URL`` (``/`` here):

- ``GET /``: the page; ``GET /static/<file>``: its script and style;
- ``GET /api/task?lease=<token>``: the lease's task;
- ``POST /api/submit`` ``{"lease", "answer"}``, ``/api/skip`` ``{"lease"}``,
  ``/api/report`` ``{"lease", "reason"}``: then the next task, in place;
- ``GET /media/<token>``: a picture, by its signed, expiring address.

Every API call carries ``Authorization: tma <initData>`` (inside Telegram) or
``Authorization: Link <token>`` (Slack, the console). A refusal changes nothing and answers
``{"error": "<words for the person>", "kind": ...}`` with 400/401/403/404/409/410/422.
A task for a link session carries a fresh link token for its lease (``"link"``).
"""

from __future__ import annotations

import html
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from adapters.web.auth import AuthError, LinkSigner, check_init_data
from adapters.web.port import NoTask, PagePort, PageTask, Person, Refusal
from adapters.web.settings import WebSettings

STATIC_FILES: dict[str, str] = {
    "page.js": "text/javascript",
    "tools.js": "text/javascript",
    "page.css": "text/css",
}
REFUSAL_STATUS = {"expired": 410, "not_yours": 403, "invalid": 422, "unknown": 404, "gone": 409}
MAX_REASON = 500

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def content_security_policy(settings: WebSettings) -> str:
    """No inline script, no eval; everything from this server except telegram-web-app.js;
    framed only by Telegram's web clients."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {settings.telegram_origin}",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org",
        ]
    )


def mini_app_url(settings: WebSettings, lease: str) -> str:
    """The address of a Telegram card's ``web_app`` button for `lease`."""
    return f"{settings.public_url}?{urlencode({'lease': lease})}"


def page_link(
    settings: WebSettings, signer: LinkSigner, person: Person, lease: str, now: float
) -> str:
    """The address a Slack card's button (or the console) opens for `person`'s `lease`."""
    token = signer.link(person, lease, now, settings.link_ttl)
    return f"{settings.public_url}?{urlencode({'lease': lease, 't': token})}"


@dataclass(frozen=True, slots=True)
class Caller:
    person: Person
    by_link: bool


class PageServer:
    """The application around one `PagePort`. `clock` gives the time (seconds since the
    epoch) for every expiry check."""

    def __init__(
        self, port: PagePort, settings: WebSettings, clock: Callable[[], float] = time.time
    ) -> None:
        self.port = port
        self.settings = settings
        self.clock = clock
        self.signer = LinkSigner(settings.secret)
        self.csp = content_security_policy(settings)
        self.index = _index_html(settings)
        self.static = {
            name: resources.files("adapters.web").joinpath("static", name).read_bytes()
            for name in STATIC_FILES
        }

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers], client_max_size=256 * 1024)
        base = self.settings.base_path
        app.router.add_get(base, self._page)
        app.router.add_get(base + "static/{name}", self._static)
        app.router.add_get(base + "api/task", self._task)
        app.router.add_post(base + "api/submit", self._submit)
        app.router.add_post(base + "api/skip", self._skip)
        app.router.add_post(base + "api/report", self._report)
        app.router.add_get(base + "media/{token}", self._media)
        return app

    @web.middleware
    async def _headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as e:
            self._secure(e.headers)
            raise
        except BadRequest as e:
            response = _error(400, "invalid", str(e))
        self._secure(response.headers)
        return response

    def _secure(self, headers: MutableMapping[str, str]) -> None:
        headers["Content-Security-Policy"] = self.csp
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers.setdefault("Cache-Control", "no-store")

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(body=self.index, content_type="text/html", charset="utf-8")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.static:
            raise web.HTTPNotFound(text="no such file")
        return web.Response(
            body=self.static[name],
            content_type=STATIC_FILES[name],
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    def _caller(self, request: web.Request, lease: str) -> Caller:
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        now = self.clock()
        if scheme == "tma":
            if not self.settings.bot_token:
                raise AuthError("Telegram sign-in is not set up on this server")
            person = check_init_data(
                credential, self.settings.bot_token, now, self.settings.init_data_max_age
            )
            return Caller(person, by_link=False)
        if scheme == "Link":
            grant = self.signer.check_link(credential, now)
            if grant.lease != lease:
                raise AuthError("this link is for another task", status=403)
            return Caller(grant.person, by_link=True)
        raise AuthError("open this page from the task card in the chat (not signed in)")

    async def _task(self, request: web.Request) -> web.Response:
        lease = request.query.get("lease", "")
        return await self._call(request, lease, lambda who: self.port.task(who, lease))

    async def _submit(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if "answer" not in body:
            return _error(400, "invalid", "the request carries no answer")
        lease = str(body.get("lease", ""))
        return await self._call(
            request, lease, lambda who: self.port.submit(who, lease, body["answer"])
        )

    async def _skip(self, request: web.Request) -> web.Response:
        lease = str((await _body(request)).get("lease", ""))
        return await self._call(request, lease, lambda who: self.port.skip(who, lease))

    async def _report(self, request: web.Request) -> web.Response:
        body = await _body(request)
        lease = str(body.get("lease", ""))
        reason = body.get("reason", "")
        if not isinstance(reason, str) or len(reason) > MAX_REASON:
            return _error(
                400, "invalid", f"the reason must be text of at most {MAX_REASON} characters"
            )
        return await self._call(
            request, lease, lambda who: self.port.report(who, lease, reason.strip())
        )

    async def _call(
        self,
        request: web.Request,
        lease: str,
        act: Callable[[Person], Awaitable[PageTask | NoTask | Refusal]],
    ) -> web.Response:
        if not lease:
            return _error(400, "unknown", "no task named: open the page from the task card")
        try:
            caller = self._caller(request, lease)
        except AuthError as e:
            return _error(e.status, "auth", e.message)
        outcome = await act(caller.person)
        if isinstance(outcome, Refusal):
            return _error(REFUSAL_STATUS.get(outcome.kind, 409), outcome.kind, outcome.message)
        if isinstance(outcome, NoTask):
            return _json({"done": outcome.message})
        return _json({"task": self._task_json(outcome, caller)})

    def _task_json(self, task: PageTask, caller: Caller) -> dict[str, Any]:
        now = self.clock()
        ttl = self.settings.media_ttl
        rules = task.rules
        out: dict[str, Any] = {
            "lease": task.lease,
            "item_id": task.item_id,
            "prompt": task.prompt,
            "texts": [[name, text] for name, text in task.texts],
            "images": [
                {
                    "index": i.index,
                    "width": i.width,
                    "height": i.height,
                    "url": "media/"
                    + self.signer.media(caller.person, task.lease, i.index, now, ttl),
                }
                for i in task.images
            ],
            "rules": {
                "labels": list(rules.labels),
                "shapes": list(rules.shapes),
                "min_regions": rules.min_regions,
                "max_regions": rules.max_regions,
                "min_size": rules.min_size,
                "points": list(rules.points) if rules.points else None,
            },
            "pre": list(task.pre),
            "layers": [[name, list(regions)] for name, regions in task.layers],
            "review": task.review,
            "done": task.done,
            "total": task.total,
            "note": task.note,
        }
        if caller.by_link:
            out["link"] = self.signer.link(caller.person, task.lease, now, self.settings.link_ttl)
        return out

    async def _media(self, request: web.Request) -> web.Response:
        try:
            grant = self.signer.check_media(request.match_info["token"], self.clock())
        except AuthError as e:
            return _error(e.status, "auth", e.message)
        got = await self.port.media(grant.person, grant.lease, grant.image)
        if isinstance(got, Refusal):
            return _error(REFUSAL_STATUS.get(got.kind, 409), got.kind, got.message)
        return web.Response(
            body=got.body,
            content_type=got.content_type,
            headers={"Cache-Control": "private, no-store"},
        )


class BadRequest(Exception):
    """The request body is not the JSON object the API takes."""


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the request is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request must be a JSON object")
    return body


def _json(data: dict[str, Any]) -> web.Response:
    return web.json_response(data, headers={"Cache-Control": "no-store"})


def _error(status: int, kind: str, message: str) -> web.Response:
    return web.json_response(
        {"error": message, "kind": kind}, status=status, headers={"Cache-Control": "no-store"}
    )


def _index_html(settings: WebSettings) -> bytes:
    template = resources.files("adapters.web").joinpath("static", "index.html").read_text()
    return template.replace(
        "{{TELEGRAM_JS}}", html.escape(settings.telegram_js, quote=True)
    ).encode()


async def serve(server: PageServer) -> web.AppRunner:
    """Start listening on the settings' address; the caller cleans up the runner."""
    runner = web.AppRunner(server.app())
    await runner.setup()
    await web.TCPSite(runner, server.settings.host, server.settings.port).start()
    return runner
