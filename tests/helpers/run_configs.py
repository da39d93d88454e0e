"""Run configurations for end-to-end tests, written with a TOML writer."""

from pathlib import Path

import tomli_w

SAMPLERS = ({"plugin": "neuron", "count": 4}, {"plugin": "random", "count": 3})
TWO_OF_EACH = ({"plugin": "neuron", "count": 2}, {"plugin": "random", "count": 2})


def write_run_config(
    path: Path, model: dict, datasets: list[dict], samplers=SAMPLERS, *, seed=0, k=3, controls=1, **settings
) -> Path:
    """Write a run configuration to ``path`` and return ``path``.

    ``settings`` are further top-level keys, e.g. ``cache_dir`` or ``store_dtype``.
    """
    config = {"seed": seed, "k": k, "controls": controls, **settings, "model": model, "datasets": datasets, "samplers": samplers}
    path.write_text(tomli_w.dumps(config), encoding="utf-8")
    return path


def write_text_run_config(folder: Path, sentences: dict, model, *, samplers=SAMPLERS, seed=1, k=3, controls=2) -> Path:
    """``folder/run.toml`` over plain-text datasets (dataset name -> lines, written beside it) on a local model folder."""
    for name, lines in sentences.items():
        (folder / f"{name}.txt").write_text("\n".join(lines) + "\n")
    datasets = [{"name": name, "plugin": "text", "path": str(folder / f"{name}.txt"), "min_words": 1} for name in sentences]
    return write_run_config(
        folder / "run.toml",
        {"plugin": "transformer", "model": str(model), "device": "cpu"},
        datasets,
        samplers,
        seed=seed,
        k=k,
        controls=controls,
    )
