"""One import of a leader's field-log file: reading → parsing → writing → summary.

- `parse_field_logs` reads and checks, with no database: a `FileProblem` (the file's fault,
  told precisely) becomes `ParsedImport.file_error`; anything else raises, because it is a bug.
- `check_file` and `import_file` are what a command calls. They catch that bug at the edge:
  it is logged as an error with its type and stack only (no file name, no cell: both can be
  personal data), and the leader reads `format_internal_error`, which says the fault is ours,
  never "fix your file". `import_file` stores the good rows in one transaction it owns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.fieldlogs.parsing import ParsedImport, parse_rows
from bot.features.fieldlogs.reading import FileProblem, read_rows
from bot.features.fieldlogs.summary import format_import_summary, format_internal_error
from bot.logs import log_failure
from intents.places import Places
from storage.fieldlogs import StoreResult, store_field_logs

__all__ = [
    "ImportContext",
    "ImportResult",
    "check_file",
    "import_file",
    "parse_field_logs",
    "store_checked",
]

logger = logging.getLogger(__name__)


def parse_field_logs(
    data: bytes,
    filename: str,
    *,
    today: date,
    default_commune: str | None,
    resolve_commune: Callable[[str], str | None],
    province_of: Callable[[str], str | None],
) -> ParsedImport:
    """Read and check a leader's CSV or XLSX file; a problem of the file is never raised.

    `default_commune` (a team's commune) fills rows without `xa_phuong` and makes that column
    optional. `resolve_commune` turns a commune name as typed into a code (None when unknown or
    ambiguous); `province_of` gives a commune code's province code (None when not a code).
    Raises only for a bug (here or in a caller's argument): see `check_file`.
    """
    if default_commune is not None and province_of(default_commune) is None:
        raise ValueError(f"default commune {default_commune!r} has no province")
    try:
        rows, notes = read_rows(data, filename)
        return parse_rows(
            rows,
            notes,
            today=today,
            default_commune=default_commune,
            resolve_commune=resolve_commune,
            province_of=province_of,
        )
    except FileProblem as problem:
        return ParsedImport([], [], str(problem))


@dataclass(frozen=True)
class ImportContext:
    """What a file is checked against: today (local), the team's commune, the place index."""

    today: date
    default_commune: str | None
    resolve_commune: Callable[[str], str | None]
    province_of: Callable[[str], str | None]

    @classmethod
    def of_places(cls, places: Places, today: date, default_commune: str | None) -> ImportContext:
        """Communes named as typed (found only when unambiguous) and coded, from `places`."""

        def resolve(text: str) -> str | None:
            match = places.search(text)
            return match.candidates[0].code if match.status == "found" else None

        def province_of(code: str) -> str | None:
            commune = places.commune(code)
            return commune.province_code if commune else None

        return cls(today, default_commune, resolve, province_of)


@dataclass(frozen=True)
class ImportResult:
    """What one import did, and the leader's summary of it.

    `parsed` is None when the import failed on our side (a bug, logged): nothing was stored
    and `summary` apologizes without blaming the file. `stored` is None when nothing was
    written (a dry run, a refused file, no good row).
    """

    parsed: ParsedImport | None
    stored: StoreResult | None
    summary: str

    @property
    def internal_error(self) -> bool:
        """The import failed because of a bug, not because of the file."""
        return self.parsed is None

    @property
    def storable(self) -> bool:
        """Checked without a whole-file problem, with at least one good row."""
        parsed = self.parsed
        return parsed is not None and parsed.file_error is None and bool(parsed.rows)

    @property
    def refused(self) -> bool:
        """Nothing could be imported: a bug, the whole file, or every row of it."""
        parsed = self.parsed
        if parsed is None or parsed.file_error is not None:
            return True
        return bool(parsed.problems) and not parsed.rows


def check_file(data: bytes, filename: str, context: ImportContext) -> ImportResult:
    """Read and check the file, store nothing: a dry run, or the first step of an import."""
    try:
        parsed = parse_field_logs(
            data,
            filename,
            today=context.today,
            default_commune=context.default_commune,
            resolve_commune=context.resolve_commune,
            province_of=context.province_of,
        )
    except Exception as error:  # a bug: told as ours, logged without the file's name or cells
        log_failure(logger, "field log import failed on our side", error=error)
        return ImportResult(None, None, format_internal_error(filename))
    return ImportResult(parsed, None, format_import_summary(parsed, None, filename))


async def import_file(
    sessions: async_sessionmaker[AsyncSession],
    data: bytes,
    filename: str,
    context: ImportContext,
    *,
    team_id: int | None,
    created_by: int | None,
    dry_run: bool = False,
) -> ImportResult:
    """Check the file, then store its good rows in one transaction (unless `dry_run`).

    A file with a whole-file problem or without a good row stores nothing. Database errors
    propagate: they are neither the file's fault nor a parsing bug.
    """
    checked = check_file(data, filename, context)
    if dry_run or not checked.storable:
        return checked
    async with sessions.begin() as session:
        return await store_checked(
            session, checked, filename, team_id=team_id, created_by=created_by
        )


async def store_checked(
    session: AsyncSession,
    checked: ImportResult,
    filename: str,
    *,
    team_id: int | None,
    created_by: int | None,
) -> ImportResult:
    """Store the good rows of a checked file in the caller's transaction (the console's page
    has one already); a file with nothing storable is returned as it was checked."""
    parsed = checked.parsed
    if parsed is None or not checked.storable:
        return checked
    stored = await store_field_logs(session, parsed.rows, team_id=team_id, created_by=created_by)
    return ImportResult(parsed, stored, format_import_summary(parsed, stored, filename))
