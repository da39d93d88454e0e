"""HTML pages: the run report (``report.html``) and the shared page machinery."""
