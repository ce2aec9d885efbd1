"""The import direction: entry points -> channels and web -> core -> intents, content, storage.

Every rule walks its packages recursively, so a module in a sub-package (bot/support,
bot/features/<name>, storage/migrations) is held to the same rules as its parents.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules(*folders: str, top_only: bool = False) -> list[Path]:
    """Python files under these folders (of the repository root), sorted."""
    found: list[Path] = []
    for folder in folders:
        base = ROOT / folder
        found.extend(base.glob("*.py") if top_only else base.rglob("*.py"))
    return sorted(found)


# The core: the top of bot/ and the feature packages. bot/channels and bot/web are not core.
CORE = [
    *modules("bot", top_only=True),
    *modules("bot/support", "bot/features"),
]
LIBRARIES = modules("intents", "content", "storage")
CHANNELS = modules("bot/channels")
ENTRY_POINTS = {ROOT / "bot" / "cli.py", ROOT / "bot" / "__main__.py"}  # they start channels
# A feature's web pages (the console package, and any feature's `console.py`) are served by
# Starlette and rendered with Jinja2: they may import the web framework, never a platform.
WEB_PAGES = {
    *modules("bot/features/console"),
    *(ROOT / "bot" / "features").glob("*/console.py"),
}
PLATFORMS = ("telegram", "httpx", "aiohttp")
PLATFORM_AND_WEB = (*PLATFORMS, "starlette", "fastapi", "uvicorn")


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def imports_of(path: Path, forbidden: tuple[str, ...]) -> set[str]:
    return {
        name
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    }


def test_the_rules_see_the_sub_packages() -> None:
    """The globs are recursive: bot/support and the migrations are checked too."""
    assert ROOT / "bot" / "support" / "sessions.py" in CORE
    assert ROOT / "bot" / "worker.py" in CORE
    assert any(p.parent.name == "versions" for p in LIBRARIES)
    assert ROOT / "bot" / "channels" / "telegram" / "runtime.py" in CHANNELS


@pytest.mark.parametrize("path", CORE + LIBRARIES, ids=ids(CORE + LIBRARIES))
def test_core_imports_neither_a_platform_nor_a_web_library(path: Path) -> None:
    if path in ENTRY_POINTS:
        pytest.skip("entry points start channels and the web application")
    assert not imports_of(path, PLATFORMS if path in WEB_PAGES else PLATFORM_AND_WEB)


def test_the_web_pages_are_known() -> None:
    """The console's pages are the only core modules allowed the web framework."""
    assert ROOT / "bot" / "features" / "console" / "web.py" in WEB_PAGES
    assert all(path in CORE for path in WEB_PAGES)


@pytest.mark.parametrize("path", CORE + LIBRARIES, ids=ids(CORE + LIBRARIES))
def test_core_imports_no_channel_and_no_web_module(path: Path) -> None:
    if path in ENTRY_POINTS:
        pytest.skip("entry points start channels and the web application")
    assert not imports_of(path, ("bot.channels", "bot.web"))


@pytest.mark.parametrize("path", CHANNELS, ids=ids(CHANNELS))
def test_channels_do_not_import_the_web_package(path: Path) -> None:
    """The web application mounts channels, never the other way round."""
    assert not imports_of(path, ("bot.web",))


@pytest.mark.parametrize("path", LIBRARIES, ids=ids(LIBRARIES))
def test_libraries_do_not_import_the_bot(path: Path) -> None:
    assert not imports_of(path, ("bot",))


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
