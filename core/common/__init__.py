"""Small pieces every layer uses: atomic files, seeds, progress, hints, marks."""
