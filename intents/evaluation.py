"""Evaluate the matcher on a labelled set: what `rasa test nlu` reports, and more.

The headline figures score what the citizen experiences (`action`: answer, clarify, fallback):
- answered right / answered wrong: an `answer` with the right intent (or a narrower one), or
  with another in-scope intent; wrong answers are the worst outcome and are counted over all
  messages (`wrong_answer_rate`) and over in-scope ones;
- helped: answered right, or the right intent among the clarification choices;
- clarified: the share of in-scope messages the bot asked about;
- declined: out-of-scope messages given the fallback or a decoy (`oos.*`) answer.
When the bot finds two questions in a message it answers both; the message counts as answered
right when either answer covers its label (`also` labels are scored separately).

Scoring rules:
- A prediction is correct if it is the gold id or narrower than it (a `dvc.birth_registration.fee`
  answer answers `dvc.birth_registration`).
- Decoys (`oos.*`) and the fallback both count as rejecting the message: right for
  out-of-scope messages, wrong for in-scope ones.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intents.matcher import Matcher, MatchResult

__all__ = ["EvalCase", "EvalReport", "evaluate", "load_cases", "render_text"]

OOS = "<out_of_scope>"
SWEEP = tuple(round(0.05 * step, 2) for step in range(2, 19))


@dataclass(frozen=True)
class EvalCase:
    """One labelled message: gold intent id, or None for out of scope."""

    id: str
    text: str
    intent: str | None
    style: str = ""
    also: str | None = None  # a second question asked in the same message


def load_cases(path: Path) -> list[EvalCase]:
    """Read a JSONL evaluation set; a bad line raises ValueError naming the file and line."""
    cases: list[EvalCase] = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                cases.append(
                    EvalCase(
                        id=str(row.get("id", number)),
                        text=str(row["text"]),
                        intent=row["intent"],
                        style=str(row.get("style", "")),
                        also=row.get("also"),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: bad evaluation line ({exc})") from exc
    return cases


def is_rejection(intent: str | None) -> bool:
    """The fallback and decoy answers both mean "not something the bot answers"."""
    return intent is None or intent.startswith("oos.")


def credit(predicted: str | None, gold: str | None) -> str:
    """The label a prediction counts as, relative to the gold label."""
    if is_rejection(predicted):
        return OOS
    assert predicted is not None
    if gold is not None and (predicted == gold or predicted.startswith(gold + ".")):
        return gold
    return predicted


@dataclass(frozen=True)
class EvalReport:
    """All figures of one evaluation run, JSON-ready through `as_dict`."""

    figures: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON types."""
        return self.figures


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def _per_label(golds: Sequence[str], preds: Sequence[str]) -> dict[str, dict[str, float]]:
    labels = sorted(set(golds))
    table: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(golds, preds, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(golds, preds, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(golds, preds, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    return table


def _sweep(cases: Sequence[EvalCase], results: Sequence[MatchResult]) -> list[dict[str, float]]:
    """Coverage against accuracy if the answer threshold were each value of SWEEP."""
    rows = []
    in_scope = [(c, r) for c, r in zip(cases, results, strict=True) if c.intent is not None]
    out_scope = [r for c, r in zip(cases, results, strict=True) if c.intent is None]
    for threshold in SWEEP:

        def answered(result: MatchResult, limit: float = threshold) -> str | None:
            top = result.ranked[0] if result.ranked else None
            return top.intent if top is not None and top.score >= limit else None

        given = [(c, answered(r)) for c, r in in_scope]
        covered = [(c, p) for c, p in given if not is_rejection(p)]
        right = sum(1 for c, p in covered if credit(p, c.intent) == c.intent)
        rejected = sum(1 for r in out_scope if is_rejection(answered(r)))
        rows.append(
            {
                "threshold": threshold,
                "coverage": _ratio(len(covered), len(in_scope)),
                "accuracy_answered": _ratio(right, len(covered)),
                "in_scope_accuracy": _ratio(right, len(in_scope)),
                "oos_rejection": _ratio(rejected, len(out_scope)),
                "overall": _ratio(right + rejected, len(in_scope) + len(out_scope)),
            }
        )
    return rows


def _reliability(
    cases: Sequence[EvalCase], results: Sequence[MatchResult]
) -> list[dict[str, float]]:
    """How often the top answer is right within each score band: is the score calibrated?"""
    bands = [(round(0.1 * b, 1), round(0.1 * (b + 1), 1)) for b in range(3, 10)]
    rows = []
    for low, high in bands:
        inside = [
            (c, r)
            for c, r in zip(cases, results, strict=True)
            if r.ranked and low <= r.ranked[0].score < (high if high < 1.0 else 1.01)
        ]
        right = sum(
            1 for c, r in inside if credit(r.ranked[0].intent, c.intent) == (c.intent or OOS)
        )
        rows.append(
            {"low": low, "high": high, "n": len(inside), "correct": _ratio(right, len(inside))}
        )
    return rows


_SEVERITY = {"wrong": 0, "asked without it": 1, "asked": 2, "declined": 3, "ok": 4}


def _outcome(case: EvalCase, result: MatchResult) -> str:
    """One message's outcome for the citizen, from worst ("wrong") to "ok"."""
    declined = result.action == "fallback" or (
        result.action == "answer" and is_rejection(result.intent)
    )
    if case.intent is None:
        if declined:
            return "ok"
        return "wrong" if result.action == "answer" else "asked"
    if declined:
        return "declined"
    if result.action == "clarify":
        gold = case.intent
        return (
            "asked" if any(covers(c.intent, gold) for c in result.choices) else "asked without it"
        )
    second = result.also.intent if result.also is not None else None
    return "ok" if covers(result.intent, case.intent) or covers(second, case.intent) else "wrong"


def covers(predicted: str | None, gold: str) -> bool:
    """Whether an answer with `predicted` answers a question labelled `gold`."""
    return credit(predicted, gold) == gold


def experience(cases: Sequence[EvalCase], results: Sequence[MatchResult]) -> dict[str, Any]:
    """What citizens get: answered right or wrong, helped, asked, declined (see module doc)."""
    inside: Counter[str] = Counter()  # outcomes of in-scope messages (see _outcome)
    outside: Counter[str] = Counter()  # and of out-of-scope ones
    for case, result in zip(cases, results, strict=True):
        (outside if case.intent is None else inside)[_outcome(case, result)] += 1
    n_in, n_out = sum(inside.values()), sum(outside.values())
    right, wrong_in, declined_in = inside["ok"], inside["wrong"], inside["declined"]
    clarified_ok = inside["asked"]
    clarified = clarified_ok + inside["asked without it"]
    declined, answered_oos, clarified_oos = outside["ok"], outside["wrong"], outside["asked"]
    two = [(c, r) for c, r in zip(cases, results, strict=True) if c.also and c.intent]
    both = 0
    for case, result in two:
        given = {r.intent for r in (result, result.also) if r is not None and r.action == "answer"}
        golds = [gold for gold in (case.intent, case.also) if gold is not None]
        both += all(any(covers(g, gold) for g in given) for gold in golds)
    return {
        "answered_right": _ratio(right, n_in),
        "answered_wrong_in_scope": _ratio(wrong_in, n_in),
        "helped": _ratio(right + clarified_ok, n_in),
        "clarified_in_scope": _ratio(clarified, n_in),
        "clarified_with_gold": _ratio(clarified_ok, clarified),
        "in_scope_declined": _ratio(declined_in, n_in),
        "declined": _ratio(declined, n_out),
        "oos_answered_in_scope": _ratio(answered_oos, n_out),
        "oos_clarified": _ratio(clarified_oos, n_out),
        "wrong_answer_rate": _ratio(wrong_in + answered_oos, n_in + n_out),
        "two_questions": len(two),
        "two_questions_both_answered": _ratio(both, len(two)),
    }


def evaluate(matcher: Matcher, cases: Iterable[EvalCase]) -> EvalReport:
    """Match every case and compute accuracy, F1, confusions, rejection and a threshold sweep."""
    cases = list(cases)
    results = [matcher.match(case.text) for case in cases]
    golds = [case.intent or OOS for case in cases]
    preds = [credit(r.intent, c.intent) for c, r in zip(cases, results, strict=True)]
    in_scope = [i for i, c in enumerate(cases) if c.intent is not None]
    out_scope = [i for i, c in enumerate(cases) if c.intent is None]
    correct_in = sum(1 for i in in_scope if preds[i] == golds[i])
    top1_in = sum(
        1
        for i in in_scope
        if results[i].ranked and credit(results[i].ranked[0].intent, golds[i]) == golds[i]
    )
    top3_in = sum(
        1
        for i in in_scope
        if any(credit(c.intent, golds[i]) == golds[i] for c in results[i].ranked[:3])
    )
    rejected_oos = sum(1 for i in out_scope if preds[i] == OOS)
    wrong_in = sum(1 for i in in_scope if preds[i] not in (golds[i], OOS))
    fallback_in = sum(1 for i in in_scope if preds[i] == OOS)
    answered_oos = len(out_scope) - rejected_oos
    clarified = [i for i, r in enumerate(results) if r.action == "clarify"]
    clarified_ok = sum(
        1
        for i in clarified
        if cases[i].intent is not None
        and any(credit(c.intent, golds[i]) == golds[i] for c in results[i].choices)
    )
    per_label = _per_label(golds, preds)
    intent_f1 = [row["f1"] for label, row in per_label.items() if label != OOS]
    confusions = Counter(
        (golds[i], preds[i]) for i in range(len(cases)) if preds[i] != golds[i]
    ).most_common(15)
    by_style: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i in in_scope:
        style = cases[i].style or "unlabelled"
        by_style[style][1] += 1
        by_style[style][0] += preds[i] == golds[i]
    errors = [
        {
            "id": cases[i].id,
            "text": cases[i].text,
            "gold": cases[i].intent,
            "predicted": results[i].intent,
            "action": results[i].action,
            "choices": [c.intent for c in results[i].choices],
            "score": results[i].score,
            "outcome": _outcome(cases[i], results[i]),
        }
        for i in range(len(cases))
        if _outcome(cases[i], results[i]) != "ok"
    ]
    errors.sort(key=lambda e: _SEVERITY[str(e["outcome"])])
    figures: dict[str, Any] = {
        "experience": experience(cases, results),
        "messages": len(cases),
        "in_scope": len(in_scope),
        "out_of_scope": len(out_scope),
        "threshold": matcher.thresholds.answer_threshold,
        "ambiguity_gap": matcher.thresholds.ambiguity_gap,
        "in_scope_accuracy": _ratio(correct_in, len(in_scope)),
        "top1_accuracy_no_threshold": _ratio(top1_in, len(in_scope)),
        "top3_accuracy_no_threshold": _ratio(top3_in, len(in_scope)),
        "macro_f1": round(sum(intent_f1) / len(intent_f1), 4) if intent_f1 else 0.0,
        "oos_rejection": _ratio(rejected_oos, len(out_scope)),
        "in_scope_fallback_rate": _ratio(fallback_in, len(in_scope)),
        "wrong_answer_rate": _ratio(wrong_in + answered_oos, len(cases)),
        "per_intent_experience": _per_intent_experience(cases, results),
        "clarification_rate": _ratio(len(clarified), len(cases)),
        "clarification_contains_gold": _ratio(clarified_ok, len(clarified)),
        "per_style_accuracy": {
            style: {"accuracy": _ratio(ok, n), "n": n}
            for style, (ok, n) in sorted(by_style.items())
        },
        "per_intent": per_label,
        "confused_pairs": [
            {"gold": gold, "predicted": pred, "count": count} for (gold, pred), count in confusions
        ],
        "threshold_sweep": _sweep(cases, results),
        "reliability": _reliability(cases, results),
        "errors": errors,
    }
    return EvalReport(figures)


def _per_intent_experience(
    cases: Sequence[EvalCase], results: Sequence[MatchResult]
) -> dict[str, dict[str, float]]:
    """Per gold intent: how many messages, answered right, helped, answered wrong."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, case in enumerate(cases):
        if case.intent is not None:
            groups[case.intent].append(index)
    table: dict[str, dict[str, float]] = {}
    for intent, indexes in sorted(groups.items()):
        part = experience([cases[i] for i in indexes], [results[i] for i in indexes])
        table[intent] = {
            "n": len(indexes),
            "right": part["answered_right"],
            "helped": part["helped"],
            "wrong": part["answered_wrong_in_scope"],
        }
    return table


def render_text(report: EvalReport, show_errors: int = 25) -> str:
    """A terminal report in the spirit of `rasa test nlu`, with rejection and a sweep."""
    f = report.figures
    x = f["experience"]
    lines = [
        f"Evaluation: {f['messages']} messages ({f['in_scope']} in scope, "
        f"{f['out_of_scope']} out of scope); threshold {f['threshold']}, "
        f"ambiguity gap {f['ambiguity_gap']}",
        "",
        "What citizens get:",
        f"  in scope: answered right {x['answered_right']:.3f}, helped (right or among the "
        f"choices) {x['helped']:.3f}, asked to choose {x['clarified_in_scope']:.3f}, "
        f"answered wrong {x['answered_wrong_in_scope']:.3f}, "
        f"declined {x['in_scope_declined']:.3f}",
        f"  out of scope: declined {x['declined']:.3f}, answered {x['oos_answered_in_scope']:.3f},"
        f" asked to choose {x['oos_clarified']:.3f}",
        f"  wrong answers over all messages {x['wrong_answer_rate']:.3f}",
        f"  two questions in one message: {x['two_questions']}, both answered "
        f"{x['two_questions_both_answered']:.3f}",
        "",
        "Ranking and scores:",
        f"  in-scope accuracy (answered and right)  {f['in_scope_accuracy']:.3f}",
        f"  top-1 / top-3, no threshold              "
        f"{f['top1_accuracy_no_threshold']:.3f} / {f['top3_accuracy_no_threshold']:.3f}",
        f"  macro-F1 over intents                    {f['macro_f1']:.3f}",
        f"  out-of-scope rejection                   {f['oos_rejection']:.3f}",
        f"  in-scope messages sent to fallback       {f['in_scope_fallback_rate']:.3f}",
        f"  wrong-answer rate (all messages)         {f['wrong_answer_rate']:.3f}",
        f"  clarification asked / gold among choices "
        f"{f['clarification_rate']:.3f} / {f['clarification_contains_gold']:.3f}",
        "",
        "Accuracy by writing style:",
    ]
    for style, row in f["per_style_accuracy"].items():
        lines.append(f"  {style:<16} {row['accuracy']:.3f}  (n={row['n']})")
    lines += [
        "",
        f"{'intent':<34} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>4}"
        f" {'right':>6} {'helped':>6} {'wrong':>6}",
    ]
    per_intent = f["per_intent_experience"]
    for label, row in f["per_intent"].items():
        extra = per_intent.get(label)
        tail = (
            f" {extra['right']:>6.3f} {extra['helped']:>6.3f} {extra['wrong']:>6.3f}"
            if extra
            else ""
        )
        lines.append(
            f"{label:<34} {row['precision']:>6.3f} {row['recall']:>6.3f} "
            f"{row['f1']:>6.3f} {row['support']:>4}{tail}"
        )
    lines += ["", "Most confused pairs (gold -> predicted):"]
    for pair in f["confused_pairs"]:
        lines.append(f"  {pair['count']:>3}  {pair['gold']} -> {pair['predicted']}")
    lines += [
        "",
        "Threshold sweep (coverage = in-scope share answered):",
        f"  {'thr':>5} {'coverage':>9} {'acc@ans':>8} {'in-acc':>7} {'oos-rej':>8} {'overall':>8}",
    ]
    for row in f["threshold_sweep"]:
        lines.append(
            f"  {row['threshold']:>5.2f} {row['coverage']:>9.3f} {row['accuracy_answered']:>8.3f}"
            f" {row['in_scope_accuracy']:>7.3f} {row['oos_rejection']:>8.3f}"
            f" {row['overall']:>8.3f}"
        )
    lines += ["", "Score reliability (share of top answers that are right, by score band):"]
    for row in f["reliability"]:
        lines.append(f"  {row['low']:.1f}-{row['high']:.1f}  {row['correct']:.3f}  (n={row['n']})")
    if show_errors and f["errors"]:
        lines += ["", f"First {min(show_errors, len(f['errors']))} errors:"]
        for error in f["errors"][:show_errors]:
            decided = error["predicted"]
            if error["action"] == "clarify":
                decided = "asked " + "/".join(error["choices"])
            elif error["action"] == "fallback":
                decided = "fallback"
            lines.append(
                f"  [{error['outcome']}] {error['id']}: {error['text']!r} gold={error['gold']} "
                f"got={decided} ({error['score']:.2f})"
            )
    return "\n".join(lines)
