"""``illusion explain``: explain each direction from its top sentences in one dataset, score the explanation on every
dataset (:mod:`.direction` for one direction, :mod:`.runner` for a run, :mod:`.bootstrap` for the intervals)."""
