"""How features put pages in the console: a `console` module with `console_routes()`.

Each feature folder (`bot/features/<name>/`) that has a `console.py` exposing
`console_routes() -> list[ConsoleRoute]` gets its pages mounted under /admin, behind the
console's sign-in, role check and CSRF check (bot.features.console.web): a feature never
handles a cookie or a role itself, it declares the lowest role a page needs. Templates of a
feature live in its own `templates/` folder, found by the same discovery.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.responses import Response

    from bot.features.console.context import Page

__all__ = ["PREFIX", "ConsoleRoute", "NavItem", "discover"]

PREFIX = "/admin"  # where the console is mounted; routes' paths are relative to it

Endpoint = Callable[["Page"], Awaitable["Response"]]


@dataclass(frozen=True)
class NavItem:
    """A link in the console's menu: its Vietnamese label and the lowest role that sees it."""

    label: str
    path: str
    role: str = "leader"
    order: int = 50


@dataclass(frozen=True)
class ConsoleRoute:
    """One page or action under /admin.

    `role`: the lowest role allowed ("leader" or "operator"; volunteers never get in).
    Methods other than GET must carry the session's CSRF token (checked before the
    endpoint runs). `upload`: the route also reads multipart forms (a file, as
    `Page.files`), refused with 413 beyond that many bytes.
    """

    path: str
    endpoint: Endpoint
    role: str = "leader"
    methods: tuple[str, ...] = ("GET",)
    nav: NavItem | None = None
    upload: int = 0  # > 0: the route takes multipart forms (a file) of at most this many bytes


@dataclass(frozen=True)
class Feature:
    """A feature's console pages and templates folder."""

    name: str
    routes: tuple[ConsoleRoute, ...]
    templates: Path | None


def discover(package: str = "bot.features") -> list[Feature]:
    """Every feature of `package` with a `console` module, in name order."""
    root = importlib.import_module(package)
    found: list[Feature] = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        name = f"{package}.{info.name}.console"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        routes = tuple(module.console_routes())
        folder = Path(module.__file__ or "").parent / "templates"
        found.append(Feature(info.name, routes, folder if folder.is_dir() else None))
    return found
