"""Driving-token marks: whole words, no mark for punctuation, escaped text around the mark."""

from __future__ import annotations

from illusion.common.marks import highlight, word_span


def marked(text, span):
    return text[span[0] : span[1]] if span else None


def test_a_sub_word_grows_to_its_whole_word():
    text = "The latency of Needless things."
    assert marked(text, word_span(text, [4, 8])) == "latency"
    assert marked(text, word_span(text, [21, 22])) == "Needless"
    assert marked(text, word_span(text, [0, 3])) == "The"


def test_punctuation_carried_by_a_token_is_dropped_and_punctuation_alone_is_not_marked():
    text = "cos. (cos x)"
    assert marked(text, word_span(text, [5, 8])) == "cos"
    assert word_span(text, [3, 4]) is None
    assert word_span(text, None) is None and word_span(text, [5, 99]) is None


def test_highlight_escapes_the_text_around_the_mark():
    assert str(highlight("<b>x</b> y", [9, 10])) == "&lt;b&gt;x&lt;/b&gt; <mark>y</mark>"
