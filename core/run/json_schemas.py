"""The JSON Schema files of the run folder, generated from :mod:`illusion.run.schema`, and their field lists.

``python -m illusion.run.json_schemas`` writes them again into ``illusion/run/schemas/`` (one
``NAME.schema.json`` per file of the run folder that has a model); docs/run-folder.md shows each
file's :func:`field_table`. Tests check that both equal what this module generates now.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from illusion.run.folder import MODELS

SCHEMAS = Path(__file__).parent / "schemas"


def schema_name(file: str) -> str:
    """``topk.jsonl`` -> ``topk.schema.json``."""
    return f"{file.rsplit('.', 1)[0]}.schema.json"


def json_schemas() -> dict[str, dict[str, Any]]:
    """Each modelled file of the run folder -> its JSON Schema (of one line, for a JSON-lines file)."""
    found = {}
    for file, model in MODELS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = schema_name(file)
        if file.endswith(".jsonl"):
            schema["description"] = f"One line of {file}. " + schema.get("description", "")
        found[file] = schema
    return found


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(folder: Path = SCHEMAS) -> list[Path]:
    """Write every schema file into ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file, schema in json_schemas().items():
        path = folder / schema_name(file)
        path.write_text(schema_text(schema), encoding="utf-8")
        written.append(path)
    return written


def fields(schema: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Every field of ``schema``, nested ones as paths (``datasets[].name``, ``directions.*.condition``):
    (path, type, required)."""
    return _fields(schema, schema.get("$defs", {}), "")


def field_table(schema: dict[str, Any]) -> str:
    """The Markdown table of a file's fields, as docs/run-folder.md shows it."""
    lines = ["| field | type | required |", "| --- | --- | --- |"]
    lines += [f"| `{path}` | {kind} | {'yes' if required else 'no'} |" for path, kind, required in fields(schema)]
    return "\n".join(lines)


def _fields(schema: dict[str, Any], defs: dict[str, Any], prefix: str) -> list[tuple[str, str, bool]]:
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        path = prefix + name
        kind, nested, inner = _kind(prop, defs)
        rows.append((path, kind, name in required))
        if nested is not None:
            rows += _fields(nested, defs, path + inner)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):  # diagnostics.json: each diagnostic's result under its key
        rows.append((prefix + "*", _one(extra, defs)[0], False))
    return rows


def _kind(prop: dict[str, Any], defs: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str]:
    """A property's type in words, the object schema nested in it (if any) and the path step into it."""
    options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
    nullable = len(options) < len(prop.get("anyOf", [prop]))
    kind, nested, inner = _one(options[0], defs) if len(options) == 1 else ("JSON value", None, "")
    return (f"{kind} or null" if nullable else kind), nested, inner


def _one(prop: dict[str, Any], defs: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str]:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return ("JSON value", None, "") if name == "JsonValue" else ("object", defs[name], ".")
    kind = prop.get("type")
    if kind == "array":
        if "prefixItems" in prop:
            return f"[{', '.join(_one(p, defs)[0] for p in prop['prefixItems'])}]", None, ""
        item, nested, _ = _one(prop.get("items", {}), defs)
        return f"list of {item}", nested, "[]."
    if kind == "object":
        values = prop.get("additionalProperties")
        if isinstance(values, dict) and values:
            value, nested, _ = _one(values, defs)
            return f"map of {value}", nested, ".*."
        return "object", None, ""
    return (
        {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}.get(kind or "", "JSON value"),
        None,
        "",
    )


if __name__ == "__main__":
    for path in write():
        print(path)
