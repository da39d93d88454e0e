"""Corpora from Debian packages, read when their files exist: WordNet, fortunes, FOLDOC."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from illusion import DatasetPlugin, Param, PluginError, PluginUnavailable, Record, hookimpl

WORDNET_DIR = Path("/usr/share/wordnet")
FORTUNES_DIR = Path("/usr/share/games/fortunes")
FOLDOC_FILE = Path("/usr/share/dictd/foldoc.dict.dz")
FOLDOC_INDEX = FOLDOC_FILE.with_name("foldoc.index")
_DICTD_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

_QUOTED = re.compile(r'"([^"]+)"')
_CROSS_REFERENCE = re.compile(r"\{([^}]*)\}")


def require(path: Path, package: str) -> Path:
    if not path.exists():
        raise PluginUnavailable(f"{path} not found: install the Debian package {package} (apt-get install {package})")
    return path


def wordnet(part: str) -> Iterator[Record]:
    folder = require(WORDNET_DIR, "wordnet-base")
    for pos in ("noun", "verb", "adj", "adv"):
        with (folder / f"data.{pos}").open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("  ") or "|" not in line:
                    continue  # licence header lines start with two spaces
                offset, gloss = line.split(" ", 1)[0], line.split("|", 1)[1].strip()
                if part == "glosses":
                    yield Record(f"{pos}:{offset}", gloss.split(";", 1)[0].strip(), {"pos": pos})
                else:
                    for number, example in enumerate(_QUOTED.findall(gloss)):
                        yield Record(f"{pos}:{offset}:{number}", example.strip(), {"pos": pos})


def fortunes(files: list[str]) -> Iterator[Record]:
    folder = require(FORTUNES_DIR, "fortunes-min")
    available = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.suffix)
    unknown = sorted(set(files) - set(available))
    if unknown:
        raise PluginError(f"dataset 'fortunes': no fortune files {unknown} in {folder} (available: {', '.join(available)})")
    for name in files or available:
        entries = (folder / name).read_text(encoding="utf-8", errors="replace").split("\n%\n")
        for number, entry in enumerate(entries):
            if entry.strip():
                yield Record(f"{name}:{number}", " ".join(entry.split()), {"file": name})


def foldoc() -> Iterator[Record]:
    """One record per index entry; a headword that recurs gets ``~2``, ``~3``... so ids stay unique."""
    data = gzip.decompress(require(FOLDOC_FILE, "dict-foldoc").read_bytes())
    seen: Counter[str] = Counter()
    for line in FOLDOC_INDEX.read_text(encoding="utf-8", errors="replace").splitlines():
        headword, offset, length = line.split("\t")[:3]
        if headword.startswith("00-database") or "%%%" in headword:
            continue
        start = _dictd_number(offset)
        body = data[start : start + _dictd_number(length)].decode("utf-8", errors="replace").split("\n", 1)[1:]
        if body and body[0].strip():
            seen[headword] += 1
            key = headword if seen[headword] == 1 else f"{headword}~{seen[headword]}"
            yield Record(key, _CROSS_REFERENCE.sub(r"\1", " ".join(body[0].split())), {"headword": headword})


def _dictd_number(text: str) -> int:
    """Offsets and lengths in a dictd index are base-64 numbers."""
    value = 0
    for char in text:
        value = value * 64 + _DICTD_DIGITS.index(char)
    return value


@hookimpl
def illusion_datasets():
    yield DatasetPlugin(
        name="wordnet",
        description="WordNet usage examples or glosses (Debian package wordnet-base).",
        factory=wordnet,
        params=[Param("part", str, "examples", "usage examples or definitions", choices=("examples", "glosses"))],
        shared_defaults={"min_words": 3},
    )
    yield DatasetPlugin(
        name="fortunes",
        description="Fortune-cookie quotations (Debian package fortunes-min or fortunes).",
        factory=fortunes,
        params=[Param("files", list, [], "fortune files to read, e.g. ['literature'] (all when empty)", item_type=str)],
    )
    yield DatasetPlugin(
        name="foldoc",
        description="Entries of the Free On-line Dictionary of Computing (Debian package dict-foldoc).",
        factory=foldoc,
        shared_defaults={"split_sentences": True},
    )
