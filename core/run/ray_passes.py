"""One pass of a distributed run over every shard, as Ray tasks: retried when a worker is lost, resumable.

Each shard's summary is written on the head, atomically, as it arrives (``.shards/`` in the run
folder, under a name that digests the pass's inputs), so a run started again skips the shards a
stopped one finished. The bytes of each summary, as pickled, are counted: what crossed the network.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from illusion.common.files import atomic_writer
from illusion.common.progress import Reporter
from illusion.errors import IllusionError
from illusion.run.shard_work import Shard

SHARDS = ".shards"  # in the run folder while a distributed run is under way


def digest(*parts: Any) -> str:
    """A short name for a pass's inputs (pickled): a change of any input starts the pass afresh."""
    return hashlib.sha256(pickle.dumps(parts)).hexdigest()[:16]


class Passes:
    """Runs the passes of one distributed run, keeping every finished shard's summary in ``out/.shards``."""

    def __init__(self, out: Path, retries: int, resources: dict[str, float], reporter: Reporter):
        self.folder = out / SHARDS
        self.retries, self.resources, self.reporter = retries, resources, reporter
        self.moved: dict[str, int] = {}  # pass -> bytes of summaries that came back
        self.resumed = 0  # shards found finished on disk

    def run(
        self, name: str, inputs: str, jobs: Sequence[tuple[Shard, tuple]], work: Callable[..., Any], *shared: Any
    ) -> list[Any]:
        """``work(shard, *own, *shared)`` for every ``(shard, own)`` job, on the cluster; the results in ``jobs``' order."""
        import ray

        folder = self.folder / f"{name}-{inputs}"
        shards = [shard for shard, _ in jobs]
        done: dict[int, Any] = {}
        for shard in shards:
            file = folder / f"{shard.number:06d}.pkl"
            if file.exists():
                done[shard.number] = pickle.loads(file.read_bytes())
                self.resumed += 1
        task = ray.remote(max_retries=self.retries, **self.resources)(work)  # type: ignore[call-overload]
        refs = [ray.put(arg) for arg in shared]  # sent to each node once, not once per task
        pending = {task.remote(shard, *own, *refs): shard for shard, own in jobs if shard.number not in done}
        failed: dict[int, IllusionError] = {}
        with self.reporter.step(f"ray: {name}", len(shards)) as advance:
            advance(len(done))
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                shard = pending.pop(ready[0])
                try:
                    result = _get(ray, ready[0], shard)
                except IllusionError as exc:  # the other shards finish and are kept, for the next start
                    failed[shard.number] = exc
                    continue
                data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
                with atomic_writer(folder / f"{shard.number:06d}.pkl", "wb") as handle:
                    handle.write(data)
                self.moved[name] = self.moved.get(name, 0) + len(data)
                done[shard.number] = result
                advance(1)
        if failed:
            raise failed[min(failed)]  # the first shard's: the same error whichever finished first
        return [done[shard.number] for shard in shards]

    def finish(self) -> None:
        """The run is written: its shard summaries are no longer needed."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _get(ray: Any, ref: Any, shard: Shard) -> Any:
    """A task's result, or a clear error saying which shard failed and what every node needs."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None) or exc
        text = str(cause).strip().splitlines()[-1] if str(cause).strip() else type(cause).__name__
        if isinstance(cause, ImportError) or "No module named 'illusion" in str(exc):
            raise IllusionError(
                f"a Ray worker cannot import illusion (shard {shard.label}): install the same illusion, "
                "its plugins and the model on every node of the cluster"
            ) from None
        raise IllusionError(
            f"a Ray worker failed on shard {shard.label}: {text}; every node needs the same illusion, plugins, "
            "data files and model (at the same paths)"
        ) from None
    except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.RaySystemError) as exc:
        raise IllusionError(
            f"Ray lost the worker of shard {shard.label} more than --ray-retries times ({type(exc).__name__}); "
            "start the run again: finished shards are kept"
        ) from None
