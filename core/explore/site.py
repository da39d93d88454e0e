"""Write the explorer of a run as a folder of static files: ``index.html``, its script and style, and ``data/``."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
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


def fingerprint(run_dir: str | Path) -> str:
    """What a served explorer's site depends on: every file of the run folder (name, size, modification time; a
    rewritten file is a new one) and the explorer's own code."""
    digest = hashlib.sha256()
    for file in sorted(Path(run_dir).iterdir()):
        if file.is_file():
            found = file.stat()
            digest.update(f"{file.name}\0{found.st_size}\0{found.st_mtime_ns}\n".encode())
    package = resources.files("illusion.explore")
    for name in ("build.py", "sentences.py", "words.py", "explanations.py", "site.py", "templates/index.html.j2", *STATIC):
        part = package.joinpath(*(("static", name) if name in STATIC else name.split("/")))
        digest.update(part.read_bytes())
    return digest.hexdigest()


def cached_site(run_dir: str | Path, cache: str | Path, reporter: Reporter | None = None) -> Path:
    """The explorer of the run in ``run_dir``, kept under ``cache``: written when the run (or the explorer) changed
    since it was last written, else the one written before, at once."""
    run = Path(run_dir).resolve()
    home = Path(cache) / "explore" / hashlib.sha256(str(run).encode()).hexdigest()[:20]
    key, site = fingerprint(run), home / "site"
    if (home / "key").is_file() and (home / "key").read_text() == key and (site / MARKER).exists():
        return site
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=home, prefix="new-") as new:
            write_site(run, Path(new) / "site", reporter)
            old = Path(new) / "old"
            (home / "key").unlink(missing_ok=True)
            if site.exists():
                os.replace(site, old)  # removed with the temporary folder
            os.replace(Path(new) / "site", site)
    except OSError as exc:
        raise IllusionError(
            f"{home}: cannot keep the explorer there ({exc.strerror}); set ILLUSION_CACHE_DIR to a writable folder, "
            "or write a static explorer with --static OUT"
        ) from None
    write_text(home / "key", key)
    return site
