"""The built-in plugins. Each module uses only the public ``illusion`` API, as a third-party plugin would."""
