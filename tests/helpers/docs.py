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
        [w for w in shlex.split(line.replace("[", " ").replace("]", " ")) if w != "..."] for line in COMMAND_LINE.findall(text)
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
