"""The run folder, the contract between every stage: its file names (format 1) and one reader/writer.

``illusion run`` writes ``manifest.json``, ``topk.jsonl``, ``controls.jsonl``, ``checks.jsonl``,
``marks.jsonl``, ``stats.json``, ``directions.npy`` and the activation profiles (``profile-*``, see ``illusion.run.profiles``);
``illusion diagnose`` adds ``diagnostics.json`` and ``report.html``; a campaign
adds ``labelstudio.json``, ``annotations.jsonl`` (earlier imports kept as ``annotations.N.jsonl``),
``annotations-summary.json``, ``annotations.rejects.jsonl``, ``agreement.json`` and ``agreement.html``. Every write is atomic. The format is documented in the README.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from illusion.common.files import atomic_writer, read_json, read_jsonl, write_json, write_jsonl, write_text
from illusion.errors import IllusionError

FORMAT = 1

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

RUN_FILE = "file from `illusion run` (run it first, or pass the run folder it wrote)"


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

    def manifest(self) -> dict[str, Any]:
        found = self.read_json(MANIFEST)
        if not isinstance(found, dict):
            raise IllusionError(f"{self.path / MANIFEST}: expected a JSON object; rerun `illusion run`")
        return found

    def topk(self) -> list[dict[str, Any]]:
        return self.read_jsonl(TOPK)

    def controls(self) -> list[dict[str, Any]]:
        """Random-sentence control sets; none for runs made without controls."""
        return self.read_jsonl(CONTROLS) if self.has(CONTROLS) else []

    def marks(self) -> list[dict[str, Any]]:
        """The mark a campaign shows on each of its sentences; none for runs made before such marks existed."""
        return self.read_jsonl(MARKS) if self.has(MARKS) else []

    def checks(self) -> list[dict[str, Any]]:
        """Attention-check sets (sentences sharing a word); none for runs made before checks existed."""
        return self.read_jsonl(CHECKS) if self.has(CHECKS) else []

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
