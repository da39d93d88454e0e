"""An ``illusion run``: config, datasets, activation store, top-k, statistics and the run folder."""
