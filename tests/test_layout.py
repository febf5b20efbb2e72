"""The shape of `service/`: every module short enough to read whole, and the core free of the web.

Modules are cut by the job they do, so none should pass about 400 lines; 500 is the hard limit.
The core (everything outside `service/web/`) never imports `service.web` or Flask: the web layer
and the command line call the core, never the other way round. The only modules of the core that
may are the app factory (`service/__init__.py`) and the command line (`service/cli.py`), which
put the two together.
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "service"

MAX_LINES = 500

# Modules over MAX_LINES that are still to be cut, each with why it is not yet: what is left.
# Take an entry off once its module is cut.
TOO_LONG_FOR_NOW: dict[str, str] = {}

# Modules outside service/web/ that may import service.web or Flask.
FACES = {
    "__init__.py": "the app factory: builds the Flask app from the core and the web layer",
    "cli.py": "the command line: renders answers with service.web.render as the API does",
}

# Modules outside service/web/ that import service.web or Flask and should not, each with why it
# still does. Remove an entry once its module is clean (the test fails on a stale entry).
WEB_IMPORTS_FOR_NOW: dict[str, str] = {}


def _modules() -> list[Path]:
    return sorted(SERVICE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(SERVICE).as_posix()


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _imports(path: Path) -> set[str]:
    return _imports_in(path.read_text(encoding="utf-8"), path.relative_to(SERVICE))


def _imports_in(source: str, where: Path) -> set[str]:
    """Every module the source of `service/<where>` imports, at any depth (imports inside
    functions count too), with `from service import web` read as `service.web`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=str(where))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = ["service", *where.parent.parts]
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _web_or_flask(module: str) -> bool:
    return module in ("service.web", "flask") or module.startswith(("service.web.", "flask."))


def test_no_module_is_over_the_line_limit() -> None:
    too_long = {
        _name(p): _lines(p)
        for p in _modules()
        if _lines(p) > MAX_LINES and _name(p) not in TOO_LONG_FOR_NOW
    }
    assert not too_long, f"over {MAX_LINES} lines; cut them by the jobs they do: {too_long}"


def test_the_core_never_imports_the_web_layer_or_flask() -> None:
    offenders = {}
    for path in _modules():
        name = _name(path)
        if name.startswith("web/") or name in FACES or name in WEB_IMPORTS_FOR_NOW:
            continue
        web = sorted(m for m in _imports(path) if _web_or_flask(m))
        if web:
            offenders[name] = web
    assert not offenders, f"the core imports the web layer or Flask: {offenders}"


def test_the_web_import_list_holds_only_modules_that_still_import_it() -> None:
    stale = [n for n in WEB_IMPORTS_FOR_NOW if not any(map(_web_or_flask, _imports(SERVICE / n)))]
    assert not stale, f"no longer import the web layer, take them off the list: {stale}"


def test_the_import_check_sees_every_form() -> None:
    """The check itself: plain, from-, relative and function-level imports are all seen."""
    samples = {
        "import flask\n": True,
        "from flask import Flask\n": True,
        "from service import web\n": True,
        "from service.web import render\n": True,
        "def f():\n    from service.web.schemas import MAX_STRING\n": True,
        "from .web import render\n": True,
        "from . import web\n": True,
        "from service import bulk, webhooks\n": False,
        "import service.websockets\n": False,
        "from service.bulk import screen_file\n": False,
        "from .portcalls import ports\n": False,
    }
    for source, expected in samples.items():
        found = _imports_in(source, Path("core_module.py"))
        assert any(map(_web_or_flask, found)) is expected, source
