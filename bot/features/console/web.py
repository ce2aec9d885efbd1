"""The console under /admin: sign-in by one-time link, sessions, CSRF, headers, role checks.

Every page goes through `Console._guarded`, the one place that decides who gets in:

1. the session cookie names a live server-side session (idle 60 min, absolute 12 h), else 401;
2. the person still holds the page's role (re-read on every request: a revoked leader is out
   at once), else 403; volunteers and citizens never get in;
3. a state-changing request carries the session's CSRF token and, when the browser says
   where it comes from, comes from this site, else 403;
4. the page itself may refuse one object (another commune's request) with `Forbidden`.

Refusals are audited. The session id and the CSRF token are 256 random bits; the database
keeps the session id's digest only. The cookie is HttpOnly, SameSite=Lax, and Secure unless
the console is reached over plain http on the machine itself.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.features.console import filters
from bot.features.console.context import Forbidden, NotFound, Page
from bot.features.console.links import can_use_console, digest, new_secret
from bot.features.console.registry import PREFIX, ConsoleRoute, NavItem, discover
from bot.features.console.scope import scope_of
from bot.features.console.uploads import Upload, is_multipart, read_multipart
from bot.features.studio.preview import Previewer
from bot.published import LiveContent
from bot.support.common import SupportConfig, Turn
from bot.support.limits import CODE_GUESSES
from intents.places import Places
from storage.console import ConsoleRepository
from storage.console_models import ConsoleSessionRow
from storage.models import PersonRow
from storage.people import PeopleRepository
from storage.vocabulary import ROLE_RANK

__all__ = ["COOKIE", "Console", "console_mount"]

logger = logging.getLogger(__name__)

COOKIE = "trolyso_console"
IDLE = timedelta(minutes=60)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most once a minute
MAX_FORM = 64 * 1024
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
HERE = Path(__file__).resolve().parent
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the security headers to every /admin response; pages are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS)
                if not any(k == b"content-type" and v.startswith(b"text/css") for k, v in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure(request: Request) -> bool:
    """Secure cookies, except over plain http on the machine itself (local use, tests)."""
    return not (request.url.scheme == "http" and request.url.hostname in LOCAL_HOSTS)


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


async def _read_form(request: Request) -> dict[str, str] | None:
    """An urlencoded body, at most MAX_FORM bytes; None when it is too big or not a form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", ""):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return None
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return dict(pairs)


