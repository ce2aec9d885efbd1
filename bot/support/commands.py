"""Command names and who may use them; every check happens on the server side."""

from __future__ import annotations

from dataclasses import dataclass

from intents.normalize import fold

__all__ = ["COMMANDS", "MENUS", "MENU_TEXTS", "Command", "parse_command"]

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
    # The web console's sign-in link; citizens and volunteers get a polite refusal there.
    "dangnhap": "citizen",
    # A citizen's own commune; for volunteers and up, the communes they serve (issue 15).
    "xa": "citizen",
    "sukien": "citizen",  # citizens see help days; leaders post and cancel them
    "nhactoi": "citizen",  # the "Nhắc tôi" button of a help day
    "nhantin": "citizen",
    "tatnhantin": "citizen",
    "truc": "volunteer",
    "kynang": "volunteer",
    "toida": "volunteer",
    "hangdoi": "volunteer",
    "nhan": "volunteer",
    "tra": "volunteer",
    "chuyen": "volunteer",
    "phien": "volunteer",
    "ghinhan": "volunteer",
    "gui": "volunteer",
    "moi": "leader",
    "baocao": "leader",
    "guitin": "leader",
    "giaoxa": "leader",
    "diaphuong": "leader",
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


# The command menu each role sees (Telegram's "/" list), in the order shown. Every command
# still works when typed; the menu only shows what this person is likely to need.
_CITIZEN_MENU = (
    "start",
    "menu",
    "gapnguoi",
    "sukien",
    "huy",
    "ketthuc",
    "nhantin",
    "tatnhantin",
    "dulieu",
    "xoadulieu",
    "trogiup",
)
_VOLUNTEER_MENU = (
    "truc",
    "hangdoi",
    "nhan",
    "phien",
    "gui",
    "ketthuc",
    "tra",
    "ghinhan",
    "kynang",
    "xa",
    "menu",
    "trogiup",
)
MENUS: dict[str, tuple[str, ...]] = {
    "citizen": _CITIZEN_MENU,
    "volunteer": _VOLUNTEER_MENU,
    "leader": (
        *_VOLUNTEER_MENU[:7],
        "moi",
        "baocao",
        "guitin",
        "giaoxa",
        "sukien",
        "diaphuong",
        "dangnhap",
        *_VOLUNTEER_MENU[7:],
    ),
    "operator": (
        *_VOLUNTEER_MENU[:7],
        "moi",
        "baocao",
        "giaoxa",
        "sukien",
        "diaphuong",
        "dangnhap",
        "totruong",
        "thuhoi",
        "trogiup",
    ),
}
# command -> the support.yaml key of its one-line description.
MENU_TEXTS: dict[str, str] = {
    "start": "menu_start",
    "menu": "menu_menu",
    "gapnguoi": "menu_gapnguoi",
    "huy": "menu_huy",
    "ketthuc": "menu_ketthuc",
    "dulieu": "menu_dulieu",
    "xoadulieu": "menu_xoadulieu",
    "nhantin": "menu_nhantin",
    "tatnhantin": "menu_tatnhantin",
    "trogiup": "menu_trogiup",
    "truc": "menu_truc",
    "hangdoi": "menu_hangdoi",
    "nhan": "menu_nhan",
    "phien": "menu_phien",
    "tra": "menu_tra",
    "ghinhan": "menu_ghinhan",
    "gui": "menu_gui",
    "kynang": "menu_kynang",
    "xa": "menu_xa",
    "moi": "menu_moi",
    "baocao": "menu_baocao",
    "guitin": "menu_guitin",
    "giaoxa": "menu_giaoxa",
    "dangnhap": "menu_dangnhap",
    "sukien": "menu_sukien",
    "diaphuong": "menu_diaphuong",
    "totruong": "menu_totruong",
    "thuhoi": "menu_thuhoi",
}
