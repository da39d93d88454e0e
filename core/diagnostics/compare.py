"""Several runs side by side (``illusion compare``): their headline findings per condition, how their
illusion scores rank the same directions, which settings they differ in, and each run's sanity warnings
(a flagged run's findings may order noise).

A run's headline comes from its ``stats.json`` and, when diagnosed, its ``diagnostics.json``. The
settings compared are the runs' configurations with the model layer's resolved identity and each
dataset's content hash (where the vectors are cached, the device and batch size left out) and their
diagnostics settings; comparing runs that differ in more than one
setting is allowed, with a warning that the differences cannot be put down to one of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

from illusion.run.schema import Diagnostics, FindingEntry, Manifest, Stats

IGNORED_SETTINGS = {"cache_dir", "diagnostics", "model.device", "model.batch_size"}


def flat_settings(config: Mapping[str, Any], diagnostics: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A run's settings as ``key.path`` -> value; datasets by name, samplers by label, diagnostics under ``diagnose.``."""
    flat: dict[str, Any] = {}

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, f"{prefix}{key}.")
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) and ("name" in v or "label" in v) for v in value):
            for item in value:
                name = item.get("name", item.get("label"))
                walk({k: v for k, v in item.items() if k not in ("name", "label")}, f"{prefix}{name}.")
        else:
            flat[prefix.rstrip(".")] = value

    walk(config, "")
    if diagnostics is not None:
        walk(diagnostics, "diagnose.")
    return {key: value for key, value in flat.items() if key not in IGNORED_SETTINGS}


def run_settings(manifest: Manifest) -> dict[str, Any]:
    """The configuration with the model's resolved identity (layer, pooling, ... with defaults filled in) and each dataset's content hash."""
    config: dict[str, Any] = dict(manifest.config)
    config["model"] = {**config.get("model", {}), **(manifest.model or {})}
    hashes = {d.name: d.hash for d in manifest.datasets}
    config["datasets"] = [{**d, "content": hashes.get(d.get("name"))} for d in config.get("datasets", [])]
    return config


def differing(settings: Sequence[Mapping[str, Any]]) -> list[str]:
    """The setting keys whose value is not the same in every run (missing counts as a value, except for the
    diagnostics settings of a run not diagnosed)."""
    keys = sorted(set().union(*settings))
    return [
        key
        for key in keys
        if len({repr(s.get(key, "<unset>")) for s in settings if key in s or not key.startswith("diagnose.")}) > 1
    ]


def headline(stats: Stats, diagnostics: Diagnostics | None) -> dict[str, Any]:
    """One run's findings: separability, and per condition its directions, the range overlap of its statistics and,
    when diagnosed, the value of every per-condition finding its diagnostics declare (``findings`` in ``diagnostics.json``)."""
    conditions: dict[str, dict[str, Any]] = {}
    for condition, row in stats.conditions.items():
        conditions[condition] = {"directions": row.directions, "range_overlap": row.range_overlap_share}
    for key, finding in per_condition(diagnostics).items():
        for condition, entry in conditions.items():
            measured = finding.values.get(condition)
            entry[key] = measured.value if measured else None
    fractions = diagnostics.settings.get("fractions") if diagnostics else None
    return {
        "separability": stats.separability.accuracy,
        "chance": stats.separability.chance,
        "outlier_fraction": fractions[0] if isinstance(fractions, list) and fractions else None,
        "conditions": conditions,
    }


def per_condition(diagnostics: Diagnostics | None) -> dict[str, FindingEntry]:
    """The findings of a run's diagnostics that have a value per condition, by key (none when not diagnosed)."""
    return {key: f for key, f in diagnostics.findings.items() if f.per_condition} if diagnostics else {}


def measures(diagnostics: Sequence[Diagnostics | None]) -> list[dict[str, str]]:
    """The rows of every comparison table: each per-condition finding of any run (key, title, how it is shown);
    the statistics' range overlap alone when no run is diagnosed."""
    found = {key: {"key": key, "title": f.title, "shown": f.shown} for d in diagnostics for key, f in per_condition(d).items()}
    return list(found.values()) or [{"key": "range_overlap", "title": "Top-k range overlap", "shown": "percent"}]


def score_correlations(scores: Mapping[str, Mapping[str, float | None]]) -> list[dict[str, Any]]:
    """Spearman rank correlation of illusion scores for each pair of runs, over the direction ids both scored."""
    from scipy.stats import spearmanr

    rows = []
    for a, b in combinations(scores, 2):
        shared = sorted(i for i in scores[a] if scores[a][i] is not None and scores[b].get(i) is not None)
        rho = None
        if len(shared) >= 3:
            x, y = [scores[a][i] for i in shared], [scores[b][i] for i in shared]
            if len(set(x)) > 1 and len(set(y)) > 1:
                rho = float(spearmanr(x, y).statistic)
        rows.append({"runs": [a, b], "directions": len(shared), "spearman": rho})
    return rows


def compare(runs: Mapping[str, Any]) -> dict[str, Any]:
    """The comparison of ``runs`` (label -> :class:`illusion.run.view.RunView`), JSON-able."""
    views = dict(runs)
    typed = {label: view.folder.diagnostics() for label, view in views.items()}
    diagnostics = {label: found.to_json() if found else None for label, found in typed.items()}
    settings = [
        flat_settings(run_settings(view.manifest), (diagnostics[label] or {}).get("settings")) for label, view in views.items()
    ]
    changed = differing(settings)
    scores = {
        label: {i: d["score"] for i, d in found["illusion_score"]["directions"].items()} if found else {}
        for label, found in diagnostics.items()
    }
    shared = [i for i in next(iter(views.values())).direction_ids if all(i in v.direction_ids for v in views.values())]
    return {
        "runs": [
            {
                "label": label,
                "path": str(view.path),
                "run_id": view.run_id,
                "diagnosed": diagnostics[label] is not None,
                "settings": {key: settings[number].get(key) for key in changed},
                "flags": flags(diagnostics[label]),
                "reliability": ((diagnostics[label] or {}).get("uncertainty") or {}).get("reliability"),
                **headline(view.folder.stats(), typed[label]),
            }
            for number, (label, view) in enumerate(views.items())
        ],
        "findings": measures(list(typed.values())),
        "differing_settings": changed,
        "warning": _warning(changed),
        "score_correlation": score_correlations(scores),
        "directions": {i: {label: scores[label].get(i) for label in views} for i in shared},
    }


def flags(diagnostics: Mapping[str, Any] | None) -> list[str]:
    """The sanity warnings of a run's diagnostics (``sanity.checks`` of severity ``warning``): its findings may order noise."""
    checks = ((diagnostics or {}).get("sanity") or {}).get("checks", [])
    return [check["check"] for check in checks if check["severity"] == "warning"]


def _warning(changed: Sequence[str]) -> str | None:
    if len(changed) > 1:
        return (
            f"the runs differ in {len(changed)} settings ({', '.join(changed)}): "
            "a difference in their findings cannot be put down to one of them"
        )
    if not changed:
        return "the runs have the same settings: differences come from the data or the code version only"
    return None
