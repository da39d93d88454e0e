"""The one exception type that the command line turns into a clear, one-line message."""


class IllusionError(Exception):
    """A problem the user can fix: the message names what is wrong and how to fix it."""


class PluginError(IllusionError):
    """A plugin could not be loaded, registered, configured or run."""


class ConfigError(IllusionError):
    """A configuration file or command-line override is unreadable or invalid."""
