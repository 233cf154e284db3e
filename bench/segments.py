"""messaging.segments.estimate against the npm calculator it reproduces.

Fan-out estimates every recipient's personalised body, so the goals are at least 200,000
estimates a second on GSM-7 texts of up to 160 characters and at least ten times the npm
sms-segments-calculator's messages a second on the same inputs (timed inside Node, in this run).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from messaging.segments import GSM7_CHARACTERS, UCS2, estimate

REPO_ROOT = Path(__file__).resolve().parents[1]
ORACLE = REPO_ROOT / "tests" / "messaging" / "segments_oracle.js"
CALCULATOR = REPO_ROOT / "node_modules" / "sms-segments-calculator" / "package.json"

GSM7_GOAL = 200_000  # estimates per second, GSM-7 texts up to 160 characters
RATIO_GOAL = 10.0  # times the npm calculator's messages per second
MESSAGES = 2_000  # per corpus; the npm calculator needs about a millisecond for each

TEMPLATES = [
    "Hi {name}! {offer} at {brand} this weekend. Shop now: {link} Reply STOP to opt out.",
    "{brand}: {name}, your order #{order} has shipped. Track it here: {link}",
    "Reminder: {name}, your appointment at {brand} is on {date} at {time}. Reply C to confirm "
    "or R to reschedule. Reply STOP to opt out.",
    "{brand} VIP: {offer}! Use code {code} at checkout. {link} Msg&data rates may apply. "
    "Reply STOP to end.",
    "Hey {name}, we miss you! Here's {offer} on your next visit to {brand}. Book: {link} "
    "Txt STOP to quit",
    "{brand}: Flash sale! {offer} on everything until midnight. {link} Reply HELP for help, "
    "STOP to unsubscribe.",
    "{name}, thanks for shopping at {brand}! Tell us how we did: {link}",
]
NAMES = ["Ana", "Mike", "Sarah", "José", "Chloé", "Jürgen", "Priya", "Liam", "Noah", "Emma"]
UCS2_NAMES = ["Zoë", "Siobhán", "Łukasz", "Dmitrí", "Ngọc"]  # ë, á, Ł, í, ọ are not GSM
EMOJI = ["🎉", "😀", "❤️", "👍🏽", "🔥", "✨", "🛍️", "🇺🇸"]
OFFERS = ["20% off", "buy one get one free", "$10 off orders over $50", "free shipping", "€5 off"]
BRANDS = ["Acme Outfitters", "Bella's Bistro", "Northside Dental", "Peak Fitness", "Kiwi & Co"]


def realistic_corpus(count: int = MESSAGES, seed: int = 7) -> list[str]:
    """Marketing and notification texts with names, links and codes; one in ten has an emoji or
    a name outside GSM-7 (so is UCS-2), and a third run past one segment."""
    rng = random.Random(seed)
    texts = []
    for index in range(count):
        unicode = index % 10 == 3
        name = rng.choice(UCS2_NAMES if unicode and rng.random() < 0.3 else NAMES)
        body = " ".join(
            rng.choice(TEMPLATES).format(
                name=name,
                offer=rng.choice(OFFERS),
                brand=rng.choice(BRANDS),
                link=f"https://sms.example/{rng.randrange(36**6):06x}",
                order=rng.randrange(10**5, 10**6),
                code=f"SAVE{rng.randrange(10, 60)}",
                date=f"{rng.randrange(1, 13)}/{rng.randrange(1, 29)}",
                time=f"{rng.randrange(8, 18)}:{rng.choice(('00', '15', '30', '45'))}",
            )
            for _ in range(rng.choice((1, 1, 1, 2)))
        )
        if unicode and set(body) <= GSM7_CHARACTERS:  # no name in it, or a GSM-7 one
            body = f"{body} {rng.choice(EMOJI)}"
        texts.append(body)
    return texts


def gsm7_corpus(count: int = MESSAGES, seed: int = 11) -> list[str]:
    """GSM-7 texts of 20 to 160 characters."""
    rng = random.Random(seed)
    texts: list[str] = []
    for text in realistic_corpus(count * 2, seed):
        if set(text) <= GSM7_CHARACTERS:
            texts.append(text[: rng.randrange(20, 161)])
        if len(texts) == count:
            break
    return texts


def python_rate(texts: list[str], *, smart_encoding: bool = False) -> float:
    """Best of five timings, each of enough passes over ``texts`` to last 0.2 s."""
    best = 0.0
    for _ in range(5):
        done = 0
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < 0.2:
            for text in texts:
                estimate(text, smart_encoding=smart_encoding)
            done += len(texts)
        best = max(best, done / elapsed)
    return best


def npm_rate(texts: list[str]) -> tuple[float | None, str]:
    """The npm calculator's messages per second, or None and why not."""
    node = shutil.which("node")
    if node is None:
        return None, "node is not installed"
    if not CALCULATOR.is_file():
        return None, "node_modules/sms-segments-calculator is missing (make install)"
    completed = subprocess.run(
        [node, str(ORACLE)],
        input=json.dumps({"mode": "bench", "texts": texts, "minSeconds": 1.0}),
        capture_output=True,
        encoding="utf-8",
        cwd=REPO_ROOT,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        return None, f"segments_oracle.js failed: {completed.stderr.strip()[:200]}"
    answer = json.loads(completed.stdout)
    return answer["perSecond"], f"sms-segments-calculator {answer['version']}"


@dataclass(frozen=True)
class Measurement:
    label: str
    texts: list[str]
    python: float  # estimates/s, smart encoding off
    python_smart: float  # estimates/s, smart encoding on
    npm: float | None  # the calculator's messages/s, smart encoding off
    npm_note: str  # its version, or why it was not measured

    @property
    def ratio(self) -> float | None:
        return None if self.npm is None else self.python / self.npm

    @property
    def ucs2_share(self) -> float:
        return sum(estimate(text).encoding == UCS2 for text in self.texts) / len(self.texts)


def measure(label: str, texts: list[str]) -> Measurement:
    npm, npm_note = npm_rate(texts)
    return Measurement(
        label, texts, python_rate(texts), python_rate(texts, smart_encoding=True), npm, npm_note
    )


def run() -> bool:
    realistic = measure("realistic marketing", realistic_corpus())
    gsm7 = measure("GSM-7, up to 160 characters", gsm7_corpus())
    assert gsm7.ucs2_share == 0

    if realistic.npm is None:
        print(f"messaging.segments.estimate(); npm calculator not measured: {realistic.npm_note}")
    else:
        print(f"messaging.segments.estimate() vs {realistic.npm_note} in Node {_node_version()}")
        print("(same inputs, same run; npm timed inside Node with smart encoding off)")
    print(
        f"  {'corpus':<29}{'messages':>9}{'UCS-2':>7}{'Python/s':>12}"
        f"{'smart on':>12}{'npm/s':>10}{'ratio':>9}"
    )
    for row in (realistic, gsm7):
        npm = "n/a" if row.npm is None else f"{row.npm:,.0f}"
        ratio = "n/a" if row.ratio is None else f"{row.ratio:,.0f}x"
        print(
            f"  {row.label:<29}{len(row.texts):>9,}{row.ucs2_share:>7.1%}{row.python:>12,.0f}"
            f"{row.python_smart:>12,.0f}{npm:>10}{ratio:>9}"
        )

    goals: list[tuple[str, str, bool | None]] = [
        (
            f"{gsm7.label}: >= {GSM7_GOAL:,} estimates/s",
            f"{gsm7.python:,.0f}/s",
            gsm7.python >= GSM7_GOAL,
        )
    ]
    for row in (realistic, gsm7):
        goals.append(
            (
                f"{row.label}: >= {RATIO_GOAL:.0f}x the npm calculator",
                "not measured" if row.ratio is None else f"{row.ratio:,.0f}x",
                None if row.ratio is None else row.ratio >= RATIO_GOAL,
            )
        )
    for goal, measured, ok in goals:
        verdict = {True: "PASS", False: "FAIL", None: "SKIP"}[ok]
        print(f"  {verdict}  {goal:<56}{measured}")
    return all(ok is not False for _, _, ok in goals)


def _node_version() -> str:
    node = shutil.which("node") or "node"
    return subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
