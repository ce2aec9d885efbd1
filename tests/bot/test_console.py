"""The console channel, driven with text streams exactly as a person types."""

import io

from bot.channels.console import ConsoleChannel, render
from bot.messages import Attachment, Button, Reply


async def run_console(dialogue, lines: str) -> str:
    out = io.StringIO()
    await ConsoleChannel(dialogue, io.StringIO(lines), out).run()
    return out.getvalue()


async def test_a_whole_console_chat(dialogue, content) -> None:
    transcript = await run_console(dialogue, "quen mat khau vneid\n\n1\n/thoat\n")
    assert transcript.count("Trợ lý số: ") == 3  # greeting, answer, the pressed follow-up
    assert content.intents["vneid.account_issue"].answer.splitlines()[0] in transcript
    first_follow_up = content.intents["vneid.account_issue"].follow_ups[0]
    assert content.intents[first_follow_up].answer.splitlines()[0] in transcript
    assert transcript.rstrip().endswith("Tạm biệt anh/chị!")


async def test_numbers_that_name_no_button_are_text(dialogue, content) -> None:
    transcript = await run_console(dialogue, "99\n")
    assert content.messages.fallback.splitlines()[0] in transcript


async def test_end_of_input_ends_the_chat(dialogue) -> None:
    transcript = await run_console(dialogue, "")
    assert transcript.count("Trợ lý số: ") == 1  # the greeting, then nothing to answer
    assert transcript.rstrip().endswith("Tạm biệt anh/chị!")


def test_render_numbers_buttons() -> None:
    reply = Reply("Chào", (Button("Một", "m"), Button("Hai", "h")))
    assert render(reply, first_number=3) == "Trợ lý số: Chào\n  [3] Một\n  [4] Hai"


def test_a_relayed_line_keeps_the_numbers_shown_before(tmp_path) -> None:
    out = io.StringIO()
    channel = ConsoleChannel(None, io.StringIO(), out, files_dir=tmp_path)  # type: ignore[arg-type]
    channel.show([Reply("Chọn:", (Button("Một", "m"), Button("Hai", "h")))])
    channel.show([Reply("💬 Lan: chào bác")])
    assert [b.title for b in channel.buttons] == ["Một", "Hai"]
    channel.show([Reply("Báo cáo", attachment=Attachment("bao-cao.xlsx", b"PK", "x"))])
    assert (tmp_path / "bao-cao.xlsx").read_bytes() == b"PK"
