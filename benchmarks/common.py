"""What every benchmark shares: the machine's description, its matmul peak, corpus sentences, results."""

from __future__ import annotations

import os
import platform
import resource
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from illusion.common.files import write_json

RESULTS = Path(__file__).resolve().parent / "results"


def load() -> str:
    """The 1-minute load average, to print beside a figure (2 busy cores read about 2.0)."""
    return f"{os.getloadavg()[0]:.2f}"


def machine(device: str = "cpu") -> dict[str, Any]:
    import torch

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    info = {
        "cpu": cpu,
        "cpu_kind": cpu_kind(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "load_at_start": load(),
    }
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name()
    return info


def cpu_kind() -> str:
    """The vector instructions that decide which kernels run: AVX-512 or AVX2, and whether bfloat16 is native."""
    flags = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else ():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    width = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    native = [name for flag, name in (("avx512_bf16", "AVX512-BF16"), ("amx_bf16", "AMX")) if flag in flags]
    return f"{width}, bfloat16 " + (f"native ({', '.join(native)})" if native else "not native")


def best_seconds(work: Callable[[], Any], repeats: int, sync: Callable[[], None] = lambda: None) -> float:
    """The fastest of ``repeats`` timed calls, after one untimed warm-up call."""
    work()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        sync()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_peak(device: str, dtype: str = "float32") -> float:
    """The best GFLOP/s of a square torch matrix product on ``device`` (TF32 off: a true float32 peak)."""
    import torch

    n = 8192 if device == "cuda" else 2048
    a = torch.randn(n, n, device=device, dtype=getattr(torch, dtype))
    b = torch.randn(n, n, device=device, dtype=getattr(torch, dtype))
    torch.backends.cuda.matmul.allow_tf32 = False
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    return 2 * n**3 / best_seconds(lambda: a @ b, 10 if device == "cuda" else 5, sync) / 1e9


def corpus(n: int, sentences: str | None = None) -> list[str]:
    """``n`` sentences: the lines of the file ``sentences``, else a seeded sample of the embedded Wikipedia leads."""
    if sentences:
        texts = [line for line in Path(sentences).read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        from illusion.host import Host

        texts = [record.text for record in Host().get("dataset", "wikipedia").load({"n": n}, seed=0)]
    if len(texts) < n:
        raise SystemExit(f"asked for {n} sentences, the corpus has {len(texts)}: lower --n")
    return texts[:n]


class PeakMemory:
    """Peak anonymous resident memory (the heap, excluding mapped files) of this process, sampled every 10 ms."""

    def __init__(self) -> None:
        self.start_kib = self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    @staticmethod
    def _anon_kib() -> int:
        status = Path("/proc/self/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("RssAnon:")))

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            self.peak_kib = max(self.peak_kib, self._anon_kib())

    def __enter__(self) -> PeakMemory:
        self.start_kib = self.peak_kib = self._anon_kib()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mib(self) -> float:
        return round(self.peak_kib / 1024, 1)

    @property
    def start_mib(self) -> float:
        return round(self.start_kib / 1024, 1)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, mapped files included (getrusage)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    cells = [[str(row.get(column, "")) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in cells]
    return "\n".join(lines)


def save(name: str, results: dict[str, Any], out: str | None) -> Path:
    """Write ``results`` as JSON to ``out`` (a file or folder), else to benchmarks/results/NAME.json."""
    path = Path(out) if out else RESULTS / f"{name}.json"
    if path.is_dir() or (out and out.endswith("/")):
        path = path / f"{name}.json"
    results["machine"]["load_at_end"] = load()
    write_json(path, results)
    return path


def report(
    name: str,
    info: dict[str, Any],
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    out: str | None,
    note: str,
    **figures: Any,
) -> Path:
    """Save a benchmark's results (machine, ``figures``, rows) as ``save`` does, then print its table and ``note`` with the file."""
    path = save(name, {"benchmark": name, "machine": info, **figures, "rows": rows}, out)
    print(table(rows, columns))
    print(f"{note}; {path}")
    return path
