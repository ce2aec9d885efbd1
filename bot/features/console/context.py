"""What a console page gets: the request, its transaction, who is signed in, and a renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot.features.console.scope import Scope
from bot.features.console.uploads import Upload
from storage.models import PersonRow

if TYPE_CHECKING:
    from bot.features.console.web import Console

__all__ = ["Forbidden", "NotFound", "Page"]


class Forbidden(Exception):
    """The signed-in person may not see this object (another team's request)."""


class NotFound(Exception):
    """No such object (answered as 404 only once the person may see objects of its kind)."""


@dataclass
class Page:
    """One request to a console page, after sign-in, role and CSRF checks passed."""

    request: Request
    db: AsyncSession
    person: PersonRow
    scope: Scope
    csrf: str
    now: datetime
    console: Console
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)  # routes with `upload` only

    def query(self, name: str, default: str = "") -> str:
        """A query-string value, bounded in length (nothing long belongs in a filter)."""
        return self.request.query_params.get(name, default)[:64]

    def page_number(self) -> int:
        text = self.query("trang", "1")
        return max(1, min(int(text), 100_000)) if text.isdecimal() else 1

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return self.console.render(
            template, status=status, person=self.person, csrf=self.csrf, **values
        )
