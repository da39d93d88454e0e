"""``illusion explore``: every direction of a run in a browser, as a folder of static files (served locally or published)."""
