"""Operators get precise errors: file, line, intent and field."""

import shutil
from pathlib import Path

import pytest

from content import ContentError, default_content_dir, load_content
from content.checks import find_collisions


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped content with one small FAQ file, for breaking on purpose."""
    root = tmp_path / "content"
    shutil.copytree(default_content_dir(), root, ignore=shutil.ignore_patterns("*.py", "faq"))
    (root / "faq").mkdir()
    return root


def intent_yaml(intent_id: str, examples: list[str], **extra: str) -> str:
    lines = [
        f"  - id: {intent_id}",
        f"    topic: {extra.get('topic', 'public_services')}",
        f"    title: {extra.get('title', 'Tiêu đề')}",
        "    examples:",
        *[f"      - {e}" for e in examples],
        f"    answer: {extra.get('answer', 'Câu trả lời.')}",
        "    sources:",
        "      - title: Nguồn",
        "        url: https://dichvucong.gov.vn",
        "        date: 2025-07-01",
        "    reviewed: 2026-11-23",
        "    review_by: 2027-05-23",
    ]
    if "field" in extra:
        lines.append(f"    {extra['field']}")
    return "\n".join(lines) + "\n"


TEN = [f"cau hoi mau so {n} ve dich vu" for n in range(10)]


def test_valid_folder_loads(folder: Path) -> None:
    (folder / "faq" / "a.yaml").write_text("intents:\n" + intent_yaml("dvc.x", TEN), "utf-8")
    content = load_content(folder)
    assert list(content.intents) == ["dvc.x"]


def test_error_names_file_line_intent_and_field(folder: Path) -> None:
    text = "intents:\n" + intent_yaml("dvc.x", TEN) + intent_yaml("dvc.y", TEN[:3])
    (folder / "faq" / "a.yaml").write_text(text, "utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(folder)
    [problem] = caught.value.problems
    assert problem.file.endswith("faq/a.yaml")
    assert problem.intent == "dvc.y"
    assert problem.field == "examples"
    assert problem.line == text.splitlines().index("    examples:", 20) + 1
    assert "at least 10" in str(problem)


def test_unknown_field_is_reported_not_ignored(folder: Path) -> None:
    text = "intents:\n" + intent_yaml("dvc.x", TEN, field="exmaples: []")
    (folder / "faq" / "a.yaml").write_text(text, "utf-8")
    with pytest.raises(ContentError, match=r"field 'exmaples': unknown field"):
        load_content(folder)


def test_too_long_answer_and_title(folder: Path) -> None:
    text = "intents:\n" + intent_yaml("dvc.x", TEN, answer="x" * 901, title="T" * 40)
    (folder / "faq" / "a.yaml").write_text(text, "utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(folder)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"answer", "title"}


def test_cross_file_rules(folder: Path) -> None:
    (folder / "faq" / "a.yaml").write_text(
        "intents:\n" + intent_yaml("dvc.x", TEN) + intent_yaml("dvc.z.narrow", TEN), "utf-8"
    )
    (folder / "faq" / "b.yaml").write_text("intents:\n" + intent_yaml("dvc.x", TEN), "utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(folder)
    messages = " | ".join(str(p) for p in caught.value.problems)
    assert "duplicate id, already defined in content/faq/a.yaml" in messages
    assert "'dvc.z' does not exist" in messages


def test_broken_yaml_names_the_line(folder: Path) -> None:
    (folder / "faq" / "a.yaml").write_text("intents:\n  - id: [unclosed\n", "utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(folder)
    [problem] = caught.value.problems
    assert problem.line == 3  # where the parser gave up, after "[unclosed" on line 2
    assert "not valid YAML" in problem.message


def test_collisions_between_intents_are_reported(folder: Path) -> None:
    shared = "lam can cuoc o dau"
    (folder / "faq" / "a.yaml").write_text(
        "intents:\n"
        + intent_yaml("dvc.x", [*TEN, shared])
        + intent_yaml("dvc.y", [*(t + " khac" for t in TEN), "Làm căn cước ở đâu?"]),
        "utf-8",
    )
    problems = list(find_collisions(load_content(folder)))
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1
    assert errors[0].intent == "dvc.y"
    assert "'dvc.x'" in errors[0].message


def test_near_duplicates_between_intents_are_warnings(folder: Path) -> None:
    (folder / "faq" / "a.yaml").write_text(
        "intents:\n"
        + intent_yaml("dvc.x", [*TEN, "dang ky tam tru truc tuyen nhu the nao"])
        + intent_yaml(
            "dvc.y", [*(t + " khac" for t in TEN), "dang ky tam tru truc tuyen nhu the naoo x"]
        ),
        "utf-8",
    )
    warnings = [p for p in find_collisions(load_content(folder)) if p.severity == "warning"]
    assert len(warnings) == 1
    assert warnings[0].intent == "dvc.y"
    assert "nearly the same" in warnings[0].message


def test_review_dates_are_checked(folder: Path) -> None:
    from datetime import date

    from content.checks import find_overdue_reviews

    (folder / "faq" / "a.yaml").write_text("intents:\n" + intent_yaml("dvc.x", TEN), "utf-8")
    content = load_content(folder)
    assert list(find_overdue_reviews(content, date(2027, 5, 23))) == []
    [late] = find_overdue_reviews(content, date(2027, 5, 24))
    assert (late.intent, late.field, late.severity) == ("dvc.x", "review_by", "warning")
    assert "2027-05-23" in late.message
    backwards = intent_yaml("dvc.x", TEN).replace("review_by: 2027-05-23", "review_by: 2026-01-01")
    (folder / "faq" / "a.yaml").write_text("intents:\n" + backwards, "utf-8")
    with pytest.raises(ContentError, match="review_by must come after reviewed"):
        load_content(folder)


def test_openers_and_question_words_are_optional_and_validated(folder: Path) -> None:
    (folder / "faq" / "a.yaml").write_text("intents:\n" + intent_yaml("dvc.x", TEN), "utf-8")
    lexicon = folder / "lexicon"
    (lexicon / "openers.yaml").unlink()
    (lexicon / "question_words.yaml").unlink()
    assert load_content(folder).lexicon.question_kinds(["la", "gi"]) == frozenset()
    (lexicon / "openers.yaml").write_text(
        'subjects: [tôi, bác]\nopeners: ["cho {ai} hỏi"]\n', "utf-8"
    )
    (lexicon / "question_words.yaml").write_text("question_words:\n  what: [là gì]\n", "utf-8")
    content = load_content(folder)
    from intents.normalize import normalize

    assert normalize("cho bác hỏi căn cước là gì", content.lexicon) == "can cuoc la gi"
    assert content.lexicon.question_kinds(["can", "cuoc", "la", "gi"]) == {"what"}
    (lexicon / "openers.yaml").write_text("openers: [cho hỏi]\nextra: 1\n", "utf-8")
    with pytest.raises(ContentError, match=r"openers.yaml.*extra"):
        load_content(folder)
