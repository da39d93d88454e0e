"""The ``illusion`` command line: one sub-command per campaign step."""

from __future__ import annotations

import importlib
import sys
import warnings

import click

from illusion.errors import IllusionError, IllusionWarning
from illusion.registrations import Interrupted, watch_ctrl_c

# Sub-commands live next to the code they drive and are imported only when used,
# so ``illusion --help`` stays fast and a broken optional part never breaks the others.
COMMANDS = {
    "run": "illusion.commands.run:run",
    "init": "illusion.commands.run:init",
    "plugins": "illusion.commands.plugins:plugins",
    "cache": "illusion.commands.cache:cache",
    "new-plugin": "illusion.commands.new_plugin:new_plugin",
    "diagnose": "illusion.commands.diagnose:diagnose",
    "ray-extract": "illusion.commands.ray_extract:main",
    "test-concept": "illusion.commands.concepts:test_concept",
    "find-concept": "illusion.commands.concepts:find_concept",
    "labelstudio": "illusion.commands.labelstudio:labelstudio",
    "export": "illusion.commands.labelstudio:export",
    "import": "illusion.commands.labelstudio:import_",
    "agree": "illusion.commands.agree:agree",
    "explore": "illusion.commands.explore:explore",
    "tables": "illusion.commands.tables:tables",
    "compare": "illusion.commands.compare:compare",
    "sweep": "illusion.commands.sweep:sweep",
    "campaign": "illusion.commands.campaign:campaign",
    "explain": "illusion.commands.explain:explain",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="illusion")
def cli() -> None:
    """Find what directions in a model's embedding space mean, on several datasets at once."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: every expected failure becomes one line on stderr and exit status 1."""
    warnings.showwarning = _show_warning
    watch_ctrl_c()
    try:
        cli.main(args=argv, prog_name="illusion", standalone_mode=False)
    except IllusionError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Abort as exc:
        click.echo(f"aborted: {exc.__cause__}" if isinstance(exc.__cause__, Interrupted) else "aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


_default_showwarning = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print illusion's own warnings as one line, ``warning: ...``; others as Python does."""
    if issubclass(category, IllusionWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


if __name__ == "__main__":  # python -m illusion.cli
    main()
