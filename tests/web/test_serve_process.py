"""`trolyso serve` as a real process: JSON logs from start to stop, /metrics behind its token.

The Zalo Bot channel is configured with its API on a loopback port nobody listens on, so the
answer cannot be sent: the send failure is counted and retried, and nothing leaves the host.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
PHONE = "0987654321"
WORDS = f"Nho cac ban goi lai cho toi {PHONE} ve viec cai vneid"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def figures(http: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def wait_for(check, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
        except httpx.TransportError:
            result = None
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_serve_writes_json_lines_and_counts_a_webhook_update(tmp_path: Path) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "ZALO_", "TROLYSO_", "DATABASE_URL"))
    }
    env.update(
        TROLYSO_DATA_DIR=str(tmp_path / "data"),
        TROLYSO_LOG_FORMAT="json",
        TROLYSO_LOG_LEVEL="DEBUG",
        TROLYSO_METRICS_TOKEN="scrape-me",
        ZALO_BOT_TOKEN="1234567890:zalobot-process-token",
        ZALO_BOT_WEBHOOK_SECRET="process-secret-123",
        ZALO_BOT_API_BASE=f"http://127.0.0.1:{free_port()}",
        PYTHONIOENCODING="utf-8",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,  # no .env here
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            wait_for(lambda: http.get("/healthz").status_code == 200)
            assert http.get("/metrics").status_code == 401
            assert http.get("/readyz").json()["channels"] == {"zalobot": "ready"}
            event = {
                "ok": True,
                "result": {
                    "event_name": "message.text.received",
                    "message": {
                        "from": {"id": "chat-process", "display_name": "Binh", "is_bot": False},
                        "chat": {"id": "chat-process", "chat_type": "PRIVATE"},
                        "text": WORDS,
                        "message_id": "process-msg-1",
                        "date": 1763892000000,
                    },
                },
            }
            posted = http.post(
                "/zalobot/webhook",
                json=event,
                headers={"X-Bot-Api-Secret-Token": "process-secret-123"},
            )
            assert posted.status_code == 200
            zalobot = (("channel", "zalobot"),)
            handled = ("trolyso_updates_handled_total", zalobot)
            refused = ("trolyso_sends_failed_total", (("channel", "zalobot"), ("kind", "other")))
            final = wait_for(
                lambda: (f := figures(http)).get(handled) == 1 and f.get(refused, 0) >= 1 and f
            )
            assert final[("trolyso_updates_received_total", zalobot)] == 1
            assert final[("trolyso_outbox_pending", zalobot)] >= 1  # retried later
    finally:
        server.send_signal(signal.SIGTERM)  # uvicorn shuts down, then re-raises the signal
        output, _ = server.communicate(timeout=30)
    assert server.returncode in (0, -signal.SIGTERM), output.decode()[-3000:]
    text = output.decode("utf-8")
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert PHONE not in text
    assert "cai vneid" not in text
    assert "chat-process" not in text  # a chat is named by its keyed hash only
    loggers = {e["logger"] for e in entries}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers  # the server's lines are JSON too
    assert any(e["message"] == "Application shutdown complete." for e in entries)
    [handled_line] = [e for e in entries if e["message"].startswith("update handled")]
    assert handled_line["channel"] == "zalobot"
    assert handled_line["update_id"] == "process-msg-1"
    assert handled_line["latency_ms"] > 0
    assert re.fullmatch(
        r"update handled channel=zalobot chat=[0-9a-f]{10} update_id=process-msg-1 "
        r"replies=1 latency_ms=[0-9.]+",
        handled_line["message"],
    ), handled_line["message"]
