"""Both file formats on their own (no database): lossless and byte-identical round trips,
formula-looking text kept as text, every bad row located, hostile files refused politely."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl
import pytest

from bot.features.content_files import limits
from bot.features.content_files.as_xlsx import write_xlsx
from bot.features.content_files.as_yaml import write_yaml
from bot.features.content_files.export import export_bytes
from bot.features.content_files.importing import plan_import
from bot.features.content_files.records import Refused
from content import Content

FORMULAS = [
    '=HYPERLINK("http://x","bấm")',
    "+84 912 345 678 gọi ai",
    "-1 là sao",
    "@ngân hàng số là gì",
]


def _xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _save(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["yaml", "xlsx"])
def test_an_export_reads_back_as_the_same_content_and_the_same_bytes(
    content: Content, kind: str
) -> None:
    data = export_bytes(content, kind)  # type: ignore[arg-type]
    assert export_bytes(content, kind) == data  # type: ignore[arg-type]  # deterministic
    plan = plan_import(data, f"noi-dung.{kind}", content)
    assert plan.problems == []
    assert plan.added == plan.changed == []
    assert plan.unchanged == list(content.intents)
    assert plan.intents == list(content.intents.values())
    again = write_xlsx(plan.intents) if kind == "xlsx" else write_yaml(plan.intents)
    assert again == data


def test_formula_looking_text_is_stored_as_text_and_comes_back_exactly(content: Content) -> None:
    first = next(iter(content.intents.values()))
    odd = first.model_copy(update={"examples": [*FORMULAS, *first.examples]})
    data = write_xlsx([odd])
    sheet = _xlsx(data)["examples"]
    cells = [sheet.cell(row=row, column=2) for row in range(2, 2 + len(FORMULAS))]
    assert [c.value for c in cells] == FORMULAS
    assert {c.data_type for c in cells} == {"s"}  # never a formula Excel would run
    assert all(c.quotePrefix for c in cells)
    plan = plan_import(data, "x.xlsx", content)
    assert plan.problems == []
    assert plan.intents == [odd]
    assert plan.changed == [odd.id]
    assert write_xlsx(plan.intents) == data


def test_every_bad_row_is_reported_by_sheet_row_and_column(content: Content) -> None:
    workbook = _xlsx(export_bytes(content, "xlsx"))
    intents = workbook["intents"]
    assert intents["A2"].value == next(iter(content.intents))
    intents["D2"] = "x" * 1000  # answer too long
    intents["E3"] = "khong.co.that"  # a follow-up that does not exist
    intents["C4"] = ""  # a title left blank
    intents["G5"] = "hôm qua"  # review_by not a date
    intents["B6"] = "=1+2"  # a formula typed into a cell
    examples = workbook["examples"]
    examples.append(["chu.de.la", "một câu hỏi"])  # an example of an unknown intent
    unknown_row = examples.max_row
    sources = workbook["sources"]
    sources["C2"] = "không phải địa chỉ"
    plan = plan_import(_save(workbook), "sua.xlsx", content)
    assert not plan.ok
    places = [str(problem) for problem in plan.problems]
    expected = [
        "intents, dòng 2, cột D (answer)",
        "intents, dòng 3, cột E (follow_ups)",
        "intents, dòng 4, cột C (title)",
        "intents, dòng 5, cột G (review_by)",
        "intents, dòng 6, cột B (topic)",
        f"examples, dòng {unknown_row}, cột A (intent)",
        "sources, dòng 2, cột C (url)",
    ]
    for place in expected:
        assert any(line.startswith(place) for line in places), (place, places)
    assert any("câu trả lời quá dài" in line for line in places)
    assert any("công thức" in line for line in places)
    assert plan.intents == []  # all or nothing


def test_a_yaml_problem_names_the_line_and_field(content: Content) -> None:
    text = export_bytes(content, "yaml").decode()
    first = next(iter(content.intents.values()))
    broken = text.replace(f"  - id: {first.id}\n", f"  - id: {first.id}\n    exmaples: []\n", 1)
    plan = plan_import(broken.encode(), "sua.yaml", content)
    [problem] = plan.problems
    assert problem.place == "sua.yaml, dòng 3, trường exmaples"
    assert problem.intent == first.id
    assert "trường lạ" in problem.message


def test_a_shared_example_is_a_located_error(content: Content) -> None:
    one, two = list(content.intents.values())[:2]
    copied = two.model_copy(update={"examples": [*two.examples, one.examples[0]]})
    plan = plan_import(write_xlsx([one, copied]), "x.xlsx", content)
    [problem] = plan.problems
    row = 2 + len(one.examples) + len(two.examples)
    assert problem.place == f"examples, dòng {row}, cột B (example)"
    assert one.id in problem.message


def test_a_new_intent_is_added(content: Content) -> None:
    base = content.intents["oos.education"]
    new = base.model_copy(
        update={
            "id": "oos.swimming",
            "title": "Học bơi",
            "examples": [f"câu hỏi học bơi số {n}" for n in range(10)],
            "reviewed": date(2026, 1, 1),
            "review_by": date(2026, 6, 1),
        }
    )
    plan = plan_import(write_yaml([new]), "moi.yaml", content)
    assert plan.problems == []
    assert (plan.added, plan.changed, plan.unchanged) == (["oos.swimming"], [], [])


def test_an_oversized_file_is_refused_politely(
    content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = export_bytes(content, "xlsx")
    monkeypatch.setattr(limits, "MAX_FILE", len(data) - 1)
    with pytest.raises(Refused, match="quá giới hạn"):
        plan_import(data, "lon.xlsx", content)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(content: Content) -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(export_bytes(content, "xlsx"))) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item.filename, source.read(item.filename))
        bomb.writestr("xl/sharedStrings2.xml", b"\0" * (80 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(Refused, match="giải nén lớn bất thường"):
        plan_import(buffer.getvalue(), "bom.xlsx", content)


def test_yaml_aliases_and_junk_are_refused(content: Content) -> None:
    laughs = b"a: &a [x, x]\nb: &b [*a, *a]\nintents: [*b, *b]\n"
    with pytest.raises(Refused, match="neo hoặc bí danh"):
        plan_import(laughs, "cuoi.yaml", content)
    with pytest.raises(Refused, match="không phải tệp nội dung"):
        plan_import(b"%PDF\x00\x01", "a.pdf", content)
    with pytest.raises(Refused, match="UTF-8"):
        plan_import(b"intents: []\n# Ti\xea\xcc\xa3ng\n", "a.yaml", content)
    plan = plan_import(b"intents: [\n", "hong.yaml", content)
    assert plan.problems[0].place.startswith("hong.yaml, dòng")
