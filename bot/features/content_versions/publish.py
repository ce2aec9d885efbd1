"""Publishing a content version: the content checks and the evaluation first, then one row.

The gate, run off the event loop on the candidate content (the baseline plus the new overlay):

1. the changed intents are validated against the schema again (content/schema.py), and the
   content checks run (content/checks.py: an example two intents share is an error);
   any error refuses the publication, with the problems shown;
2. the evaluation (intents/evaluation.py on the labelled set `trolyso eval` uses) runs on the
   current and the candidate matcher; when in-scope accuracy or out-of-scope rejection
   drops by more than DROP, the publication is refused unless the operator publishes anyway
   with a reason (recorded in the version and the audit log). The labelled set lives in the
   source tree; an installation without it runs the checks only and says so.

The publication itself is one row (storage/content_versions.py) and one audit row in the
caller's transaction; once committed, `adopt` hands the already built content to this
process's dialogue, and every other worker takes it up in its next round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.matching import build_matcher, default_eval_set
from bot.published import LiveContent
from content import Content
from content.checks import find_collisions
from content.published import Overlay, apply_overlay
from content.schema import Intent
from intents import Matcher
from intents.evaluation import EvalCase, evaluate, load_cases
from storage.audit import AuditRepository
from storage.content_versions import ContentVersionRepository, StaleVersion
from storage.models import PersonRow

__all__ = [
    "DROP",
    "EDITED_FIELDS",
    "Gate",
    "Outcome",
    "adopt",
    "diff_of",
    "publish",
    "stale_problem",
]

logger = logging.getLogger(__name__)
DROP = 0.005  # half a percentage point: less is noise on a set of ~1,400 messages
FIGURES = ("in_scope_accuracy", "oos_rejection")


def stale_problem(current: int) -> str:
    """Why an edit made on an older version is refused (it would undo a newer publication)."""
    return (
        f"Nội dung vừa được xuất bản phiên bản {current} sau khi anh/chị mở trang này. "
        "Để không ghi đè thay đổi đó, anh/chị vui lòng tải lại trang rồi làm lại."
    )


@dataclass(frozen=True)
class Gate:
    """What the checks and the evaluation found about a candidate."""

    problems: list[str]
    before: dict[str, float] | None = None
    after: dict[str, float] | None = None

    @property
    def evaluated(self) -> bool:
        return self.before is not None and self.after is not None

    @property
    def drops(self) -> list[str]:
        """The figures that got worse by more than DROP."""
        if self.before is None or self.after is None:
            return []
        return [name for name in FIGURES if self.after[name] < self.before[name] - DROP]

    def as_json(self) -> dict[str, Any]:
        return {"evaluated": self.evaluated, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Outcome:
    """A publication made (`version`) or refused (`gate` says why)."""

    gate: Gate
    version: int | None = None
    overlay: Overlay | None = None
    built: tuple[Content, Matcher] | None = field(default=None, repr=False)

    @property
    def refused(self) -> bool:
        return self.version is None


EDITED_FIELDS = ("topic", "title", "answer", "follow_ups", "sources", "reviewed", "review_by")


def diff_of(old: Overlay, new: Overlay, baseline: Content | None = None) -> list[dict[str, Any]]:
    """Per intent, the extra examples added and removed between two overlays; with the
    baseline, an intent whose whole record changed (the content studio) is compared as the bot
    answers with it: examples added and removed, the fields changed, and the answer before and
    after when it changed."""
    records = {
        i for i in set(old.intents) | set(new.intents) if old.intents.get(i) != new.intents.get(i)
    }
    changes: list[dict[str, Any]] = []
    if baseline is not None and records:
        before_all, after_all = apply_overlay(baseline, old), apply_overlay(baseline, new)
        for intent_id in sorted(records):
            before, after = before_all.intents.get(intent_id), after_all.intents.get(intent_id)
            if after is None:
                continue
            was = list(before.examples) if before is not None else []
            fields = [
                name
                for name in EDITED_FIELDS
                if before is None or getattr(before, name) != getattr(after, name)
            ]
            change: dict[str, Any] = {
                "intent": intent_id,
                "added": [t for t in after.examples if t not in was],
                "removed": [t for t in was if t not in after.examples],
                "fields": fields,
                "new": before is None,
            }
            if "answer" in fields:
                change["answer"] = [before.answer if before is not None else "", after.answer]
            changes.append(change)
    for intent in sorted(set(old.examples) | set(new.examples)):
        if baseline is not None and intent in records:
            continue
        before_texts, after_texts = old.examples.get(intent, ()), new.examples.get(intent, ())
        added = [t for t in after_texts if t not in before_texts]
        removed = [t for t in before_texts if t not in after_texts]
        if added or removed:
            changes.append({"intent": intent, "added": added, "removed": removed})
    return changes


@lru_cache(maxsize=1)
def _cases(path: Path) -> tuple[EvalCase, ...]:
    return tuple(load_cases(path))


@lru_cache(maxsize=4)
def _figures_of(matcher: Matcher, path: Path) -> dict[str, float]:
    report = evaluate(matcher, _cases(path)).as_dict()
    return {name: float(report[name]) for name in FIGURES}


def _check(
    live: LiveContent, overlay: Overlay, changed: Iterable[str], eval_set: Path | None
) -> tuple[Gate, tuple[Content, Matcher] | None]:
    """The gate on the candidate (CPU-bound: run in a thread)."""
    candidate = apply_overlay(live.baseline, overlay)
    problems: list[str] = []
    for intent_id in changed:
        intent = candidate.intents.get(intent_id)
        if intent is None:
            problems.append(f"Không có chủ đề «{intent_id}» trong nội dung.")
            continue
        try:
            Intent.model_validate(intent.model_dump())
        except ValidationError as error:
            problems.extend(f"{intent_id}: {item['msg']}" for item in error.errors())
    problems.extend(str(p) for p in find_collisions(candidate) if p.severity == "error")
    if problems:
        return Gate(problems), None
    matcher = build_matcher(candidate, live.cache_dir)
    if eval_set is None or not eval_set.exists():
        return Gate([]), (candidate, matcher)
    before = _figures_of(live.matcher, eval_set)
    return Gate([], before, _figures_of(matcher, eval_set)), (candidate, matcher)


async def publish(
    session: AsyncSession,
    live: LiveContent,
    person: PersonRow,
    now: datetime,
    overlay: Overlay,
    *,
    action: str,
    reason: str,
    changed: Iterable[str],
    forced: str = "",
    gated: bool = True,
    eval_set: Path | None = None,
    base: int | None = None,
) -> Outcome:
    """Run the gate and, when it passes (or `forced` gives the reason to publish anyway),
    add the version and its audit row. Nothing is committed here. `gated=False` (a revert:
    back to content published before) records the figures but is not refused for them.

    `base` is the version the operator's page showed (None: the current one). A publication
    is refused when the content moved on since, or when another one is made on the same
    version at the same moment (the database keeps one per version): either would silently
    undo someone else's change."""
    repo = ContentVersionRepository(session)
    current_id = await repo.current_id()
    if base is not None and base != current_id:
        return Outcome(Gate([stale_problem(current_id)]))
    current = await repo.get(current_id) if current_id else None
    old = Overlay.from_json(current_id, current.overlay if current else {})
    path = eval_set if eval_set is not None else default_eval_set()
    gate, built = await asyncio.to_thread(_check, live, overlay, list(changed), path)
    overruled = gated and bool(gate.drops)
    if gate.problems or (overruled and not forced.strip()):
        return Outcome(gate)
    figures = gate.as_json() | ({"forced": forced.strip()[:300]} if overruled else {})
    try:
        row = await repo.add(
            now,
            person.id,
            person.handle,
            action,
            f"{reason} — {forced.strip()[:150]}" if overruled else reason,
            overlay.as_json(),
            diff_of(old, overlay, live.baseline),
            figures,
            base_id=current_id,
        )
    except StaleVersion:
        return Outcome(Gate([stale_problem(await repo.current_id())]))
    await AuditRepository(session).record(
        f"content_{action}", now, person.id, f"v{row.id}", reason=reason[:120]
    )
    return Outcome(gate, row.id, Overlay(row.id, overlay.examples, overlay.intents), built)


async def adopt(live: LiveContent, outcome: Outcome) -> None:
    """After the commit: this process answers with the new version at once."""
    if outcome.overlay is not None and outcome.built is not None:
        await live.adopt(outcome.overlay, *outcome.built)
