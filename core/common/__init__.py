"""Small pieces every layer uses: atomic files, seeds, progress, hints, type checks, chunks, marks."""
