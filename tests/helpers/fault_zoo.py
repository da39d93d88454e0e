"""The fault zoo: a distribution of deliberately broken plugins, each with the fix that makes it good.

Every fault module carries ``BROKEN = True``; :func:`install_zoo` writes the package (one entry point
per module, as ``pip install`` leaves it) with the named faults fixed (``BROKEN = False``). ``zoo_base``
holds the good parts: a 700-sentence dataset and a hashed-words model layer, cheap enough for a run.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from illusion.run.store import DERIVED, TOKENS
from tests.helpers.plugin_kit import add_distribution

DISTRIBUTION = "illusion-fault-zoo"

BASE = '''
"""The zoo's good parts: dataset 'zoo-lines' and model layer 'zoo-words'."""

import re
import zlib

import numpy as np

from illusion import DatasetPlugin, ModelLayerPlugin, Record, TokenVectors, hookimpl

WORD = re.compile(r"\\w+")
ADJECTIVES = ("old", "quiet", "bright", "heavy", "strange", "gentle", "broken")
NOUNS = ("ship", "river", "letter", "garden", "engine", "market", "song", "bridge", "storm", "lamp")
VERBS = ("crossed", "followed", "carried", "opened", "watched", "mended", "found", "lost", "named", "kept")


def lines():
    """700 sentences, each with a stable id."""
    number = 0
    for adjective in ADJECTIVES:
        for noun in NOUNS:
            for verb in VERBS:
                yield f"line-{number}", f"The {adjective} {noun} {verb} the harbour at dawn."
                number += 1


class Words:
    """Words hashed into 16 buckets; a sentence sums its words (signed by ``sign``)."""

    dim = 16
    sign = 1.0

    def __init__(self):
        self.identity = {"model": "zoo-words", "variant": type(self).__name__}

    def token_vectors(self, texts):
        result = []
        for text in texts:
            words = list(WORD.finditer(text))
            vectors = np.zeros((len(words), self.dim), dtype=np.float32)
            for row, word in enumerate(words):
                vectors[row, zlib.crc32(word.group().lower().encode()) % self.dim] = self.sign
            result.append(TokenVectors([w.group() for w in words], [w.span() for w in words], vectors))
        return result

    def encode(self, texts, progress=None):
        sums = [tokens.vectors.sum(axis=0) + 0.01 for tokens in self.token_vectors(texts)]
        if progress:
            progress(len(texts))
        return np.array(sums, dtype=np.float32).reshape(len(texts), self.dim)


@hookimpl
def illusion_datasets():
    yield DatasetPlugin("zoo-lines", "700 sentences of the zoo.", lambda: (Record(i, text) for i, text in lines()))


@hookimpl
def illusion_model_layers():
    yield ModelLayerPlugin("zoo-words", "Hashed words of the zoo.", Words)
