"""Publishing a content version: the content checks and the evaluation first, then one row.

The gate, run off the event loop on the candidate content (the baseline plus the new overlay):

1. the changed intents are validated against the schema again (content/schema.py), and the
   content checks run (content/checks.py: an example two intents share is an error);
   any error refuses the publication, with the problems shown;
2. the evaluation (intents/evaluation.py on the labelled set `trolyso eval` uses) runs on the
   current and the candidate matcher; when in-scope accuracy or out-of-scope rejection
   drops by more than DROP, and the drop is more than retraining noise, the publication is
   refused unless the operator publishes anyway with a reason (recorded in the version and
   the audit log). The labelled set lives in the source tree; an installation without it
   runs the checks only and says so.

Retraining noise: any new example retrains the whole matcher (its perceptron learns in
order), which can move a few close decisions both ways on messages that have nothing to do
with the change (intents/perceptron.py keeps its order stable under edits, which cut this a
lot, but not to nothing). So a drop counts only when the messages that changed went wrong
clearly more often than right: a one-sided sign test on them (p < SIGNIFICANCE). A real
mistake, such as examples that pull a sibling's questions away, changes messages one way and
is refused.

The publication itself is one row (storage/content_versions.py) and one audit row in the
caller's transaction; once committed, `adopt` hands the already built content to this
process's dialogue, and every other worker takes it up in its next round.
"""

from __future__ import annotations

import asyncio
import logging
import math
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
from intents.evaluation import EvalCase, credit, is_rejection, load_cases
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
SIGNIFICANCE = 0.05  # of the sign test on the messages whose outcome changed
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
    # Per figure: [messages that went from right to wrong, from wrong to right].
    changed: dict[str, list[int]] = field(default_factory=dict)

    @property
    def evaluated(self) -> bool:
        return self.before is not None and self.after is not None

    @property
    def drops(self) -> list[str]:
        """The figures that got worse by more than DROP, and by more than noise."""
        if self.before is None or self.after is None:
            return []
        return [
            name
            for name in FIGURES
            if self.after[name] < self.before[name] - DROP
            and significant(*self.changed.get(name, [0, 0]))
        ]

    def as_json(self) -> dict[str, Any]:
        figures: dict[str, Any] = {
            "evaluated": self.evaluated,
            "before": self.before,
            "after": self.after,
        }
        return figures | ({"changed": self.changed} if self.changed else {})


def significant(worse: int, better: int) -> bool:
    """Whether `worse` of the changed messages (the rest `better`) is more than chance: the
    one-sided sign test, exact (binomial with p = 1/2)."""
    changed = worse + better
    if worse <= better:
        return False
    tail = sum(math.comb(changed, k) for k in range(worse, changed + 1))
    return bool(tail / 2**changed < SIGNIFICANCE)


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


@dataclass(frozen=True)
class _Scored:
    """A matcher on the labelled set: the figures, and which messages each one counted."""

    figures: dict[str, float]
    hits: dict[str, tuple[bool, ...]]


@lru_cache(maxsize=4)
def _scored(matcher: Matcher, path: Path) -> _Scored:
    """In-scope accuracy and out-of-scope rejection as `intents.evaluation.evaluate` counts
    them, message by message."""
    cases = _cases(path)
    results = [matcher.match(case.text) for case in cases]
    hits = {
        "in_scope_accuracy": tuple(
            credit(r.intent, c.intent) == c.intent
            for c, r in zip(cases, results, strict=True)
            if c.intent is not None
        ),
        "oos_rejection": tuple(
            is_rejection(r.intent) for c, r in zip(cases, results, strict=True) if c.intent is None
        ),
    }
    figures = {
        name: round(sum(flags) / len(flags), 4) if flags else 0.0 for name, flags in hits.items()
    }
    return _Scored(figures, hits)


def _changed(before: _Scored, after: _Scored) -> dict[str, list[int]]:
    """Per figure: [right before and wrong after, wrong before and right after]."""
    changed: dict[str, list[int]] = {}
    for name in FIGURES:
        pairs = list(zip(before.hits[name], after.hits[name], strict=True))
        changed[name] = [sum(b and not a for b, a in pairs), sum(a and not b for b, a in pairs)]
    return changed


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
    before, after = _scored(live.matcher, eval_set), _scored(matcher, eval_set)
    gate = Gate([], before.figures, after.figures, _changed(before, after))
    return gate, (candidate, matcher)


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
