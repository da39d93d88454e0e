"""The one exception type that the command line turns into a clear, one-line message."""


class IllusionError(Exception):
    """A problem the user can fix: the message names what is wrong and how to fix it."""


class PluginError(IllusionError):
    """A plugin could not be loaded, registered, configured or run."""


class PluginUnavailable(PluginError):
    """A plugin cannot run on this machine (a missing package, corpus, file or device), through no fault of its own.

    Raise it from a factory so that ``illusion plugins --check`` skips the plugin's checks instead of failing them.
    """


class MissingParameter(PluginError):
    """A required plugin parameter was given no value."""


class ConfigError(IllusionError):
    """A configuration file or command-line override is unreadable or invalid."""


def check_annotation_run(found: object, run_id: str, where: str) -> None:
    """Raise when an annotation's ``run_id`` (``found``; None when the row has none) names another run than ``run_id``."""
    if found not in (None, run_id):
        raise IllusionError(f"{where}: annotation of run {found}, not of this run {run_id}")


class IllusionWarning(UserWarning):
    """Something the user should know that does not stop the work (the command line prints it as one line)."""
