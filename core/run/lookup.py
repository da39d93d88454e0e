"""Any direction a question may name: a direction of the run, any neuron of the layer, a file, or a vector.

``spec`` is one of
- a direction id of the run (``neuron:17``, ``pca:0``);
- a neuron index: an int, ``"17"``, or ``CONDITION:17`` where ``CONDITION`` names a neuron sampler of the run
  (``neuron:300`` works whether or not neuron 300 was sampled);
- ``file:PATH`` or ``file:PATH#ROW``: a row of a ``.npy``, ``.pt`` or ``.safetensors`` file, read by the
  built-in ``file`` direction sampler (the only row of a one-row file when ``#ROW`` is left out);
- a vector of the layer's size (numpy array or list).

Vectors are scaled to unit length, as a run's directions are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from illusion.common.hints import did_you_mean
from illusion.errors import IllusionError
from illusion.run.schema import Manifest

_NEURON = re.compile(r"^(?:([a-z][a-z0-9]*(?:[-_][a-z0-9]+)*):)?(\d+)$")
_FILE_ROW = re.compile(r"^(.*)#(\d+)$")

DirectionSpec = str | int | np.ndarray | Sequence[float]


def resolve_direction(
    spec: DirectionSpec,
    ids: Sequence[str],
    directions: np.ndarray,
    neuron_conditions: Sequence[str],
    host: Any = None,
) -> tuple[str, np.ndarray]:
    """(name, unit vector) of ``spec`` in a run with direction ``ids`` (rows of ``directions``).

    ``neuron_conditions`` are the run's conditions of neuron samplers; ``host`` reads direction files.
    """
    dim = directions.shape[1]
    if isinstance(spec, str) and spec in ids:
        return spec, np.asarray(directions[list(ids).index(spec)], dtype=np.float32)
    if isinstance(spec, int | np.integer) and not isinstance(spec, bool):
        return _neuron(int(spec), dim)
    if isinstance(spec, str):
        neuron = _NEURON.match(spec)
        if neuron and (neuron.group(1) is None or neuron.group(1) in neuron_conditions):
            return _neuron(int(neuron.group(2)), dim)
        if spec.startswith("file:"):
            return spec, _file_row(spec[len("file:") :], dim, host)
        hint = did_you_mean(spec, ids, n=3) or (f" (e.g. {ids[0]!r})" if ids else "")
        raise IllusionError(f"no direction {spec!r} in this run{hint}; give a direction id, a neuron index, or file:PATH[#ROW]")
    return "vector", _unit(np.asarray(spec, dtype=np.float64), dim, "the vector")


def neuron_conditions(manifest: Manifest) -> list[str]:
    """The run's conditions sampled by the neuron sampler (``CONDITION:N`` then names neuron N)."""
    return list(dict.fromkeys(d.condition for d in manifest.directions if d.sampler == "neuron"))


def _neuron(index: int, dim: int) -> tuple[str, np.ndarray]:
    if not 0 <= index < dim:
        raise IllusionError(f"neuron {index} is outside this layer's 0..{dim - 1}")
    vector = np.zeros(dim, dtype=np.float32)
    vector[index] = 1.0
    return f"neuron {index}", vector


def _file_row(text: str, dim: int, host: Any) -> np.ndarray:
    from illusion.directions import SamplerContext
    from illusion.host import Host

    row = _FILE_ROW.match(text)
    path, number = (row.group(1), int(row.group(2))) if row else (text, None)
    found = (host or Host()).get("direction sampler", "file").sample(SamplerContext(dim, 0), {"path": path})
    if number is None and len(found.vectors) != 1:
        raise IllusionError(f"{path}: holds {len(found.vectors)} directions; choose one with file:{path}#ROW")
    number = number or 0
    if not 0 <= number < len(found.vectors):
        raise IllusionError(f"{path}: no row {number} (it has {len(found.vectors)})")
    return _unit(found.vectors[number], dim, path)


def _unit(vector: np.ndarray, dim: int, what: str) -> np.ndarray:
    if vector.shape != (dim,) or not np.isfinite(vector).all() or not np.linalg.norm(vector) > 0:
        raise IllusionError(f"{what}: a direction must be {dim} finite numbers, not all zero (got shape {vector.shape})")
    return (vector / np.linalg.norm(vector)).astype(np.float32)
