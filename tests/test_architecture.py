"""The dialogue core and its libraries never import a channel library or a channel adapter."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = [
    *sorted((ROOT / "bot").glob("*.py")),
    *sorted((ROOT / "intents").glob("*.py")),
    *sorted((ROOT / "content").glob("*.py")),
    *sorted((ROOT / "storage").glob("*.py")),
]
FORBIDDEN = ("telegram", "httpx", "starlette", "fastapi", "aiohttp", "bot.channels")
ENTRY_POINTS = {"cli.py", "__main__.py"}  # they choose and start a channel


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", CORE, ids=[str(p.relative_to(ROOT)) for p in CORE])
def test_core_module_imports_no_channel(path: Path) -> None:
    if path.name in ENTRY_POINTS and path.parent.name == "bot":
        pytest.skip("entry points start channels")
    bad = {
        name
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not bad


def test_libraries_do_not_import_the_bot() -> None:
    for package in ("intents", "content", "storage"):
        for path in (ROOT / package).glob("*.py"):
            assert not any(m == "bot" or m.startswith("bot.") for m in imported_modules(path)), (
                path
            )


def test_match_loads_no_web_or_metrics_library() -> None:
    """`trolyso match` starts fast: the web stack, the database and metrics stay unloaded."""
    script = (
        "import io, sys\n"
        "from bot.cli import _cmd_match, _settings, _parser\n"
        "args = _parser().parse_args(['match'])\n"
        "_cmd_match(_settings(args), io.StringIO('cach cai vneid\\n'), io.StringIO())\n"
        "heavy = ('prometheus_client', 'starlette', 'telegram', 'sqlalchemy', 'uvicorn',\n"
        "         'jinja2')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"
