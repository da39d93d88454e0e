"""Datasets read from local files: plain text (one sentence per line) and JSONL/CSV tables; each file is a shard."""

from __future__ import annotations

import codecs
import csv
import glob
import json
import os
from collections.abc import Iterator
from pathlib import Path

from illusion import DatasetPlugin, Param, PluginError, Record, hookimpl


def expand(pattern: str) -> list[tuple[Path, str]]:
    """Files matching a path or glob (``~`` expanded), sorted, each with a name unique among them
    (its path below the files' common folder); an error when none match."""
    paths = sorted(Path(p) for p in glob.glob(str(Path(pattern).expanduser()), recursive=True) if Path(p).is_file())
    if not paths:
        raise PluginError(f"no file matches {pattern!r}: check the path, or quote the glob")
    base = Path(os.path.commonpath([path.parent for path in paths]))
    return [(path, path.relative_to(base).as_posix()) for path in paths]


def file_shards(path: str, **_: object) -> list[str]:
    """The shards of a file dataset: its files, by the names its record ids use."""
    return [name for _, name in expand(path)]


def file_sources(path: str, **_: object) -> list[Path]:
    """The files a file dataset reads (its records are cached until one changes, or the glob matches others)."""
    return [file for file, _ in expand(path)]


def _files(path: str, shard: str | None) -> list[tuple[Path, str]]:
    """The files to read: all, or the one named ``shard``."""
    return [(file, name) for file, name in expand(path) if shard is None or name == shard]


def text_lines(path: str, encoding: str = "utf-8", shard: str | None = None) -> Iterator[Record]:
    for file, name in _files(path, shard):
        for number, line in enumerate(_lines(file, encoding), 1):
            if line.strip():
                yield Record(f"{name}:{number}", line.strip(), {"file": str(file), "line": number})


def table_rows(
    path: str, column: str, id_column: str | None, format: str, encoding: str = "utf-8", shard: str | None = None
) -> Iterator[Record]:
    for file, name in _files(path, shard):
        kind = format if format != "auto" else {".jsonl": "jsonl", ".json": "jsonl", ".tsv": "tsv"}.get(file.suffix, "csv")
        for number, row in enumerate(_rows(file, kind, encoding), 1):
            if column not in row:
                raise PluginError(f"{file}, row {number}: no column {column!r} (columns: {', '.join(map(str, row))})")
            if id_column is not None and id_column not in row:
                raise PluginError(f"{file}, row {number}: no id column {id_column!r}")
            text = row[column]
            if isinstance(text, str) and text.strip():
                key = str(row[id_column]) if id_column else f"{name}:{number}"
                meta = {k: v for k, v in row.items() if k != column and isinstance(v, (str, int, float, bool))}
                yield Record(key, text.strip(), meta)


def _rows(file: Path, kind: str, encoding: str) -> Iterator[dict]:
    lines = _lines(file, encoding, newline="")
    if kind != "jsonl":
        yield from csv.DictReader(lines, delimiter="\t" if kind == "tsv" else ",")
        return
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PluginError(f"{file}, line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise PluginError(f"{file}, line {number}: expected a JSON object")
            yield row


def _lines(file: Path, encoding: str, newline: str | None = None) -> Iterator[str]:
    """The file's lines, decoded strictly: text that is not in ``encoding`` is an error naming the file and line."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise PluginError(f"unknown encoding {encoding!r}: use a Python codec name, e.g. 'utf-8' or 'latin-1'") from None
    try:
        with file.open(encoding=encoding, newline=newline) as handle:
            yield from handle
    except UnicodeDecodeError as exc:
        where = _undecodable_line(file, encoding)
        raise PluginError(
            f"{file}{f', line {where}' if where else ''}: not valid {encoding} (byte {exc.object[exc.start]:#04x}): "
            "set the dataset's encoding option to the file's encoding, e.g. encoding = \"latin-1\""
        ) from None


def _undecodable_line(file: Path, encoding: str) -> int | None:
    """The number of the first line that does not decode (for encodings where a newline is the byte 0x0a)."""
    for number, raw in enumerate(file.read_bytes().split(b"\n"), 1):
        try:
            raw.decode(encoding)
        except UnicodeDecodeError:
            return number
    return None


ENCODING = Param("encoding", str, "utf-8", "the files' text encoding (a Python codec name, e.g. 'latin-1')")


@hookimpl
def illusion_datasets():
    yield DatasetPlugin(
        name="text",
        description="Plain-text files, one sentence per line (paths or globs).",
        factory=text_lines,
        shards=file_shards,
        sources=file_sources,
        params=[Param("path", str, help="file path or glob, e.g. 'corpus/*.txt'"), ENCODING],
    )
    yield DatasetPlugin(
        name="table",
        description="JSONL, CSV or TSV files with the sentence in a chosen column.",
        factory=table_rows,
        shards=file_shards,
        sources=file_sources,
        params=[
            Param("path", str, help="file path or glob"),
            Param("column", str, "text", "column that holds the sentence"),
            Param("id_column", str, None, "column with a stable id (row number when unset)"),
            Param("format", str, "auto", "file format", choices=("auto", "jsonl", "csv", "tsv")),
            ENCODING,
        ],
    )
