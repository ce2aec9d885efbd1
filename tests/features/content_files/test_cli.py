"""`trolyso content export|import` as an operator runs them: real processes, a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def trolyso(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TROLYSO_DATA_DIR": str(data), "PYTHONIOENCODING": "utf-8"}
    env.pop("DATABASE_URL", None)
    env.pop("TROLYSO_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_an_edited_export_imports_and_the_matcher_answers_with_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    exported = tmp_path / "content.yaml"
    done = trolyso(data, "content", "export", "--format", "yaml", "--output", str(exported))
    assert done.returncode == 0, done.stderr

    document = yaml.safe_load(exported.read_text(encoding="utf-8"))
    intent = next(i for i in document["intents"] if not i["id"].startswith("oos."))
    intent["answer"] = "Câu trả lời đã sửa qua tệp."
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    dry = trolyso(data, "content", "import", str(edited), "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "Chạy thử" in dry.stdout
    assert intent["id"] in dry.stdout

    done = trolyso(data, "content", "import", str(edited))
    assert done.returncode == 0, done.stdout + done.stderr
    again = tmp_path / "again.yaml"
    done = trolyso(data, "content", "export", "--format", "yaml", "--output", str(again))
    assert done.returncode == 0, done.stderr
    answers = {i["id"]: i["answer"] for i in yaml.safe_load(again.read_text("utf-8"))["intents"]}
    assert answers[intent["id"]] == "Câu trả lời đã sửa qua tệp."

    matched = trolyso(data, "match", stdin=intent["examples"][0] + "\n")
    assert json.loads(matched.stdout.splitlines()[0])["intent"] == intent["id"]


def test_a_bad_file_is_refused_with_its_place_and_exit_status(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("intents:\n  - id: dvc.x\n    topic: public_services\n", encoding="utf-8")
    done = trolyso(tmp_path / "data", "content", "import", str(bad))
    assert done.returncode != 0
    assert "bad.yaml" in done.stdout
    assert "Chưa xuất bản" in done.stdout or "chưa xuất bản" in done.stdout.lower()
    missing = trolyso(tmp_path / "data", "content", "import", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2
