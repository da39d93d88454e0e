"""Write the explorer of a run as a folder of static files: ``index.html``, its script and style, and ``data/``."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

from illusion.common.files import write_text
from illusion.common.progress import Reporter
from illusion.errors import IllusionError
from illusion.explore.build import Explorer
from illusion.explore.source import open_source
from illusion.report.pages import environment

STATIC = ("explore.js", "explore.css")
MARKER = ".illusion-explore"  # marks a folder this module wrote, so it may be replaced


def script(name: str, data: object) -> str:
    """A data file: a script handing ``data`` to the page. ``<`` is escaped so no text can close the script."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f"EXPLORE.put({json.dumps(name)},{text});\n"


def write_site(run_dir: str | Path, out: str | Path, reporter: Reporter | None = None) -> Path:
    """The explorer of the run in ``run_dir`` written to ``out`` (created, or replaced if it holds an earlier explorer)."""
    reporter = reporter or Reporter(quiet=True)
    source = open_source(run_dir)
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise IllusionError(f"{out}: exists and is not an explorer folder; pick a new or empty folder for --static")
    shutil.rmtree(out / "data", ignore_errors=True)
    explorer = Explorer(source)
    with reporter.step("explorer pages", len(explorer.ids)) as advance:
        for name, data in explorer.files():
            write_text(out / "data" / f"{name}.js", script(name, data))
            if name.startswith("d/"):
                advance(len(data))
    page = environment("illusion.explore").get_template("index.html.j2").render(run=source.manifest, static=STATIC)
    write_text(out / "index.html", page)
    for name in STATIC:
        write_text(out / name, resources.files("illusion.explore").joinpath("static", name).read_text(encoding="utf-8"))
    write_text(out / MARKER, "written by `illusion explore --static`; the folder may be replaced by the next one\n")
    return out
