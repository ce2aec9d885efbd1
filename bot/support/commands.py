"""Command names and who may use them; every check happens on the server side."""

from __future__ import annotations

from dataclasses import dataclass

from intents.normalize import fold

__all__ = ["COMMANDS", "Command", "parse_command"]

# name -> lowest role allowed. Names are Latin letters only: Telegram's command rule.
COMMANDS: dict[str, str] = {
    "start": "citizen",
    "menu": "citizen",
    "trogiup": "citizen",
    "toi": "citizen",
    "dulieu": "citizen",
    "xoadulieu": "citizen",
    "huy": "citizen",
    "ketthuc": "citizen",
    "gapnguoi": "citizen",
    "goilai": "citizen",
    "thamgia": "citizen",
    "lienket": "citizen",
    "truc": "volunteer",
    "kynang": "volunteer",
    "xa": "volunteer",
    "toida": "volunteer",
    "hangdoi": "volunteer",
    "nhan": "volunteer",
    "tra": "volunteer",
    "chuyen": "volunteer",
    "phien": "volunteer",
    "ghinhan": "volunteer",
    "moi": "leader",
    "baocao": "leader",
    "totruong": "operator",
    "thuhoi": "operator",
}


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed command: "/nhan HT-7K4P" -> name "nhan", arg "HT-7K4P"."""

    name: str
    arg: str


def parse_command(text: str) -> Command | None:
    """A command typed as "/name args" (also "/name@bot", "/Nhận"); None for plain text."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, arg = stripped[1:].partition(" ")
    # Protected names: folding would squeeze the double letter of /ketthuc.
    name = fold(head.split("@", 1)[0], protected=COMMANDS).replace(" ", "")
    return Command(name, arg.strip())
