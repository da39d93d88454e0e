"""The labelling configs (``set.xml``, ``pair.xml``) and the answers each of their questions allows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from importlib.resources import files

from illusion.annotations.campaign.backend import Question


def config_text(task_type: str) -> str:
    """The XML labelling config shipped for ``task_type`` ("set" or "pair")."""
    return files("illusion.annotations.labelstudio").joinpath(f"{task_type}.xml").read_text(encoding="utf-8").strip()


def form_questions(config: str) -> dict[str, Question]:
    """The questions of a labelling config, by name."""
    found: dict[str, Question] = {}
    for node in ET.fromstring(config).iter():
        name = node.get("name")
        if name is None:  # every question (a Label Studio "control tag") is named; the rest are layout
            continue
        if node.tag == "Choices":
            # A Choice's alias, when set, is what the results hold; accept the shown value too.
            choices: dict[str, str] = {}
            for choice in node.iter("Choice"):
                value = choice.get("value", "")
                code = choice.get("alias") or value
                choices[code] = choices[value] = code
            dynamic = node.get("value", "")
            found[name] = Question(name, "Choices", choices, dynamic[1:] if dynamic.startswith("$") else None)
        elif node.tag == "TextArea":
            found[name] = Question(name, "TextArea")
        elif node.tag == "Rating":
            found[name] = Question(name, "Rating", max_rating=int(node.get("maxRating", "5")))
    return found
