"""The labelling configs (``set.xml``, ``pair.xml``) and the answers each of their controls allows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib.resources import files

TASK_TYPES = ("set", "pair")
# Sentence n answers to the key n (sentence 10 to 0): the other questions' keys are letters (set.xml).
SENTENCE_KEYS = "1234567890"


@dataclass(frozen=True)
class Control:
    """One question of a labelling config, named by its ``name`` (the results' ``from_name``)."""

    name: str
    tag: str  # Choices (one answer, or sentence numbers when dynamic), TextArea or Rating
    choices: dict[str, str] = field(default_factory=dict)  # accepted value -> stored code
    options_field: str | None = None  # task data field holding dynamic choices: sentence numbers
    max_rating: int = 5


def config_text(task_type: str) -> str:
    """The XML labelling config shipped for ``task_type`` ("set" or "pair")."""
    return files("illusion.annotations.labelstudio").joinpath(f"{task_type}.xml").read_text(encoding="utf-8").strip()


def sentence_choices(count: int) -> list[dict[str, str]]:
    """The options of "which sentences fit" for ``count`` sentences: their numbers, each with its own key."""
    return [
        {"value": str(n), **({"hotkey": SENTENCE_KEYS[n - 1]} if n <= len(SENTENCE_KEYS) else {})} for n in range(1, count + 1)
    ]


def controls(config: str) -> dict[str, Control]:
    """The questions of a labelling config, by name."""
    found: dict[str, Control] = {}
    for node in ET.fromstring(config).iter():
        name = node.get("name")
        if name is None:  # every control is named; the rest are not questions
            continue
        if node.tag == "Choices":
            # A Choice's alias, when set, is what the results hold; accept the shown value too.
            choices: dict[str, str] = {}
            for choice in node.iter("Choice"):
                value = choice.get("value", "")
                code = choice.get("alias") or value
                choices[code] = choices[value] = code
            dynamic = node.get("value", "")
            found[name] = Control(name, "Choices", choices, dynamic[1:] if dynamic.startswith("$") else None)
        elif node.tag == "TextArea":
            found[name] = Control(name, "TextArea")
        elif node.tag == "Rating":
            found[name] = Control(name, "Rating", max_rating=int(node.get("maxRating", "5")))
    return found
