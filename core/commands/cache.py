"""``illusion cache``: list, prune and clear the activation store (the sentence vectors runs reuse)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from illusion.errors import ConfigError

_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
cache_dir_option = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The store to act on (default: $ILLUSION_CACHE_DIR, else ~/.cache/illusion; a run's cache_dir if it set one).",
)


def _store(cache_dir: Path | None):
    """The store named by the sub-command's --cache-dir, else by the group's, else the default one."""
    from illusion.run.store import ActivationStore, default_cache_dir

    parent = click.get_current_context().parent
    parent = parent.params.get("cache_dir") if parent else None
    chosen = cache_dir or parent
    return ActivationStore(chosen.expanduser() if chosen else default_cache_dir())


def parse_size(text: str) -> int:
    """``500M``, ``10G``, ``1.5GB`` or a number of bytes."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", text.lower())
    if not found:
        raise ConfigError(f"size {text!r}: write a number with an optional unit, e.g. 500M or 10G")
    return int(float(found.group(1)) * _UNITS[found.group(2)])


def parse_age(text: str) -> float:
    """``30d``, ``12h``, ``90m``, ``2w`` or a number of days, in seconds."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text.lower())
    if not found:
        raise ConfigError(f"age {text!r}: write a number with a unit, e.g. 30d, 12h or 2w")
    return float(found.group(1)) * _SECONDS[found.group(2) or "d"]


def human_size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def human_age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


@click.group(invoke_without_command=True)
@cache_dir_option
@click.pass_context
def cache(ctx: click.Context, cache_dir: Path | None) -> None:
    """List the activation store's entries (model, dataset, size, age); prune or clear it with the sub-commands."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_, cache_dir=cache_dir)


@cache.command("list")
@cache_dir_option
def list_(cache_dir: Path | None) -> None:
    """One line per entry, oldest first: model, dataset, size, age (and whether it is still being filled)."""
    store = _store(cache_dir)
    entries = store.entries()
    if not entries:
        click.echo(f"{store.root}: empty")
        return
    for entry in entries:
        state = "" if entry.complete else "  (partial)"
        click.echo(f"{entry.key}  {human_size(entry.bytes):>9}  {human_age(entry.age):>4}  {entry.model}  {entry.dataset}{state}")
    click.echo(f"{len(entries)} entries, {human_size(sum(e.bytes for e in entries))} in {store.root}")


@cache.command()
@cache_dir_option
@click.option("--older-than", metavar="AGE", help="Remove entries not used for this long, e.g. 30d, 12h, 2w.")
@click.option("--max-size", metavar="SIZE", help="Then remove the oldest entries until the store fits, e.g. 10G.")
def prune(cache_dir: Path | None, older_than: str | None, max_size: str | None) -> None:
    """Remove old entries, then the oldest ones until the store fits a size."""
    if older_than is None and max_size is None:
        raise click.UsageError("give --older-than, --max-size or both")
    store = _store(cache_dir)
    removed = store.prune(
        None if older_than is None else parse_age(older_than), None if max_size is None else parse_size(max_size)
    )
    click.echo(f"removed {len(removed)} entries ({human_size(sum(e.bytes for e in removed))}) from {store.root}")


@cache.command()
@cache_dir_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def clear(cache_dir: Path | None, yes: bool) -> None:
    """Remove every entry: the next runs recompute their vectors."""
    store = _store(cache_dir)
    entries = store.entries()
    if entries and not yes:
        click.confirm(
            f"remove {len(entries)} entries ({human_size(sum(e.bytes for e in entries))}) from {store.root}?", abort=True
        )
    for entry in entries:
        store.remove(entry)
    click.echo(f"removed {len(entries)} entries from {store.root}")
