"""Segment counting must agree with Twilio's calculator, since that is what customers check.

Two kinds of test: a few hand-checked cases that read as the rules, and a differential run of
some 30,000 generated bodies (tests/messaging/segments_corpus.py) through the npm
sms-segments-calculator in Node (tests/messaging/segments_oracle.js) and through
messaging.segments, smart encoding off and on, plus its grapheme splitting for every sequence of
four grapheme-break properties.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from django.conf import settings

from messaging.segments import (
    GSM7,
    GSM7_CHARACTERS,
    UCS2,
    _grapheme_clusters,
    estimate,
    smart_encode,
)
from tests.messaging.segments_corpus import build_corpus, property_sequences

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
ORACLE = Path(__file__).with_name("segments_oracle.js")
CALCULATOR = REPO_ROOT / "node_modules" / "sms-segments-calculator" / "package.json"
CALCULATOR_VERSION = "1.3.0"


# -- Hand-checked cases -------------------------------------------------------------------------


def _summary(text: str, *, smart_encoding: bool = False) -> tuple[str, int, int]:
    result = estimate(text, smart_encoding=smart_encoding)
    return result.encoding, result.segments, result.characters


def test_empty_text_is_one_gsm7_segment() -> None:
    assert _summary("") == (GSM7, 1, 0)


def test_gsm7_fits_160_in_one_segment_then_153_per_segment() -> None:
    assert _summary("a" * 160) == (GSM7, 1, 160)
    assert _summary("a" * 161) == (GSM7, 2, 161)
    assert _summary("a" * 306) == (GSM7, 2, 306)
    assert _summary("a" * 307) == (GSM7, 3, 307)


def test_extension_characters_take_two_septets() -> None:
    assert _summary("€") == (GSM7, 1, 2)
    assert _summary("{x}" * 32) == (GSM7, 1, 160)
    assert _summary("€" * 80) == (GSM7, 1, 160)
    assert _summary("€" * 81) == (GSM7, 2, 162)


def test_an_escape_pair_is_never_split_across_segments() -> None:
    # 306 septets would fill two segments exactly, but the euro cannot start on the first
    # segment's last septet, so it moves on and the last "a" spills into a third segment.
    text = "a" * 152 + "€" + "a" * 152
    assert _summary(text) == (GSM7, 3, 306)


def test_ucs2_fits_70_units_in_one_segment_then_67_per_segment() -> None:
    assert _summary("ж" * 70) == (UCS2, 1, 70)
    assert _summary("ж" * 71) == (UCS2, 2, 71)
    assert _summary("ж" * 134) == (UCS2, 2, 134)
    assert _summary("ж" * 135) == (UCS2, 3, 135)


def test_an_emoji_is_two_units_but_one_character() -> None:
    assert _summary("😀" * 35) == (UCS2, 1, 35)
    assert _summary("😀" * 36) == (UCS2, 2, 36)


def test_a_flag_at_a_segment_edge_moves_whole_to_the_next_segment() -> None:
    # 134 units would fit two segments, but the 4-unit flag does not fit the 1 unit left in the
    # first, so it opens the second and the last character needs a third.
    text = "ж" * 66 + "🇺🇸" + "ж" * 64
    assert _summary(text) == (UCS2, 3, 131)


def test_ucs2_characters_are_user_perceived_characters() -> None:
    assert _summary("👨‍👩‍👧‍👦") == (UCS2, 1, 1)
    assert _summary("👍🏽 ok") == (UCS2, 1, 4)
    assert _summary("e\u0301") == (UCS2, 1, 1)


def test_a_cluster_longer_than_a_segment_gets_one_to_itself() -> None:
    # One "a" carrying 80 accents is 81 units: it leaves the first segment empty, overflows the
    # second, and the "b" after it starts a third.
    assert _summary("a" + "\u0301" * 80 + "b") == (UCS2, 3, 2)


def test_cr_lf_counts_as_two_gsm7_characters() -> None:
    assert _summary("a\r\nb") == (GSM7, 1, 4)


def test_unicode_characters_lists_each_culprit_once_in_order() -> None:
    assert estimate("Hi 😀, ж and 😀 again").unicode_characters == ("😀", "ж")
    assert estimate("plain text €").unicode_characters == ()


def test_smart_encoding_swaps_look_alikes_for_gsm_characters() -> None:
    text = "“Sale” – it’s 50% off…"
    assert _summary(text) == (UCS2, 1, 22)
    result = estimate(text, smart_encoding=True)
    assert (result.encoding, result.characters) == (GSM7, 24)
    assert result.text == smart_encode(text) == '"Sale" - it\'s 50% off...'
    assert _summary("Tab\there", smart_encoding=True) == (GSM7, 1, 14)
    assert _summary("😀 “x”", smart_encoding=True) == (UCS2, 1, 5)


def test_gsm7_character_table() -> None:
    assert len(GSM7_CHARACTERS) == 137
    assert {"@", "£", "Ç", "Δ", "€", "\f", "\n", "\r"} <= GSM7_CHARACTERS
    assert not {"`", "ç", "\t", "\x1b", "á"} & GSM7_CHARACTERS


# -- Differential test against the npm calculator -----------------------------------------------


class _CalculatorUnavailable(Exception):
    pass


def _ask_calculator(request: dict) -> dict:
    """Send one request to segments_oracle.js (one Node process) and return its answer."""
    node = shutil.which("node")
    if node is None:
        raise _CalculatorUnavailable("node is not installed (the npm calculator runs in Node)")
    if not CALCULATOR.is_file():
        raise _CalculatorUnavailable(
            "node_modules/sms-segments-calculator is missing (run `make install`)"
        )
    completed = subprocess.run(
        [node, str(ORACLE)],
        input=json.dumps(request),  # ASCII: lone surrogates travel as \u escapes
        capture_output=True,
        encoding="utf-8",
        cwd=REPO_ROOT,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(f"segments_oracle.js failed:\n{completed.stderr}")
    return json.loads(completed.stdout)


@functools.cache
def _corpus_answers() -> tuple[list[str], dict]:
    corpus = build_corpus()
    return corpus, _ask_calculator({"texts": corpus})


def _calculator(question: Callable[[], T]) -> T:
    try:
        return question()
    except _CalculatorUnavailable as unavailable:
        if settings.SMSAPP_REQUIRE_BROWSER:  # CI: a missing oracle is a failure, not a skip
            pytest.fail(f"{unavailable}; SMSAPP_REQUIRE_BROWSER requires it")
        pytest.skip(str(unavailable))


def _paired(text: str) -> str:
    """``text`` as JavaScript sees it: surrogate halves side by side make one code point."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def test_calculator_is_the_pinned_version() -> None:
    _, answers = _calculator(_corpus_answers)
    assert answers["version"] == CALCULATOR_VERSION


