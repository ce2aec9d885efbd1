"""The accuracy gate: the matcher on the independent evaluation set in tests/data."""

import pytest

from intents.evaluation import EvalCase, credit, evaluate, is_rejection, load_cases
from tests.conftest import DATA


def test_credit_counts_narrower_answers_and_decoys() -> None:
    assert credit("dvc.citizen_id.lost", "dvc.citizen_id") == "dvc.citizen_id"
    assert credit("dvc.citizen_id", "dvc.citizen_id.lost") == "dvc.citizen_id"
    assert credit("oos.passport", None) == "<out_of_scope>"
    assert credit(None, "nds.date") == "<out_of_scope>"
    assert is_rejection("oos.tax")
    assert is_rejection(None)
    assert not is_rejection("nds.date")


def test_load_cases_names_the_bad_line(tmp_path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"text": "a", "intent": null}\n{"text": broken}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"set.jsonl:2"):
        load_cases(path)


def test_report_has_every_figure(matcher) -> None:
    cases = [
        EvalCase("1", "quen mat khau vneid", "vneid.account_issue"),
        EvalCase("2", "gia vang hom nay", None),
        EvalCase("3", "lam ho chieu o dau", None),
        EvalCase("4", "xin chao", "nds.date"),
    ]
    figures = evaluate(matcher, cases).as_dict()
    assert figures["in_scope_accuracy"] == 0.5
    assert figures["oos_rejection"] == 1.0
    assert figures["confused_pairs"] == [
        {"gold": "nds.date", "predicted": "bot.greeting", "count": 1}
    ]
    assert {"threshold_sweep", "per_intent", "macro_f1", "wrong_answer_rate"} <= figures.keys()


@pytest.fixture(scope="module")
def report(matcher):
    cases = load_cases(DATA / "eval_set.jsonl")
    assert len(cases) >= 400
    assert sum(1 for c in cases if c.intent is None) >= 60
    return evaluate(matcher, cases).as_dict()


def test_in_scope_accuracy_is_at_least_95_percent(report) -> None:
    assert report["in_scope_accuracy"] >= 0.95, report["confused_pairs"]


def test_out_of_scope_rejection_is_at_least_90_percent(report) -> None:
    assert report["oos_rejection"] >= 0.90, [e for e in report["errors"] if e["gold"] is None]


def test_every_taxonomy_intent_is_evaluated(report, content) -> None:
    labelled = set(report["per_intent"]) - {"<out_of_scope>"}
    top_level = {i for i in content.intents if i.count(".") == 1 and not i.startswith("oos.")}
    assert labelled == top_level