def _same_origin(request: Request) -> bool:
    """False only when the browser names another site as the origin of this request."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


class Console:
    """The /admin application: built once per web app, from the bot's own services."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        places: Places,
        clock: Callable[[], datetime],
        *,
        limited: bool = False,
        live: LiveContent | None = None,
        preview: Previewer | None = None,
        support: SupportConfig | None = None,
    ) -> None:
        self.sessions = sessions
        self.support = support or SupportConfig()  # invite limits, as the chat's /moi reads them
        self.live = live  # the published content (learning loop pages); None: not offered
        self.memo: dict[str, Any] = {}  # figures features keep between requests (bounded)
        self.preview = preview  # the channels' rendering of a reply (content studio)
        self.places = places
        self.clock = clock
        self.limited = limited
        features = discover()
        self.routes: list[ConsoleRoute] = [r for f in features for r in f.routes]
        self.nav: list[NavItem] = sorted(
            (r.nav for r in self.routes if r.nav is not None), key=lambda n: n.order
        )
        folders = [HERE / "templates", *(f.templates for f in features if f.templates)]
        self.env = Environment(
            loader=ChoiceLoader(
                [FileSystemLoader(str(folder)) for folder in dict.fromkeys(folders)]
            ),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        filters.install(self.env, places)

    # --- rendering -----------------------------------------------------------------------

    def render(
        self, template: str, *, status: int = 200, person: PersonRow | None = None, **values: Any
    ) -> HTMLResponse:
        nav = [
            item
            for item in self.nav
            if person is not None and ROLE_RANK.get(person.role, 0) >= ROLE_RANK[item.role]
        ]
        html = self.env.get_template(template).render(
            prefix=PREFIX, person=person, nav=nav, **values
        )
        return HTMLResponse(html, status_code=status)

    def error(self, status: int, title: str, message: str, **values: Any) -> HTMLResponse:
        return self.render(
            "error.html", status=status, title=title, message=message, code=status, **values
        )

    def refused(self, person: PersonRow | None = None, csrf: str = "") -> HTMLResponse:
        return self.error(
            403,
            "Không có quyền truy cập",
            "Xin lỗi, tài khoản của anh/chị không được xem trang này. Nếu anh/chị cho rằng "
            "đây là nhầm lẫn, vui lòng liên hệ quản trị viên.",
            person=person,
            csrf=csrf,
        )

    def stale_form(self, person: PersonRow, csrf: str) -> HTMLResponse:
        """A state-changing request without the session's CSRF token (or from elsewhere)."""
        return self.error(
            403,
            "Yêu cầu không hợp lệ",
            "Biểu mẫu đã cũ hoặc không được gửi từ trang quản trị. Anh/chị vui lòng tải lại "
            "trang rồi thử lại.",
            person=person,
            csrf=csrf,
        )

    def signed_out(self) -> HTMLResponse:
        response = self.error(
            401,
            "Anh/chị chưa đăng nhập",
            "Phiên đăng nhập đã hết hạn hoặc chưa có. Để đăng nhập, anh/chị vui lòng gửi lệnh "
            "/dangnhap cho trợ lý trên Telegram hoặc Zalo và mở liên kết nhận được.",
        )
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    # --- sessions ------------------------------------------------------------------------

    async def _session(
        self, db: AsyncSession, request: Request, now: datetime
    ) -> tuple[ConsoleSessionRow, PersonRow] | None:
        raw = request.cookies.get(COOKIE, "")
        if not raw or len(raw) > 128:
            return None
        repo = ConsoleRepository(db)
        row = await repo.get_session(digest(raw))
        if row is None:
            return None
        if row.expires_at <= now or row.last_seen_at + IDLE <= now:
            await repo.delete_session(row.id_hash)
            return None
        person = await PeopleRepository(db).get(row.person_id)
        if person is None:
            await repo.delete_session(row.id_hash)
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            await repo.touch(row.id_hash, now)
        return row, person

    async def _start_session(
        self, db: AsyncSession, request: Request, person: PersonRow, now: datetime
    ) -> Response:
        repo = ConsoleRepository(db)
        old = request.cookies.get(COOKIE, "")
        if old and len(old) <= 128:  # a new id at every sign-in: a planted cookie is useless
            await repo.delete_session(digest(old))
        session_id = new_secret()
        await repo.add_session(digest(session_id), person.id, new_secret(), now, now + ABSOLUTE)
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        response.set_cookie(
            COOKIE,
            session_id,
            max_age=int(ABSOLUTE.total_seconds()),
            path=PREFIX,
            secure=_secure(request),
            httponly=True,
            samesite="lax",
        )
        return response

    # --- sign-in and sign-out ------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        """The link's landing page: a button, so that link previews never use the link."""
        token = request.query_params.get("token", "")[:128]
        return self.render("login.html", token=token)

    async def login(self, request: Request) -> Response:
        form = await _read_form(request)
        if form is None or not _same_origin(request):
            return self.refused()
        token = form.get("token", "")[:128]
        now = self.clock()
        async with self.sessions.begin() as db:
            turn = Turn.open(db, now)
            subjects = (f"ip:{_client(request)}",)
            wait = await CODE_GUESSES.locked_for(turn, "console_login", subjects)
            if wait is not None:
                await turn.audit.record("console_login_locked", now, None)
                return self.error(
                    429,
                    "Tạm khóa đăng nhập",
                    f"Có quá nhiều lần đăng nhập không thành công. Anh/chị vui lòng thử lại "
                    f"sau {wait} phút.",
                )
            person_id = (
                await ConsoleRepository(db).take_link(digest(token), now) if token else None
            )
            person = await PeopleRepository(db).get(person_id) if person_id else None
            if person is None or not can_use_console(person):
                # One answer for every failure: unknown, used, expired or no longer allowed.
                await CODE_GUESSES.failed(turn, "console_login", subjects, person_id, "link")
                return self.error(
                    400,
                    "Liên kết không dùng được",
                    "Liên kết đăng nhập không đúng, đã được dùng hoặc đã quá 10 phút. Anh/chị "
                    "vui lòng gửi lại lệnh /dangnhap cho trợ lý để nhận liên kết mới.",
                )
            await turn.audit.record("console_login", now, person.id, person.handle)
            return await self._start_session(db, request, person, now)

    async def logout(self, request: Request) -> Response:
        now = self.clock()
        form = await _read_form(request)
        async with self.sessions.begin() as db:
            found = await self._session(db, request, now)
            if found is None:
                return self.signed_out()
            row, person = found
            if form is None or not self._csrf_ok(row, form, request):
                await Turn.open(db, now).audit.record(
                    "console_denied", now, person.id, person.handle, reason="csrf", path="logout"
                )
                return self.stale_form(person, row.csrf_token)
            await ConsoleRepository(db).delete_session(row.id_hash)
            await Turn.open(db, now).audit.record("console_logout", now, person.id, person.handle)
        response = RedirectResponse(f"{PREFIX}/logged-out", status_code=303)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    async def logged_out(self, request: Request) -> Response:
        return self.render("logged_out.html")

    @staticmethod
    def _csrf_ok(row: ConsoleSessionRow, form: dict[str, str], request: Request) -> bool:
        sent = form.get("csrf", "")
        return (
            bool(sent)
            and hmac.compare_digest(sent.encode(), row.csrf_token.encode())
            and _same_origin(request)
        )

    # --- every page ----------------------------------------------------------------------

    async def _guarded(self, route: ConsoleRoute, request: Request) -> Response:
        now = self.clock()
        form: dict[str, str] = {}
        files: dict[str, Upload] = {}
        if request.method != "GET" and route.upload and is_multipart(request):
            sent = await read_multipart(request, route.upload)
            if sent is None:
                megabytes = f"{route.upload / 1024 / 1024:g}".replace(".", ",")
                return self.error(
                    413,
                    "Tệp quá lớn",
                    f"Tệp gửi lên quá lớn hoặc không đọc được. Anh/chị vui lòng gửi tệp nhỏ "
                    f"hơn {megabytes} MB (có thể chia thành nhiều tệp).",
                )
            form, files = sent
        elif request.method != "GET":
            read = await _read_form(request)
            if read is None:
                return self.error(413, "Dữ liệu quá lớn", "Biểu mẫu gửi lên quá lớn.")
            form = read
        async with self.sessions.begin() as db:
            found = await self._session(db, request, now)
            if found is None:
                return self.signed_out()
            row, person = found
            audit = Turn.open(db, now).audit
            path = request.url.path[:60]
            if not can_use_console(person) or ROLE_RANK[person.role] < ROLE_RANK[route.role]:
                await audit.record("console_denied", now, person.id, person.handle, path=path)
                return self.refused(person, row.csrf_token)
            if request.method != "GET" and not self._csrf_ok(row, form, request):
                await audit.record(
                    "console_denied", now, person.id, person.handle, reason="csrf", path=path
                )
                return self.stale_form(person, row.csrf_token)
            scope = await scope_of(db, person, self.places, self.limited)
            page = Page(request, db, person, scope, row.csrf_token, now, self, form, files)
            try:
                return await route.endpoint(page)
            except Forbidden:
                await audit.record("console_denied", now, person.id, person.handle, path=path)
                return self.refused(person, row.csrf_token)
            except NotFound:
                return self.error(
                    404,
                    "Không tìm thấy",
                    "Không tìm thấy mục anh/chị cần.",
                    person=person,
                    csrf=row.csrf_token,
                )

    def _endpoint(self, route: ConsoleRoute) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await self._guarded(route, request)

        return endpoint

    def asgi(self) -> ASGIApp:
        routes: list[BaseRoute] = [
            Route("/login", self.login_form, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/logged-out", self.logged_out, methods=["GET"]),
            Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
        ]
        for route in self.routes:
            routes.append(Route(route.path, self._endpoint(route), methods=list(route.methods)))
        return SecurityHeaders(Starlette(routes=routes))


def console_mount(console: Console) -> Mount:
    """The console as a route of the main web app."""
    return Mount(PREFIX, app=console.asgi())
