"""``illusion sweep``: the automatic diagnostics over a grid of layers, poolings and dataset sizes (docs/sweep.md)."""
