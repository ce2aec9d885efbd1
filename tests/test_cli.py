"""The `trolyso` command, including the scriptable `match` interface, run as a real process."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import charts_installed

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_match_writes_one_json_object_per_line_in_order() -> None:
    lines = ["quen mat khau vneid", "", "xyzzy plugh qwertz", "lam cccd o dau", "😀"]
    result = run(["match"], "\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == lines
    assert [r["intent"] for r in rows] == [
        "vneid.account_issue",
        None,
        None,
        "dvc.citizen_id",
        None,
    ]
    for row in rows:
        assert {"text", "intent", "score", "action", "alternatives"} <= set(row)
        assert row["action"] == ("fallback" if row["intent"] is None else "answer")
        assert 0.0 <= row["score"] <= 1.0
        assert all(set(a) == {"intent", "score"} for a in row["alternatives"])


def test_match_survives_invalid_utf8() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "match"],
        input=b"\xff\xfe\x00junk\nxin chao\n",
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(rows) == 2
    assert rows[1]["intent"] == "bot.greeting"


def test_content_ids_prints_every_id(content, capsys) -> None:
    assert main(["content", "ids"]) == 0
    assert capsys.readouterr().out.split() == sorted(content.intents)


def test_content_check_passes_on_shipped_content(capsys) -> None:
    assert main(["content", "check"]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_content_check_fails_with_precise_errors(tmp_path, capsys) -> None:
    assert main(["--content-dir", str(tmp_path), "content", "check"]) == 1
    err = capsys.readouterr().err
    assert "config.yaml" in err
    assert "file is missing" in err


def test_eval_json_has_the_headline_figures(capsys) -> None:
    assert main(["eval", "--format", "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["experience"]["helped"] >= 0.95
    assert figures["experience"]["declined"] >= 0.94
    assert figures["oos_rejection"] >= 0.90
    assert len(figures["threshold_sweep"]) > 5
    assert figures["per_intent_experience"]["dvc.login"]["n"] > 10


def test_eval_text_report(capsys) -> None:
    assert main(["eval", "--errors", "3"]) == 0
    out = capsys.readouterr().out
    for heading in (
        "What citizens get",
        "in-scope accuracy",
        "macro-F1",
        "Most confused pairs",
        "Threshold sweep",
    ):
        assert heading in out


def test_eval_missing_set_is_a_usage_error(tmp_path, capsys) -> None:
    assert main(["eval", str(tmp_path / "nope.jsonl")]) == 2
    assert (
        capsys.readouterr().err
        == f"trolyso eval: no evaluation set at {tmp_path / 'nope.jsonl'}\n"
    )


@pytest.mark.parametrize("argv", [[], ["frobnicate"]])
def test_bad_usage_exits_with_2(argv) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2


def test_db_upgrade_creates_the_sqlite_file(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "data" / "trolyso.db").exists()
    assert main(["db", "upgrade"]) == 0  # idempotent
    assert "up to date" in capsys.readouterr().out


def test_chat_keeps_state_in_the_database(tmp_path) -> None:
    data_dir = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--as", "nam"],
        input="xyzzy plugh qwertz\n/thoat\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env={**os.environ, "TROLYSO_DATA_DIR": str(data_dir), "PYTHONIOENCODING": "utf-8"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(data_dir / "trolyso.db") as db:
        rows = db.execute("SELECT channel, user_id, state FROM conversations").fetchall()
    assert [(channel, user) for channel, user, _ in rows] == [("console", "nam")]
    assert json.loads(rows[0][2])["fallback_streak"] == 1
    assert "xyzzy" not in result.stderr  # nothing of the citizen's text in logs


def test_fieldlog_import_keeps_good_rows_and_reports_bad_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path))
    path = tmp_path / "so-ghi-chep.csv"
    path.write_text(
        "ngay,xa_phuong,dich_vu,so_nguoi\n"
        "12/10/2025,xa ia grai gia lai,vneid_activation,5\n"
        "12/10/2025,xa ia grai gia lai,bay may bay,5\n",
        encoding="utf-8",
    )
    assert main(["fieldlog", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Đã nhập 1 dòng" in out
    assert "dòng 3 (dich_vu)" in out
    assert main(["fieldlog", "import", str(path)]) == 0
    assert "Đã nhập 0 dòng" in capsys.readouterr().out  # the same file twice adds nothing


def test_fieldlog_import_of_a_missing_file_is_a_usage_error(tmp_path, capsys):
    assert main(["fieldlog", "import", str(tmp_path / "none.csv")]) == 2
    assert "no file" in capsys.readouterr().err


def test_purge_reports_what_it_removed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TROLYSO_RETENTION_DAYS", "30")
    assert main(["purge"]) == 0
    assert capsys.readouterr().out == (
        "Purged 0 relayed messages, 0 sent notifications, 0 request descriptions older than "
        "30 days; 0 old update ids.\n"
    )


PERIOD = ["--from", "2025-07-01", "--to", "2030-12-31", "--province", "gia lai"]


def test_demo_fills_a_fresh_database_once_and_reports_on_it(tmp_path, monkeypatch, capsys):
    """One demo run (it plays a month through the bot): refusal, then the report formats."""
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path))
    assert main(["db", "upgrade"]) == 0  # `make run` first (the README's order) wrote to
    with sqlite3.connect(tmp_path / "trolyso.db") as db:  # the real database: not empty
        db.execute(
            "INSERT INTO people (handle, role, created_at) VALUES ('RUN1', 'citizen', ?)",
            ("2026-11-23 02:00:00",),
        )
    capsys.readouterr()
    assert main(["demo"]) == 0  # ... does not stop the demo: it has its own database
    out = capsys.readouterr().out
    assert str(tmp_path / "demo" / "trolyso.db") in out  # says where
    assert "trolyso --demo chat --as demo-lan" in out
    assert "DEMO" in out
    assert "120 yêu cầu hỗ trợ" in out
    assert "Lịch hỗ trợ tại chỗ: 6 buổi đã tổ chức, 6 buổi sắp tới" in out
    assert main(["demo"]) == 1  # never twice into the same database
    assert "trolyso demo --reset" in capsys.readouterr().err
    assert main(["report", *PERIOD, "--format", "table"]) == 0  # the real database: no demo
    assert "120" not in capsys.readouterr().out
    assert main(["--demo", "report", "--province", "Gia Lai"]) == 0  # the README's command
    assert "Tổng số yêu cầu hỗ trợ" in (month := capsys.readouterr().out)
    assert "120" in month
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path / "demo"))  # the same, by hand
    assert main(["report", *PERIOD, "--format", "table"]) == 0
    table = capsys.readouterr().out
    assert "Gia Lai" in table
    assert "0900000" not in table  # never a phone number
    csv, xlsx = tmp_path / "bao-cao.csv", tmp_path / "bao-cao.xlsx"
    for out in (csv, xlsx):
        assert main(["report", *PERIOD, "--format", out.suffix[1:], "--output", str(out)]) == 0
        assert capsys.readouterr().out.startswith(f"Đã ghi báo cáo vào {out} (")
    rows = csv.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "Phần,Mã,Mục,Chỉ số,Giá trị"
    assert "Tổng quan,,Phạm vi,Tỉnh/thành phố,Gia Lai (mã 52)" in rows
    assert "Tổng quan,,Tổng số yêu cầu hỗ trợ,,120" in rows
    assert xlsx.read_bytes()[:4] == b"PK\x03\x04"  # a zip: the Office Open XML container
    if charts_installed():  # the PNG needs the charts extra (its own message is tested elsewhere)
        png = tmp_path / "bao-cao.png"
        assert main(["report", *PERIOD, "--format", "png", "--output", str(png)]) == 0
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000  # four charts, not an empty canvas
        capsys.readouterr()
    assert main(["report", *PERIOD, "--format", "xlsx"]) == 2  # a binary needs --output
    assert "định dạng xlsx cần --output" in capsys.readouterr().err
    assert main(["report", "--from", "2026-10-31", "--to", "2026-10-01"]) == 2
    assert "--to 2026-10-01 đứng trước --from 2026-10-31" in capsys.readouterr().err


def test_run_without_a_telegram_token_opens_the_console_chat(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input="/thoat\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,  # no .env here
        env={**env, "TROLYSO_DATA_DIR": str(tmp_path / "data"), "PYTHONIOENCODING": "utf-8"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Trợ lý số" in result.stdout


def test_serve_refuses_a_telegram_token_without_a_webhook_secret(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:ABC")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    assert main(["serve", "--port", "0"]) == 1
    assert "TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err


def test_telegram_without_a_token_explains_botfather(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["telegram", "set-webhook", "https://example.org/telegram/webhook"]) == 1
    assert "@BotFather" in capsys.readouterr().err
