"""A run of 2,000+ directions of the bundled MiniLM, diagnosed, with hostile sentences and a hostile campaign."""

import json
import threading
from contextlib import contextmanager
from pathlib import Path

from illusion.diagnostics.suite import write_diagnostics
from illusion.run.config import load_config
from illusion.run.folder import AGREEMENT
from illusion.run.pipeline import run
from tests.helpers.run_configs import write_text_run_config

HOSTILE = ['<script>window.owned = "script"</script> the cat', "<img src=x onerror=\"window.owned = 'img'\"> the dog"]
SUBJECTS = ["the cat", "a dog", "the horse", "my parrot", "the old fox", "a small mouse", "the king", "a prophet"]
VERBS = ["sat on", "ran past", "looked at", "slept near", "was hiding behind"]
PLACES = ["the mat", "the temple", "the river", "a wooden box", "the garden", "the mountain"]


def data(out: Path, name: str):
    """An explorer data file's content (``out/data/NAME.js``), read back as the page receives it."""
    text = (out / "data" / f"{name}.js").read_text(encoding="utf-8")
    prefix = f"EXPLORE.put({json.dumps(name)},"
    assert text.startswith(prefix) and text.endswith(");\n")
    return json.loads(text[len(prefix) : -3])


def explanation(direction: str, source: str, text: str, verdicts: dict[str, str], auroc: float = 0.9) -> dict:
    """One row of explanations.jsonl as ``illusion explain`` writes it, scored on each target of ``verdicts``."""
    return {
        "direction": direction,
        "condition": "",
        "role": "",
        "explainer": "keywords",
        "source": source,
        "explanation": text,
        "detector": "words:cat,dog",
        "options": {},
        "scores": {
            target: {
                "auroc": auroc - 0.3 * n,
                "auroc_low": auroc - 0.1 - 0.3 * n,
                "auroc_high": auroc + 0.05 - 0.3 * n,
                "p_value": 0.01,
                "matches": 4,
                "sentences": 40,
                "verdict": verdict,
            }
            for n, (target, verdict) in enumerate(verdicts.items())
        },
        "transfer_gap": 0.3,
        "transfer_gap_low": 0.1,
        "transfer_gap_high": 0.5,
        "holds_elsewhere": False,
    }


@contextmanager
def serving(folder: Path, ondemand=None):
    """The explorer in ``folder`` served on loopback in a thread (``ondemand`` computes other directions); its address."""
    from illusion.explore.serve import server, url

    httpd = server(folder, ondemand=ondemand)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield url(httpd)
    finally:
        httpd.shutdown()
        httpd.server_close()


def sentences(seed: int, count: int) -> list[str]:
    return [
        f"{SUBJECTS[(i + seed) % 8]} {VERBS[(i * 3 + seed) % 5]} {PLACES[(i * 7 + seed) % 6]} number {i}." for i in range(count)
    ]


def write_big_run(folder: Path) -> tuple[Path, dict, str]:
    """A diagnosed 2,016-direction run of the bundled MiniLM whose first direction has a campaign with hostile descriptions.

    Returns (run folder, manifest, a direction whose top set holds a hostile sentence).
    """
    config = write_text_run_config(
        folder,
        {"stories": sentences(0, 40) + HOSTILE, "fables": sentences(3, 40), "chronicle": sentences(5, 40)},
        "all-MiniLM-L6-v2",
        samplers=({"plugin": "random", "count": 2000}, {"plugin": "neuron", "count": 16}),
        k=5,
        controls=1,
    )
    result = run(load_config(config), folder / "run")
    write_diagnostics(folder / "run", datasets=result.datasets)
    first = result.manifest.directions[0].id
    campaign = {"datasets": {"stories": {"call": "pattern", "votes": {"yes": 2, "no": 0}, "descriptions": [HOSTILE[1]]}}}
    (folder / "run" / AGREEMENT).write_text(
        json.dumps({"cross_dataset": {"directions": {first: {"call": "dataset-level", "reason": HOSTILE[0], **campaign}}}})
    )
    hostile = next(r.direction for r in result.topk if any(e.text in HOSTILE for e in r.top))
    return folder / "run", result.manifest.to_json(), hostile
