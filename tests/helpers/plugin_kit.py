"""Helpers of the plugin-kit tests: hook names and signatures, fake installed distributions."""

from __future__ import annotations

import inspect
from pathlib import Path

from illusion import hookspecs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "illusion-example-plugin"
DOCS = ROOT / "docs" / "plugins.md"
HOOKS = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, f"{hookspecs.PROJECT}_spec"))


def signature(hook: str) -> str:
    """A hookspec's signature as written in its source: ``illusion_task_predictions(task: dict) -> list[dict] | None``."""
    spec = inspect.signature(getattr(hookspecs, hook))
    params = ", ".join(f"{p.name}: {p.annotation}" if p.annotation is not p.empty else p.name for p in spec.parameters.values())
    return f"{hook}({params})" + (f" -> {spec.return_annotation}" if spec.return_annotation is not spec.empty else "")


def add_distribution(site: Path, name: str, version: str, entry_points: dict[str, str]) -> None:
    """A ``*.dist-info`` folder with ``illusion`` entry points, as ``pip install`` writes it."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[illusion]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()), encoding="utf-8"
    )
