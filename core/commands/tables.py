"""``illusion tables``: a run's findings as tidy Parquet or CSV files."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from illusion.commands.options import RUN_DIR
from illusion.run.tables import FORMATS


@click.command()
@RUN_DIR
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="parquet", show_default=True, help="File format.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder to write (default: RUN_DIR/tables).")
@click.option("--activations", is_flag=True, help="Also every sentence's activation on every direction (reads the store).")
def tables(run_dir: Path, fmt: str, out: Path | None, activations: bool) -> None:
    """Write RUN_DIR's tables (the same as illusion.open_run gives) as files, one per table.

    facts, directions, topk, controls, stats, range_overlap; diagnostics, findings and annotations when
    the run has them. The columns are documented in docs/analysis.md.
    """
    from illusion.run.tables import write_tables
    from illusion.run.view import open_run

    written = write_tables(open_run(run_dir), out or run_dir / "tables", fmt, activations)
    console = Console()
    for name, (path, rows) in written.items():
        console.print(f"{name:>14}  {rows:>7} rows  {path}", soft_wrap=True)
