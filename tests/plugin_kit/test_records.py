from illusion import Record
from illusion.records import content_hash, prepare, split_sentences

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