def test_clusters_agree_for_every_sequence_of_four_break_properties() -> None:
    # The clustering rules interact through the whole cluster so far; short of every string,
    # every order of four properties (18**4 texts) is the systematic check. This compares the
    # private splitter directly, so a failure names the clusters.
    texts = property_sequences(4)
    answer = _calculator(lambda: _ask_calculator({"mode": "graphemes", "texts": texts}))
    mismatches = [
        f"{ascii(text)}: got {got}, want {want}"
        for text, want in zip(texts, answer["widths"], strict=True)
        if (got := _grapheme_clusters(text)[0]) != want
    ]
    assert not mismatches, f"{len(mismatches)} disagreements, first:\n" + "\n".join(mismatches[:15])


@pytest.mark.parametrize("smart_encoding", [False, True], ids=["plain", "smart-encoding"])
def test_agrees_with_the_calculator(smart_encoding: bool) -> None:
    corpus, answers = _calculator(_corpus_answers)
    expected_answers = answers["smart" if smart_encoding else "plain"]
    assert len(expected_answers) == len(corpus) > 25_000
    mismatches = []
    for index, (text, expected) in enumerate(zip(corpus, expected_answers, strict=True)):
        encoding, segments, characters, non_gsm, encoded_text = expected
        result = estimate(text, smart_encoding=smart_encoding)
        got = (result.encoding, result.segments, result.characters, result.unicode_characters)
        want = (encoding, segments, characters, tuple(dict.fromkeys(non_gsm)))
        if got != want or _paired(result.text) != encoded_text:
            mismatches.append(f"#{index} {ascii(text[:80])}: got {ascii(got)}, want {ascii(want)}")
    assert not mismatches, f"{len(mismatches)} disagreements, first:\n" + "\n".join(mismatches[:15])
