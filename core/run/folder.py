"""The run folder, the contract between every stage: its file names (format 1) and one reader/writer.

``illusion run`` writes ``manifest.json``, ``topk.jsonl``, ``controls.jsonl``, ``checks.jsonl``,
``marks.jsonl``, ``stats.json``, ``directions.npy`` and the activation profiles (``profile-*``, see ``illusion.run.profiles``);
``illusion diagnose`` adds ``diagnostics.json`` and ``report.html``; a campaign
adds ``labelstudio.json``, ``annotations.jsonl`` (earlier imports kept as ``annotations.N.jsonl``),
``annotations-summary.json``, ``annotations.rejects.jsonl``, ``agreement.json`` and ``agreement.html``;
``illusion explain`` adds ``explanations.jsonl``. Every write is atomic.
What each file holds is a model of :mod:`illusion.run.schema`, documented in docs/run-folder.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel

from illusion.common.files import atomic_writer, numbered_jsonl, read_json, read_jsonl, write_json, write_jsonl, write_text
from illusion.errors import IllusionError
from illusion.run import schema
from illusion.run.schema import (
    Annotation,
    CheckSet,
    ControlSet,
    Diagnostics,
    ExplanationRow,
    Manifest,
    Mark,
    ProfileSentence,
    Stats,
    TopkRow,
)

MANIFEST = "manifest.json"
TOPK = "topk.jsonl"
CONTROLS = "controls.jsonl"
CHECKS = "checks.jsonl"
MARKS = "marks.jsonl"
STATS = "stats.json"
DIRECTIONS = "directions.npy"
PROFILE_RANGE = "profile-range.npy"
PROFILE_HISTOGRAMS = "profile-histograms.npy"
PROFILE_SAMPLES = "profile-samples.npy"
PROFILE_SAMPLE_SCORES = "profile-sample-scores.npy"
PROFILE_SENTENCES = "profile-sentences.jsonl"
DIAGNOSTICS = "diagnostics.json"
REPORT = "report.html"
CONCEPT_TESTS = "concept-tests.json"
LABELSTUDIO = "labelstudio.json"
ANNOTATIONS = "annotations.jsonl"
ANNOTATIONS_SUMMARY = "annotations-summary.json"
ANNOTATIONS_REJECTS = "annotations.rejects.jsonl"
AGREEMENT = "agreement.json"
AGREEMENT_PAGE = "agreement.html"
EXPLANATIONS = "explanations.jsonl"  # `illusion explain`: one row per direction, explainer and source dataset

# A labelling campaign's files: they belong to the run whose sets were labelled.
CAMPAIGN_FILES = (LABELSTUDIO, ANNOTATIONS, ANNOTATIONS_SUMMARY, ANNOTATIONS_REJECTS, AGREEMENT, AGREEMENT_PAGE)
CAMPAIGN_VERSIONS = re.compile(r"(annotations|annotations-summary)\.\d+\.(jsonl|json)")

# The files that have a model in illusion.run.schema (a JSON-lines file: one per line).
MODELS: dict[str, type[BaseModel]] = {
    MANIFEST: Manifest,
    TOPK: TopkRow,
    CONTROLS: ControlSet,
    CHECKS: CheckSet,
    MARKS: Mark,
    STATS: Stats,
    PROFILE_SENTENCES: ProfileSentence,
    DIAGNOSTICS: Diagnostics,
    ANNOTATIONS: Annotation,
    EXPLANATIONS: ExplanationRow,
}

RUN_FILE = "file from `illusion run` (run it first, or pass the run folder it wrote)"
RERUN = "rerun `illusion run` to write it again"
REDIAGNOSE = "rerun `illusion diagnose` to write it again"
REIMPORT = "fix that line, or rename the file and rerun `illusion import` to write it anew from every project"
REEXPLAIN = "rerun `illusion explain` to write it again"

M = TypeVar("M", bound=BaseModel)


def versioned(name: str, number: int) -> str:
    """``diagnostics.json`` -> ``diagnostics.NUMBER.json``."""
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{number}.{suffix}" if dot else f"{name}.{number}"


class RunFolder:
    """One run folder on disk: checked reads and atomic writes of its files by name."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def has(self, name: str) -> bool:
        return (self.path / name).exists()

    def require(self) -> RunFolder:
        """This folder, or a clear error when it does not exist."""
        if not self.path.is_dir():
            raise IllusionError(f"{self.path}: no such run folder (pass the folder `illusion run` wrote)")
        return self

    def read_json(self, name: str, what: str = RUN_FILE) -> Any:
        return read_json(self.path / name, what)

    def read_jsonl(self, name: str, what: str = RUN_FILE) -> list[Any]:
        return read_jsonl(self.path / name, what)

    def read_npy(self, name: str) -> np.ndarray:
        """A ``.npy`` file of the run, memory-mapped read-only."""
        file = self.path / name
        try:
            return np.load(file, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IllusionError(f"{file}: not a readable .npy file ({exc}); rerun `illusion run`") from None

    def optional_json(self, name: str) -> Any | None:
        """A JSON file's content, or None when the run has none (older runs, skipped steps)."""
        return self.read_json(name) if self.has(name) else None

    def read_model(self, name: str, model: type[M], remedy: str = RERUN, what: str = RUN_FILE) -> M:
        """A JSON file of the run as its schema model; a clear error naming the file and field when it does not match."""
        self.check_format()
        return schema.parse(model, self.read_json(name, what), str(self.path / name), remedy)

    def read_rows(self, name: str, model: type[M], remedy: str = RERUN, what: str = RUN_FILE) -> list[M]:
        """A JSON-lines file of the run, one model per line; errors name the file, line and field."""
        self.check_format()
        return schema.rows(model, numbered_jsonl(self.path / name, what), str(self.path / name), remedy)

    def optional_rows(self, name: str, model: type[M], remedy: str = RERUN) -> list[M]:
        """A JSON-lines file's rows, none when the run has no such file (runs made before it existed)."""
        return self.read_rows(name, model, remedy) if self.has(name) else []

    @cached_property
    def format(self) -> int:
        """The folder's format (its manifest's; 1 for runs that did not record one, or before the manifest is written)."""
        found = self.read_json(MANIFEST) if self.has(MANIFEST) else {}
        if not isinstance(found, dict):
            raise IllusionError(f"{self.path / MANIFEST}: expected a JSON object; {RERUN}")
        schema.check_format(found, str(self.path / MANIFEST), RERUN)
        return int(found.get("format", schema.FORMAT))

    def check_format(self) -> None:
        """A clear error when the folder is of a format this version cannot read."""
        self.format  # noqa: B018 (read and checked once)

    def manifest(self) -> Manifest:
        return self.read_model(MANIFEST, Manifest)

    def topk(self) -> list[TopkRow]:
        return self.read_rows(TOPK, TopkRow)

    def controls(self) -> list[ControlSet]:
        """Random-sentence control sets; none for runs made without controls."""
        return self.optional_rows(CONTROLS, ControlSet)

    def marks(self) -> list[Mark]:
        """The mark a campaign shows on each of its sentences; none for runs made before such marks existed."""
        return self.optional_rows(MARKS, Mark)

    def checks(self) -> list[CheckSet]:
        """Attention-check sets (sentences sharing a word); none for runs made before checks existed."""
        return self.optional_rows(CHECKS, CheckSet)

    def stats(self) -> Stats:
        return self.read_model(STATS, Stats, what="run statistics")

    def optional_stats(self) -> Stats | None:
        return self.stats() if self.has(STATS) else None

    def profile_sentences(self) -> list[ProfileSentence]:
        return self.read_rows(PROFILE_SENTENCES, ProfileSentence)

    def diagnostics(self) -> Diagnostics | None:
        """``diagnostics.json``, or None before `illusion diagnose`."""
        if not self.has(DIAGNOSTICS):
            return None
        return self.read_model(DIAGNOSTICS, Diagnostics, REDIAGNOSE, "diagnostics file")

    def annotations(self, what: str = "annotations file") -> list[Annotation]:
        return self.read_rows(ANNOTATIONS, Annotation, REIMPORT, what)

    def explanations(self) -> list[ExplanationRow]:
        """``explanations.jsonl``'s rows; none before `illusion explain`."""
        return self.optional_rows(EXPLANATIONS, ExplanationRow, REEXPLAIN)

    def directions(self, count: int, dim: int) -> np.ndarray:
        """``directions.npy`` as float32, checked against the manifest's count and dimension."""
        file = self.path / DIRECTIONS
        if not file.is_file():
            raise IllusionError(f"{file}: missing; runs before directions were saved cannot be diagnosed, rerun `illusion run`")
        try:
            directions = np.load(file, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IllusionError(f"{file}: not a readable .npy file ({exc})") from None
        if directions.shape != (count, dim):
            raise IllusionError(f"{file}: shape {directions.shape}, but the manifest lists {count} directions of size {dim}")
        return np.asarray(directions, dtype=np.float32)

    def campaign_files(self) -> list[str]:
        """The names of the labelling campaign's files in this folder (earlier imports' included)."""
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir() if p.name in CAMPAIGN_FILES or CAMPAIGN_VERSIONS.fullmatch(p.name))

    def keep_previous(self, *names: str) -> dict[str, Path]:
        """Rename the existing files among ``names`` to one free version number (``diagnostics.json`` ->
        ``diagnostics.1.json``), so that new ones can be written without losing them; old name -> new path."""
        present = [name for name in names if self.has(name)]
        if not present:
            return {}
        number = 1
        while any(self.has(versioned(name, number)) for name in names):
            number += 1
        kept = {}
        for name in present:
            os.replace(self.path / name, self.path / versioned(name, number))
            kept[name] = self.path / versioned(name, number)
        return kept

    def write_json(self, name: str, obj: Any) -> Path:
        write_json(self.path / name, obj)
        return self.path / name

    def write_model(self, name: str, model: schema.Model | Diagnostics) -> Path:
        """A JSON file of the run from its schema model."""
        return self.write_json(name, model.to_json())

    def write_rows(self, name: str, rows: Iterable[schema.Model]) -> Path:
        """A JSON-lines file of the run, one model per line."""
        return self.write_jsonl(name, [row.to_json() for row in rows])

    def write_jsonl(self, name: str, rows: Any) -> Path:
        write_jsonl(self.path / name, rows)
        return self.path / name

    def write_text(self, name: str, text: str) -> Path:
        write_text(self.path / name, text)
        return self.path / name

    def write_npy(self, name: str, array: np.ndarray) -> Path:
        with atomic_writer(self.path / name, "wb") as handle:
            np.save(handle, array)
        return self.path / name
