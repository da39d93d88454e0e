import numpy as np
import pytest

from illusion import Directions, PluginError, Record
from illusion.records import check_record, check_unique_ids, content_hash, prepare, split_sentences

RECORDS = [
    Record(str(i), text)
    for i, text in enumerate(
        [
            "One two three four.",
            "one two three four.",
            "Too short.",
            "This sentence has exactly six words.",
            "First sentence is here now. Second sentence follows right after it.",
        ]
    )
]
OPTIONS = dict(split_sentences=False, min_words=4, max_words=60, dedupe=True, n=None, seed=0)


def test_length_bounds_and_case_insensitive_dedupe():
    kept = prepare(RECORDS, **OPTIONS)
    assert [r.id for r in kept] == ["0", "3", "4"]


def test_split_gives_sentence_ids():
    kept = prepare(RECORDS[4:], **{**OPTIONS, "split_sentences": True})
    assert [(r.id, r.text) for r in kept] == [
        ("4#0", "First sentence is here now."),
        ("4#1", "Second sentence follows right after it."),
    ]


def test_sample_is_deterministic_and_keeps_order():
    many = [Record(str(i), f"sentence number {i} of many") for i in range(100)]
    first = prepare(many, **{**OPTIONS, "n": 10, "seed": 3})
    assert first == prepare(many, **{**OPTIONS, "n": 10, "seed": 3})
    assert first != prepare(many, **{**OPTIONS, "n": 10, "seed": 4})
    assert [int(r.id) for r in first] == sorted(int(r.id) for r in first)


def test_whitespace_is_normalised():
    assert prepare([Record("a", "  many   spaces\there too ")], **OPTIONS)[0].text == "many spaces here too"


def test_content_hash_changes_with_text_and_order():
    a, b = Record("1", "x y z w"), Record("2", "p q r s")
    assert content_hash([a, b]) == content_hash([Record("1", "x y z w"), Record("2", "p q r s")])
    assert content_hash([a, b]) != content_hash([b, a])
    assert content_hash([a]) != content_hash([Record("1", "x y z W")])


def test_splitter_keeps_abbreviations():
    assert split_sentences("Dr. Smith arrived. He left.") == ["Dr. Smith arrived.", "He left."]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("not a record", "dataset 'x': record 2 is a str, expected illusion.Record"),
        (Record(7, "a text"), "dataset 'x': record 2 has id 7 (int); ids are non-empty strings"),
        (Record(" ", "a text"), "dataset 'x': record 2 has id ' ' (str); ids are non-empty strings"),
        (Record("r2", b"bytes"), "dataset 'x': record 'r2': field 'text' is bytes, expected str"),
        (Record("r2", " \t"), "dataset 'x': record 'r2' has an empty text; leave such records out"),
    ],
)
def test_a_bad_record_is_named_by_its_id_or_position_and_field(record, message):
    with pytest.raises(PluginError) as caught:
        check_record(record, 2, "dataset 'x'")
    assert str(caught.value) == message


def test_a_repeated_id_is_named_with_both_positions():
    with pytest.raises(PluginError, match=r"^dataset 'x': record id '0' is given twice \(records 0 and 2\)"):
        check_unique_ids([Record("0", "a"), Record("1", "b"), Record("0", "c")], "dataset 'x'")


@pytest.mark.parametrize(
    ("ids", "vectors", "message"),
    [
        (["a", "b"], [[1.0, 0.0], [np.nan, 0.0]], "direction 1 (id 'b') contains NaN or infinite values"),
        (["a", "b"], [[1.0, 0.0], [0.0, 0.0]], "direction 1 (id 'b') has length 0; directions must have unit length"),
        (["a", "a"], [[1.0, 0.0], [0.0, 1.0]], "direction id 'a' is given twice (directions 0 and 1)"),
        (["a", None], [[1.0, 0.0], [0.0, 1.0]], "direction 1 has id None (NoneType); use strings"),
        (["a"], [[1.0, 0.0, 0.0]], "directions must have shape (count, 2), got (1, 3)"),
    ],
)
def test_a_bad_direction_is_named_by_index_and_id(ids, vectors, message):
    with pytest.raises(PluginError) as caught:
        Directions(ids, np.array(vectors)).checked(2, "direction sampler 's'")
    assert str(caught.value).startswith(f"direction sampler 's': {message}")
