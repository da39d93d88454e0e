"""Every sentence the explorer shows, numbered once per dataset and written in blocks the browser loads on demand."""

from __future__ import annotations

from collections.abc import Sequence

from illusion.common.marks import word_span

BLOCK = 500  # sentences per file


def utf16(text: str, offset: int) -> int:
    """A character offset as the browser counts it (UTF-16 code units)."""
    if text.isascii():
        return offset
    return len(text[:offset].encode("utf-16-le")) // 2


def mark(text: str, span: Sequence[int] | None) -> tuple[int, int] | None:
    """A driving token's span grown to whole words (as a campaign marks it), in UTF-16 offsets; None when unmarked."""
    found = word_span(text, span)
    return None if found is None else (utf16(text, found[0]), utf16(text, found[1]))


class SentenceTable:
    """Per dataset: record id -> number, and [id, text] by number."""

    def __init__(self, datasets: list[str]):
        self.numbers: dict[str, dict[str, int]] = {name: {} for name in datasets}
        self.rows: dict[str, list[list[str]]] = {name: [] for name in datasets}

    def number(self, dataset: str, record_id: str, text: str) -> int:
        numbers = self.numbers[dataset]
        if record_id not in numbers:
            numbers[record_id] = len(numbers)
            self.rows[dataset].append([record_id, text])
        return numbers[record_id]

    def blocks(self) -> dict[tuple[int, int], list[list[str]]]:
        """(dataset number, block number) -> its rows."""
        return {
            (d, start // BLOCK): rows[start : start + BLOCK]
            for d, rows in enumerate(self.rows.values())
            for start in range(0, len(rows), BLOCK)
        }