'''

_DATASET = """
from illusion import DatasetPlugin, Record, hookimpl
from zoo_base import lines

BROKEN = True


def records():
    for number, (identifier, text) in enumerate(lines()):
        {fault}
        yield Record(identifier, text)


@hookimpl
def illusion_datasets():
    yield DatasetPlugin("{name}", "A dataset of the fault zoo.", records)
"""

_LAYER = """
import numpy as np

from illusion import ModelLayerPlugin, hookimpl
from zoo_base import Words

BROKEN = True


class Layer(Words):
    def encode(self, texts, progress=None):
        vectors = super().encode(texts, progress)
        {fault}
        return vectors


@hookimpl
def illusion_model_layers():
    yield ModelLayerPlugin("{name}", "A model layer of the fault zoo.", Layer)
"""

_SAMPLER = """
import numpy as np

from illusion import Directions, DirectionSamplerPlugin, hookimpl, unit_rows

BROKEN = True


def sample(context):
    vectors = unit_rows(context.rng().standard_normal((3, context.dim)))
    {fault}
    return Directions(["0", "1", "2"], vectors)


@hookimpl
def illusion_direction_samplers():
    yield DirectionSamplerPlugin("{name}", "A direction sampler of the fault zoo.", sample)
"""


@dataclass(frozen=True)
class Fault:
    """One broken plugin: its module, kind, registration name, source broken and fixed, and what the host says about it."""

    module: str
    kind: str
    name: str
    broken: str
    fixed: str
    message: str  # the run's error contains this ("": the run does not fail)
    check: str  # the --check failure contains this ("": --check passes)
    clashes_with: str = ""  # the built-in name the broken plugin takes

    @property
    def broken_name(self) -> str:
        """What reaches the broken registration."""
        return f"{DISTRIBUTION}:{self.clashes_with}" if self.clashes_with else self.name

    @property
    def role(self) -> str:
        return {"dataset": "datasets", "model layer": "model", "direction sampler": "samplers"}[self.kind]


def _fault(module: str, kind: str, fault: str, message: str, check: str) -> Fault:
    name = "zoo-" + module.removeprefix("zoo_").replace("_", "-")
    template = {"dataset": _DATASET, "model layer": _LAYER, "direction sampler": _SAMPLER}[kind]
    source = template.replace("{fault}", fault).replace("{name}", name)
    return Fault(module, kind, name, source, source.replace("BROKEN = True", "BROKEN = False"), message, check)


_GOOD_SAMPLER = _SAMPLER.replace("{fault}", "").replace("{name}", "ica")
_GOOD_DATASET = _DATASET.replace("{fault}", "")
_COUNTED_SAMPLER = (
    _SAMPLER.replace("import Directions,", "import Directions, Param,")
    .replace("def sample(context):", "def sample(context, count):")
    .replace('return Directions(["0", "1", "2"], vectors)', "return Directions([str(n) for n in range(len(vectors))], vectors)")
    .replace('sampler of the fault zoo.", sample)', 'sampler of the fault zoo.", sample, [Param("count", int, 2, "how many")])')
)


FAULTS = {
    fault.name: fault
    for fault in (
        _fault(
            "zoo_short_count",
            "model layer",
            "vectors = vectors[:-1] if BROKEN and len(texts) else vectors",
            "model layer 'zoo-short-count' (illusion-fault-zoo 1.0) on dataset 'lines': vectors of 700 sentences must have shape (700, 16), "
            "got (699, 16); nothing was stored",
            "encode must return a float32 array of shape (4, 16), got ndarray float32 (3, 16)",
        ),
        _fault(
            "zoo_wide",
            "model layer",
            "vectors = np.pad(vectors, ((0, 0), (0, 1))) if BROKEN else vectors",
            "model layer 'zoo-wide' (illusion-fault-zoo 1.0) on dataset 'lines': vectors of 700 sentences must have shape (700, 16), got (700, 17)",
            "encode must return a float32 array of shape (4, 16), got ndarray float32 (4, 17)",
        ),
        _fault(
            "zoo_nan_vectors",
            "model layer",
            "vectors[1:2] = np.nan if BROKEN and len(texts) > 1 else vectors[1:2]",
            "model layer 'zoo-nan-vectors' (illusion-fault-zoo 1.0) on dataset 'lines': vectors hold NaN or infinite values (first in row 1)",
            "encode returned NaN or infinite values",
        ),
        _fault(
            "zoo_text_type",
            "dataset",
            "text = len(text) if BROKEN and number == 3 else text",
            "dataset 'lines' (plugin 'zoo-text-type'): record 'line-3': field 'text' is int, expected str",
            "dataset 'zoo-text-type': record 'line-3': field 'text' is int, expected str",
        ),
        _fault(
            "zoo_same_ids",
            "dataset",
            "identifier = 'line-1' if BROKEN and number == 5 else identifier",
            "dataset 'lines' (plugin 'zoo-same-ids'): record id 'line-1' is given twice (records 1 and 5)",
            "record id 'line-1' is given twice (records 1 and 5)",
        ),
        _fault(
            "zoo_empty_text",
            "dataset",
            "text = '   ' if BROKEN and number == 4 else text",
            "dataset 'lines' (plugin 'zoo-empty-text'): record 'line-4' has an empty text",
            "record 'line-4' has an empty text",
        ),
        _fault(
            "zoo_midway",
            "dataset",
            "if BROKEN and number == 5: raise ConnectionError('the corpus server hung up after 5 records')",
            "dataset 'lines' (plugin 'zoo-midway') failed while reading: ConnectionError: the corpus server hung up after 5 records",
            "stable_ids: PluginError: dataset 'zoo-midway' failed while reading: ConnectionError",
        ),
        _fault(
            "zoo_wrong_dim",
            "direction sampler",
            "vectors = np.eye(context.dim + 1)[:3] if BROKEN else vectors",
            "direction sampler 'zoo-wrong-dim': directions must have shape (count, 16), got (3, 17)",
            "directions must have shape (count, 64), got (3, 65)",
        ),
        _fault(
            "zoo_nan_directions",
            "direction sampler",
            "vectors[2] = np.nan if BROKEN else vectors[2]",
            "direction sampler 'zoo-nan-directions': direction 2 (id '2') contains NaN or infinite values",
            "direction 2 (id '2') contains NaN or infinite values",
        ),
        _fault(
            "zoo_zero_directions",
            "direction sampler",
            "vectors[1] = 0.0 if BROKEN else vectors[1]",
            "direction sampler 'zoo-zero-directions': direction 1 (id '1') has length 0",
            "direction 1 (id '1') has length 0",
        ),
        _fault(
            "zoo_global_random",
            "direction sampler",
            "vectors = unit_rows(np.random.standard_normal((3, context.dim))) if BROKEN else vectors",
            "",  # a run cannot tell; --check draws twice
            "is not deterministic for seed 0: use context.rng(seed), not global randomness",
        ),
        _fault(
            "zoo_float64",
            "model layer",
            "vectors = vectors.astype(np.float64) if BROKEN else vectors",
            "model layer 'zoo-float64' (illusion-fault-zoo 1.0) on dataset 'lines': vectors must be a float32 array of "
            "shape (700, 16), got ndarray of float64; nothing was stored",
            "encode must return a float32 array of shape (4, 16), got ndarray float64 (4, 16)",
        ),
        _fault(
            "zoo_late_nan",
            "model layer",
            "vectors[[t.startswith('The quiet ship crossed') for t in texts]] = np.nan if BROKEN else 0.0",
            "model layer 'zoo-late-nan' (illusion-fault-zoo 1.0) on dataset 'lines': vectors hold NaN or infinite values "
            "(first in row 100); nothing was stored",
            "",  # --check's sentences do not hold it
        ),
        _fault(
            "zoo_exit_layer",
            "model layer",
            "if BROKEN: raise SystemExit(0)",
            "model layer 'zoo-exit-layer' failed while encoding: SystemExit(0): plugin code must not exit the program",
            "SystemExit(0): plugin code must not exit the program; raise an exception instead",
        ),
        _fault(
            "zoo_exit_dataset",
            "dataset",
            "if BROKEN and number == 9: raise SystemExit(7)",
            "dataset 'lines' (plugin 'zoo-exit-dataset') failed while reading: SystemExit(7): plugin code must not exit",
            "failed while reading: SystemExit(7): plugin code must not exit the program",
        ),
        _fault(
            "zoo_interrupt",
            "direction sampler",
            "if BROKEN: raise KeyboardInterrupt('raised by the sampler, not by Ctrl-C')",
            "direction sampler 'zoo-interrupt' failed: KeyboardInterrupt: raised by the sampler, not by Ctrl-C",
            "direction sampler 'zoo-interrupt' failed: KeyboardInterrupt: raised by the sampler, not by Ctrl-C",
        ),
        _fault(
            "zoo_base_exception",
            "direction sampler",
            "if BROKEN: raise type('GiveUp', (BaseException,), {})('the sampler gave up')",
            "direction sampler 'zoo-base-exception' failed: GiveUp: the sampler gave up",
            "direction sampler 'zoo-base-exception' failed: GiveUp: the sampler gave up",
        ),
        _fault(
            "zoo_same_directions",
            "direction sampler",
            "vectors[2] = vectors[0] if BROKEN else vectors[2]",
            "direction sampler 'zoo-same-directions': direction 2 (id '2') is the same vector as direction 0 (id '0')",
            "direction 2 (id '2') is the same vector as direction 0 (id '0')",
        ),
        Fault(
            "zoo_too_many",
            "direction sampler",
            "zoo-too-many",
            _COUNTED_SAMPLER.replace("{name}", "zoo-too-many").replace("{fault}", "vectors = vectors[:count + BROKEN]"),
            _COUNTED_SAMPLER.replace("{name}", "zoo-too-many").replace("{fault}", "vectors = vectors[:count]"),
            "direction sampler 'zoo-too-many': gave 3 directions, more than its count = 2",
            "direction sampler 'zoo-too-many': gave 3 directions, more than its count = 2",
        ),
        Fault(
            "zoo_ica",
            "direction sampler",
            "ica",
            _GOOD_SAMPLER.replace("def sample(context):", "def sample(context:"),
            _GOOD_SAMPLER,
            "unknown direction sampler 'ica': its plugin failed to load: illusion-fault-zoo (plugin 'ica'): failed to import "
            "zoo_ica: SyntaxError",
            "failed to import zoo_ica: SyntaxError",
        ),
        Fault(
            "zoo_clash",
            "dataset",
            "zoo-clash",
            _GOOD_DATASET.replace("{name}", "bible"),
            _GOOD_DATASET.replace("{name}", "zoo-clash"),
            "",  # the run gets the built-in bible
            "dataset name 'bible' is already taken by illusion",
            clashes_with="bible",
        ),
    )
}


def install_zoo(site: Path, fixed: frozenset[str] | set[str] = frozenset(), version: str = "1.0", sign: float = 1.0) -> None:
    """(Re)install the zoo into ``site``: every fault broken but those named in ``fixed``.

    ``sign`` changes what the good model layer computes, but not its ``identity``: a new release's code.
    """
    for info in site.glob(f"{DISTRIBUTION.replace('-', '_')}-*.dist-info"):
        shutil.rmtree(info)
    modules = {"zoo_base": BASE.replace("sign = 1.0", f"sign = {sign}")}
    for name, fault in FAULTS.items():
        modules[fault.module] = fault.fixed if name in fixed else fault.broken
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        sys.modules.pop(module, None)
    importlib.invalidate_caches()
    entry_points = {"zoo-base": "zoo_base"} | {
        ("ica" if fault.module == "zoo_ica" else fault.module): fault.module for fault in FAULTS.values()
    }
    add_distribution(site, DISTRIBUTION, version, entry_points)


def assert_cache_sound(cache: Path) -> None:
    """Every entry under ``cache`` is complete, of the size its entry.json states, finite; nothing partial or temporary is left."""
    leftovers = [path for path in cache.rglob("*") if path.name.startswith(".") or path.name == "chunks"]
    assert not leftovers, leftovers
    for folder in cache.iterdir() if cache.exists() else ():
        if folder.name == TOKENS:  # cached driving tokens: whole JSON files
            assert all(isinstance(json.loads(file.read_text(encoding="utf-8")), dict) for file in folder.iterdir()), folder
            continue
        if folder.name == DERIVED:  # derived values: whole JSON or .npz files
            for file in folder.glob("*/*"):
                assert json.loads(file.read_text(encoding="utf-8")) is not None if file.suffix == ".json" else np.load(file).files
            continue
        about = json.loads((folder / "entry.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "vectors.npy")
        assert vectors.shape == (about["size"], about["dim"]) and np.isfinite(vectors).all(), folder
