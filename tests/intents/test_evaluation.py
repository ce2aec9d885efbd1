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
    assert len(cases) >= 1400
    assert sum(1 for c in cases if c.intent is None) >= 300
    assert sum(1 for c in cases if c.also) >= 25
    return evaluate(matcher, cases).as_dict()


# The gates below are what citizens get on the evaluation set (written apart from the
# examples; 894 of its messages by writers who never saw them). They sit a little under the
# figures measured when they were set, so a change that makes the bot worse fails here.


def test_wrong_answers_stay_rare(report) -> None:
    wrong = [e for e in report["errors"] if e["outcome"] == "wrong"]
    assert report["experience"]["wrong_answer_rate"] <= 0.015, wrong[:20]


def test_citizens_are_helped(report) -> None:
    x = report["experience"]
    assert x["helped"] >= 0.95, report["confused_pairs"]
    assert x["clarified_in_scope"] <= 0.10
    assert x["clarified_with_gold"] >= 0.90


def test_out_of_scope_messages_are_declined(report) -> None:
    x = report["experience"]
    assert x["declined"] >= 0.94, [e for e in report["errors"] if e["gold"] is None][:20]


def test_two_questions_are_both_answered(report) -> None:
    assert report["experience"]["two_questions_both_answered"] >= 0.75


def test_every_taxonomy_intent_is_evaluated(report, content) -> None:
    labelled = set(report["per_intent"]) - {"<out_of_scope>"}
    top_level = {i for i in content.intents if i.count(".") == 1 and not i.startswith("oos.")}
    assert top_level <= labelled
    assert labelled <= set(content.intents)


def test_the_second_held_out_set_passes_the_same_gates(matcher, content) -> None:
    """tests/data/holdout_2.jsonl: 475 messages written on 2026-12-05 from the taxonomy and the
    answers only (its writer never saw the examples, the lexicon or eval_set.jsonl). Measured
    before any change it informed: answered wrong 0.9 % in scope, helped 0.954, asked 0.069,
    declined 0.992; English words mixed in were the weak style, and a lexicon of them followed."""
    cases = load_cases(DATA / "holdout_2.jsonl")
    assert len(cases) >= 450
    labels = {c.intent for c in cases} | {c.also for c in cases}
    assert labels - {None} <= set(content.intents)
    assert not any(label.startswith("oos.") for label in labels if label is not None)
    x = evaluate(matcher, cases).as_dict()["experience"]
    assert x["wrong_answer_rate"] <= 0.015
    assert x["helped"] >= 0.95
    assert x["clarified_in_scope"] <= 0.10
    assert x["declined"] >= 0.94
