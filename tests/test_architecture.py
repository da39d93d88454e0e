"""The map of the code in CONTRIBUTING.md: its folders exist, cover every module, and every import follows its layers."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import illusion

ROOT = Path(__file__).resolve().parents[1]
# Source folders and the package each one is installed as.
PACKAGES = {
    "core": "illusion",
    "plugins": "illusion.plugins",
    "annotations": "illusion.annotations",
    "examples/illusion-example-plugin/src": "",
}
PLUGINS = "plugins"  # the layer column of the row whose modules use only the public API
PUBLIC = ("illusion", "illusion.plugins")


@dataclass(frozen=True)
class Row:
    layer: str
    paths: tuple[str, ...]
    may_import: str

    @property
    def number(self) -> int:
        return int(self.layer) if self.layer.isdigit() else 0

    def holds(self, path: str) -> int:
        """Length of the longest of this row's folders or files that holds ``path`` (0: none does)."""
        return max((len(p) for p in self.paths if path == p or (p.endswith("/") and path.startswith(p))), default=0)


def map_rows() -> list[Row]:
    """The rows of the table under "## The map of the code" in CONTRIBUTING.md."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## The map of the code", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and (cells[0].isdigit() or cells[0] == PLUGINS):
            rows.append(Row(cells[0], tuple(re.findall(r"`([^`]+)`", cells[1])), cells[3]))
    return rows


ROWS = map_rows()


@dataclass(frozen=True)
class Import:
    file: str
    line: int
    importer: str
    target: str


def module_name(path: Path) -> tuple[str, str]:
    """(the module's dotted name, its path relative to the repository) for a source file."""
    relative = path.relative_to(ROOT).as_posix()
    for folder, package in PACKAGES.items():
        if relative.startswith(folder + "/"):
            parts = relative[len(folder) + 1 : -len(".py")].split("/")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            return ".".join(p for p in [package, *parts] if p), relative
    raise AssertionError(f"{relative} is in no package")


def source_files() -> list[Path]:
    return sorted(
        path
        for folder in PACKAGES
        for path in (ROOT / folder).rglob("*.py")
        if "templates" not in path.parts and path.read_text(encoding="utf-8").strip()
    )


def source_base(module: str) -> str | None:
    """The repository path of an ``illusion`` module without ``.py`` or ``/__init__.py`` (the longest package wins)."""
    for folder, package in sorted(PACKAGES.items(), key=lambda item: -len(item[1])):
        if package and (module == package or module.startswith(package + ".")):
            tail = module[len(package) :].lstrip(".").replace(".", "/")
            return f"{folder}/{tail}" if tail else folder
    return None


def target_path(module: str) -> str:
    """The repository path of an ``illusion`` module: the file, or the package's ``__init__.py``."""
    base = source_base(module)
    assert base, module
    return base + ".py" if (ROOT / (base + ".py")).is_file() else base + "/__init__.py"


def is_module(name: str) -> bool:
    base = source_base(name)
    return base is not None and ((ROOT / (base + ".py")).is_file() or (ROOT / base / "__init__.py").is_file())


def imports(path: Path, text: str | None = None) -> list[Import]:
    """Every ``illusion`` import of a file (or of ``text`` as if it were that file), at any depth (function bodies,
    ``TYPE_CHECKING`` blocks), resolved to modules."""
    importer, relative = module_name(path)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(text or path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            # ``from illusion.run import stats`` imports the module illusion.run.stats; ``from illusion import Param`` the package
            targets = [f"{base}.{a.name}" if is_module(f"{base}.{a.name}") else base for a in node.names]
        else:
            continue
        found += [Import(relative, node.lineno, importer, t) for t in targets if t == "illusion" or t.startswith("illusion.")]
    return found


def row_of(module_path: str) -> Row | None:
    best = max(ROWS, key=lambda row: row.holds(module_path))
    return best if best.holds(module_path) else None


def violation(imp: Import) -> str | None:
    """Why an import breaks the map, or None."""
    if imp.file == "core/__init__.py" and imp.target in set(illusion._LAZY.values()):
        return None  # the package's lazy exports (open_run): imported on first use, as the map says
    source, target = row_of(imp.file), row_of(target_path(imp.target))
    assert source and target, imp
    if source.layer == PLUGINS:
        if imp.target in PUBLIC or imp.target.startswith("illusion.plugins."):
            return None
        return f"a plugin imports {imp.target}; plugins use only the public API ({', '.join(PUBLIC)})"
    if target.layer == PLUGINS:
        return f"imports the plugin module {imp.target}; the host loads plugins by name"
    if target == source or target.number < source.number:
        return None
    where = "a higher layer" if target.number > source.number else "a sibling row of the same layer"
    return f"layer {source.layer} imports {imp.target}, {where} ({target.layer}: {', '.join(target.paths)})"


def test_the_map_has_every_layer_in_order():
    numbers = [row.number for row in ROWS if row.layer != PLUGINS]
    assert numbers == sorted(numbers) and set(numbers) == set(range(1, max(numbers) + 1)), numbers
    assert [row.layer for row in ROWS].count(PLUGINS) == 1


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.paths[0])
def test_every_folder_of_the_map_exists(row):
    for path in row.paths:
        assert (ROOT / path).is_dir() if path.endswith("/") else (ROOT / path).is_file(), f"CONTRIBUTING.md names {path}"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.paths[0])
