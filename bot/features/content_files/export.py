"""The content the bot answers with now, as a YAML or XLSX file.

That is the shipped baseline with the current published version over it: read from the
database when one is configured (TROLYSO_DATABASE_URL), otherwise from the data folder's
`content-published.json`, as `trolyso match` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from bot.features.content_files.as_xlsx import write_xlsx
from bot.features.content_files.as_yaml import write_yaml
from content import Content
from content.published import Overlay
from content.schema import Intent

__all__ = ["FORMATS", "MEDIA_TYPES", "Format", "export_bytes", "overlay_from_database"]

Format = Literal["yaml", "xlsx"]
FORMATS: tuple[Format, ...] = ("yaml", "xlsx")
MEDIA_TYPES: dict[Format, str] = {
    "yaml": "application/yaml; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_bytes(content: Content, kind: Format) -> bytes:
    """Every intent of the content, in its order, as a file of that format."""
    intents: Sequence[Intent] = list(content.intents.values())
    return write_xlsx(intents) if kind == "xlsx" else write_yaml(intents)


async def overlay_from_database(url: str) -> Overlay:
    """The current published version of that database (version 0: none published yet)."""
    from storage import create_engine, session_factory
    from storage.content_versions import ContentVersionRepository

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            repo = ContentVersionRepository(session)
            current = await repo.current_id()
            row = await repo.get(current) if current else None
            return Overlay.from_json(current, row.overlay if row else {})
    finally:
        await engine.dispose()
