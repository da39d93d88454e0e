"""The paper's automatic diagnostics: one module per analysis, run together by :mod:`illusion.diagnostics.suite`."""
