"""Reading the Markdown docs: fenced code blocks, the ``illusion`` command lines they show, and running their Python."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILE = re.compile(r"^# file: (\w+\.py)\n")
# ``illusion CMD ...`` in a shell line (also as .venv/bin/illusion), up to a comment or the next command
COMMAND_LINE = re.compile(r"(?:^|[\s/])illusion ([a-z][a-z-]*(?=[\s\n]|$)[^#&|;`\n]*)", re.MULTILINE)


def fenced(text: str) -> list[tuple[str, str]]:
    """(info string, content) of every fenced code block of a Markdown text."""
    found, info, lines = [], None, []
    for line in text.splitlines(keepends=True):
        if line.startswith("```") and info is None:
            info, lines = line[3:].strip(), []
        elif line.rstrip() == "```" and info is not None:
            found.append((info, "".join(lines)))
            info = None
        elif info is not None:
            lines.append(line)
    return found


def blocks(path: Path, language: str) -> list[str]:
    """The fenced code blocks of ``path`` whose info string matches ``language`` (a regular expression)."""
    return [content for info, content in fenced(path.read_text(encoding="utf-8")) if re.fullmatch(language, info)]


def shell_commands(text: str) -> list[list[str]]:
    """The arguments of every ``illusion`` command in shell text, optional parts (``[--k K]``) and ellipses
    unwrapped: ``[["run", "--out", "DIR"], ...]``."""
    return [
        [w for w in shlex.split(line.replace("[", " ").replace("]", " ")) if w != "..."]
        for line in COMMAND_LINE.findall(text.replace("\\|", " "))  # a pipe escaped in a table cell separates choices
    ]


def command_lines(path: Path) -> list[list[str]]:
    """The ``illusion`` commands of the shell blocks and the inline code of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    shell = "\n".join(content for info, content in fenced(text) if info in ("bash", "sh", "console", ""))
    prose = re.sub(r"^```.*?^```$", "", text, flags=re.MULTILINE | re.DOTALL)
    inline = "\n".join(span for span in re.findall(r"`([^`\n]+)`", prose) if span.startswith("illusion "))
    return shell_commands(shell) + shell_commands(inline)


def run_python_blocks(path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run the Python blocks of ``path`` in ``folder``: a block starting ``# file: NAME.py`` is written there (and
    ``test_*.py`` files are run with pytest, which must pass with nothing skipped), any other block is executed.
    Returns the number of blocks."""
    files, snippets = {}, []
    for block in blocks(path, "python"):
        named = FILE.match(block)
        if named:
            files[named.group(1)] = block
        else:
            snippets.append(block)
    for name, block in files.items():
        (folder / name).write_text(block, encoding="utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    for snippet in snippets:
        exec(compile(snippet, f"{path.name} example", "exec"), {"__name__": "__example__"})
    if any(name.startswith("test_") for name in files):
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        assert re.search(r"^\d+ passed in ", result.stdout, re.MULTILINE), result.stdout[-2000:]  # nothing skipped or failed
    return len(files) + len(snippets)


# -- documents described by a doc: the keys of a JSON file against the names its section shows ---------------


def section(path: Path, heading: str) -> str:
    """The text under the heading that starts with ``heading`` (e.g. "## `diagnostics.json`"), to the next heading of its level."""
    text = path.read_text(encoding="utf-8")
    level = heading.split(" ", 1)[0]
    start = text.index("\n" + heading) + 1
    end = text.find(f"\n{level} ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def code_names(text: str) -> set[str]:
    """Every name in the inline code of ``text``: `by_condition[c]` and `sets.total` give their identifiers
    (hyphens included: `dataset-level`; placeholders such as `<name>` and `[id]` left out), quoted keys (`share["0.01"]`, `"2+"`) their strings."""
    names = set()
    for span in re.findall(r"`([^`\n]+)`", text):
        names |= set(re.findall(r'"([^"]+)"', span)) | set(
            re.findall(r"[A-Za-z_][\w-]*", re.sub(r'"[^"]*"|<[^>]*>|\[[^\]"]*\]', "", span))
        )
    return names


def table_rows(text: str) -> list[list[str]]:
    """The body rows of every Markdown table in ``text``, as lists of cells."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]
    return [row for row in rows if not set("".join(row)) <= set("-: ") and row[0] not in ("key", "field")]


def json_keys(document: object, data_keys: set[str]) -> set[str]:
    """Every key of a JSON document at any depth, except keys that are data (dataset names, direction ids, ...,
    and ``a|b`` pairs of them)."""
    found: set[str] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            if key not in data_keys and not all(part in data_keys for part in key.split("|")):
                found.add(key)
            found |= json_keys(value, data_keys)
    elif isinstance(document, list):
        for value in document:
            found |= json_keys(value, data_keys)
    return found
