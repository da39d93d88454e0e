"""Corpora from Debian packages, read when their files exist: WordNet, fortunes, FOLDOC."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

from illusion import DatasetPlugin, Param, PluginError, Record, hookimpl

WORDNET_DIR = Path("/usr/share/wordnet")
FORTUNES_DIR = Path("/usr/share/games/fortunes")
FOLDOC_FILE = Path("/usr/share/dictd/foldoc.dict.dz")

_QUOTED = re.compile(r'"([^"]+)"')
_CROSS_REFERENCE = re.compile(r"\{([^}]*)\}")


def require(path: Path, package: str) -> Path:
    if not path.exists():
        raise PluginError(f"{path} not found: install the Debian package {package} (apt-get install {package})")
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
    with gzip.open(require(FOLDOC_FILE, "dict-foldoc"), "rt", encoding="utf-8", errors="replace") as handle:
        headword, body = None, []
        for line in list(handle) + ["\n", "end-of-file\n"]:
            if line.strip() and not line[0].isspace():
                if headword and not headword.startswith("00-database") and "%%%" not in headword and body:
                    yield Record(headword, _CROSS_REFERENCE.sub(r"\1", " ".join(body)), {})
                headword, body = line.strip(), []
            elif line.strip():
                body.append(line.strip())


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