def test_may_import_says_what_the_layer_allows(row):
    n = row.number
    expected = {0: "`illusion` and `illusion.plugins` only", 1: "nothing else of `illusion`", 2: "layer 1"}.get(
        n, f"layers 1–{n - 1}"
    )
    assert row.may_import == expected


def test_every_module_is_on_the_map():
    assert [module_name(path)[1] for path in source_files() if row_of(module_name(path)[1]) is None] == []


def test_imports_follow_the_layers():
    problems = [f"{imp.file}:{imp.line}: {why}" for path in source_files() for imp in imports(path) if (why := violation(imp))]
    assert problems == [], "\n".join(problems)


# -- the checker itself, on imports made up for it ---------------------------------------------------


def fake(file: str, target: str) -> Import:
    return Import(file, 1, module_name(ROOT / file)[0], target)


@pytest.mark.parametrize(
    ("file", "target", "message"),
    [
        ("core/common/files.py", "illusion.run.folder", "layer 1 imports illusion.run.folder, a higher layer"),
        ("core/params.py", "illusion.host", None),
        ("core/run/stats.py", "illusion.diagnostics.score", "a higher layer"),
        ("core/report/pages.py", "illusion.diagnostics.suite", "a sibling row of the same layer"),
        ("core/testing.py", "illusion.commands.run", "a higher layer"),
        ("core/testing.py", "illusion.run.config", None),
        ("annotations/campaign/tasks.py", "illusion.annotations.agreement.ratings", "a higher layer"),
        ("annotations/campaign/rows.py", "illusion.annotations.labelstudio.config", "a higher layer"),
        ("annotations/labelstudio/export.py", "illusion.annotations.campaign.assign", None),
        ("annotations/agreement/ratings.py", "illusion.annotations.campaign.tasks", None),
        ("annotations/agreement/status.py", "illusion.annotations.labelstudio.backend", "a sibling row of the same layer"),
        ("plugins/samplers.py", "illusion.host", "a plugin imports illusion.host"),
        ("plugins/samplers.py", "illusion.plugins.transformer", None),
        ("core/run/pipeline.py", "illusion.plugins.transformer", "the host loads plugins by name"),
        ("core/cli.py", "illusion.commands.run", None),
    ],
)
def test_the_checker_tells_allowed_from_forbidden(file, target, message):
    why = violation(fake(file, target))
    assert why is None if message is None else message in why


def test_agreement_reads_campaigns_through_the_neutral_layer_only():
    """Agreement statistics import ``illusion.annotations.campaign``, never a backend such as Label Studio."""
    found = [imp for path in source_files() for imp in imports(path) if imp.file.startswith("annotations/agreement/")]
    backend = "illusion.annotations.labelstudio"
    assert [f"{imp.file}:{imp.line}: {imp.target}" for imp in found if imp.target.startswith(backend)] == []
    assert any(imp.target.startswith("illusion.annotations.campaign.") for imp in found)


def test_function_level_and_relative_imports_are_found():
    text = "import numpy\n\ndef f():\n    from ..diagnostics import score\n    import illusion.cli\n    from . import topk\n"
    found = [(imp.line, imp.target) for imp in imports(ROOT / "core" / "run" / "stats.py", text)]
    assert found == [(4, "illusion.diagnostics.score"), (5, "illusion.cli"), (6, "illusion.run.topk")]
    assert "a higher layer" in violation(imports(ROOT / "core" / "run" / "stats.py", text)[0])


def test_shared_arguments_and_options_are_declared_once():
    """``RUN_DIR``, ``RUN_DIRS`` and ``--quiet`` come from ``core/commands/options.py``; no command declares its own."""
    shared = re.compile(r"click\.(argument\(\s*\"run_dirs?\"|option\(\s*\"--quiet\")")
    found = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in sorted((ROOT / "core" / "commands").glob("*.py"))
        if path.name != "options.py"
        for text in [path.read_text(encoding="utf-8")]
        for match in shared.finditer(text)
    ]
    assert found == []


def test_run_folder_contents_are_read_through_the_schema():
    """Outside ``core/run/folder.py`` (and the diagnostics, which get the models' JSON), no code reads a
    run-folder file as untyped JSON by name, and a direction's condition is parsed in one place."""
    untyped = re.compile(
        r"(?:read_jsonl?|optional_json)\((?:MANIFEST|TOPK|CONTROLS|CHECKS|MARKS|STATS|PROFILE_SENTENCES|DIAGNOSTICS)\b"
    )
    condition = re.compile(r"split\(\":\", 1\)\[0\]")
    found = []
    for path in source_files():
        text, name = path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        if name != "core/run/folder.py" and untyped.search(text):
            found.append(f"{name}: reads a run-folder file untyped")
        if name != "core/directions.py" and condition.search(text):
            found.append(f"{name}: parses a direction's condition (use illusion.directions.condition_of)")
    assert found == []


def test_every_package_folder_is_installed():
    """A folder with an ``__init__.py`` that pyproject.toml does not list is missing from a regular (non-editable) install."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join([package, *init.parent.relative_to(ROOT / folder).parts])
        for folder, package in PACKAGES.items()
        if package
        for init in (ROOT / folder).rglob("__init__.py")
        if "templates" not in init.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
