"""Message bodies for comparing messaging.segments with the npm calculator.

Generated when the test runs (nothing is stored in git) and deterministic for a given seed, so a
failure names an input that can be rebuilt. Besides ordinary text it aims at the places a port
goes wrong: segment edges, escape and surrogate pairs straddling them, every GSM and smart-encoding
character, clusters of every Unicode 10 grapheme-break property in every short order, emoji
sequences, and clusters too long for a segment.
"""

from __future__ import annotations

import itertools
import random

from messaging.segments import (
    GSM7_CHARACTERS,
    GSM7_EXTENSION_CHARACTERS,
    SMART_ENCODING_REPLACEMENTS,
)

SEED = 20240611

# A few code points for each Unicode 10 grapheme-break property (Other, CR, LF, Control, Extend,
# ZWJ, Regional_Indicator, Prepend, SpacingMark, L, V, T, LV, LVT, E_Base, E_Modifier,
# Glue_After_Zwj, E_Base_GAZ). GSM characters are among the Other ones on purpose.
BREAK_PROPERTY_SAMPLES: dict[str, str] = {
    "Other": "aЖ中€😀🔥🥹",
    "CR": "\r",
    "LF": "\n",
    "Control": "\x00\t\x0c\u200b\u2028\ufeff\U000e0001",
    "Extend": "\u0301\u0303\u093c\u0e31\ufe0f\u20e3\U000e0067\U000e007f",
    "ZWJ": "\u200d",
    "Regional_Indicator": "\U0001f1fa\U0001f1f8\U0001f1ec",
    "Prepend": "\u0600\u0605\U000110bd",
    "SpacingMark": "\u0903\u093e\u0e33",
    "L": "\u1100\ua960",
    "V": "\u1160\ud7b0",
    "T": "\u11a8\ud7cb",
    "LV": "\uac00\uac1c",
    "LVT": "\uac01\ud7a3",
    "E_Base": "\u261d\U0001f44d\U0001f385",
    "E_Modifier": "\U0001f3fb\U0001f3fd\U0001f3ff",
    "Glue_After_Zwj": "\u2640\u2764\U0001f308\U0001f4bb",
    "E_Base_GAZ": "\U0001f466\U0001f469",
}

EMOJI = [
    "😀",
    "🎉",
    "👍",
    "👍🏽",
    "👋🏿",
    "❤️",
    "❤",
    "✔️",
    "1️⃣",
    "#️⃣",
    "🇺🇸",
    "🇬🇧",
    "🇫🇷🇩🇪",
    "🏳️‍🌈",
    "🏴󠁧󠁢󠁥󠁮󠁧󠁿",
    "👨‍👩‍👧‍👦",
    "👩‍💻",
    "👩🏽‍💻",
    "🧑‍🤝‍🧑",
    "❤️‍🔥",
    "🥹",
    "🥹🏽",
    "🫶🏼",
    "🙋‍♀️",
    "🤷🏻‍♂️",
    "👁️‍🗨️",
    "🐕‍🦺",
]

SCRIPTS = {
    "cyrillic": "Привет! Скидка 20% на всё до воскресенья. Ответьте СТОП для отказа.",
    "arabic": "مرحبا! خصم ٢٠٪ على كل شيء. أرسل توقف لإلغاء الاشتراك. \u0600\u0661\u0662 مُحَمَّد",
    "cjk": "您好！本周末全场八折。回复退订取消。こんにちは、セール開催中です。",
    "hindi": "नमस्ते! क्षत्रिय सप्ताहांत में २०% छूट। रद्द करने के लिए STOP भेजें। कि की कु कू",
    "thai": "สวัสดีครับ ลดราคา 20% ทุกชิ้น น้ำ กำ ส่งหยุดเพื่อยกเลิก",
    "hebrew": "שָׁלוֹם! הנחה של 20% על הכול.",
    "korean": "안녕하세요! 주말 20% 할인. \u1100\u1161\u11a8 \u1112\u1161\u11ab",
    "greek": "Γεια σας! Έκπτωση 20% σε όλα. ΑΒΓΔ",
    "latin": "Café crème, naïve façade, Ærøskøbing, Łódź, ça va? ß ẞ ÿ",
    "combining": "e\u0301 n\u0303 a\u0308 o\u0302 u\u0332 A\u030a Z\u0335\u0336",
}

WORDS = (
    "Hi {name}, your order #{n} has shipped! Track it at https://ex.am/p/{n} "
    "Reply STOP to opt out. 20% off this weekend only; use code SAVE20 at checkout. "
    "Your appointment is on Tue 3/14 at 10:30am. See you soon @ Main St. (bring ID) "
    "Gracias por su compra. Días. Müller Jørgensen Ñandú Ærø"
).split()
NAMES = ["Ana", "Zoë", "Renée", "José", "Łukasz", "Søren", "Mia", "Chloé", "Dmitrí", "O'Neil"]
# Where segments fill up (1 segment of 160 septets or 70 units, else 153 or 67 per segment); the
# texts built around each also take in its neighbours and the 1,600-character ceiling.
SEPTET_EDGES = (153, 160, 306, 459)
UNIT_EDGES = (67, 70, 134, 201, 268)


def build_corpus(seed: int = SEED) -> list[str]:
    rng = random.Random(seed)
    corpus: list[str] = ["", " ", "\r\n", "\n\r", "a\r\nb", "\r\n\r\n\u0301"]
    corpus += _character_tables()
    corpus += _segment_edges(rng)
    corpus += _break_property_sequences(rng)
    corpus += _emoji_and_scripts(rng)
    corpus += _oversized_clusters()
    corpus += _surrogates()
    corpus += _random_messages(rng, 2000)
    return corpus


def _character_tables() -> list[str]:
    gsm = "".join(sorted(GSM7_CHARACTERS))
    smart = "".join(sorted(SMART_ENCODING_REPLACEMENTS))
    texts = [gsm, smart, gsm + smart]
    for char in sorted(GSM7_CHARACTERS):
        fill = 80 if char in GSM7_EXTENSION_CHARACTERS else 160
        texts += [char, char * fill, char * (fill + 1)]
    for char, replacement in sorted(SMART_ENCODING_REPLACEMENTS.items()):
        texts += [char, f"a{char}b", char + "é"]
        if len(replacement) != 1 or replacement in GSM7_EXTENSION_CHARACTERS:
            # replacements longer than one septet, where a segment edge falls
            texts += ["x" * 159 + char, "x" * 152 + char + "x" * 2]
    texts += [char * 71 for char in sorted(SMART_ENCODING_REPLACEMENTS)[::9]]
    # Every code point of the BMP and the busier astral blocks, in runs of neighbours so that
    # each one is seen alone at a run's start and after another at its middle.
    code_points = [*range(0x10000), *range(0x1F000, 0x1FB00), *range(0xE0000, 0xE0200)]
    code_points += [*range(0x11000, 0x11100), *range(0x16F00, 0x16FA0)]
    runs = [code_points[i : i + 8] for i in range(0, len(code_points), 8)]
    texts += ["".join(map(chr, run)) for run in runs]
    texts += [chr(cp) for cp in range(0x2200)]
    return texts


def _segment_edges(rng: random.Random) -> list[str]:
    texts: list[str] = []
    for edge in SEPTET_EDGES:
        texts += ["a" * edge, "€" * (edge // 2), "a" + "€" * (edge // 2)]
        for offset in range(-3, 3):  # the edge's neighbours too
            head = "b" * (edge + offset)
            texts += [head + "{" + "c" * 10, head + "^^" + "d", head + "\x0c"]
            texts += [head + "’" + "e" * 5, head + "…", head + "\u00a0" * 2]
    for edge in UNIT_EDGES:
        texts += ["ж" * edge, "😀" * (edge // 2), "ж" + "😀" * (edge // 2)]
        for offset in range(-3, 3):
            head = "ж" * (edge + offset)
            for tail in ("😀", "🇺🇸", "👍🏽", "👨‍👩‍👧‍👦", "é", "e\u0301", "€", "\r\n", "{"):
                texts += [head + tail + "z" * rng.randrange(0, 4), head + tail * 3]
    texts += ["a" * 1224, "a" * 1225, "a" * 1223 + "€", "ж" * 1072, "ж" * 1071 + "😀", "ж" * 1600]
    for total in (159, 160, 161, 306, 307, 459):
        # extension characters sprinkled at random over a text of the given septet count
        chars = ["x"] * total
        for _ in range(rng.randrange(1, 30)):
            index = rng.randrange(len(chars))
            chars[index : index + 2] = ["]"]
        texts.append("".join(chars))
    return texts


def property_sequences(length: int) -> list[str]:
    """Every sequence of ``length`` grapheme-break properties, one sample code point each."""
    first_of_each = [samples[0] for samples in BREAK_PROPERTY_SAMPLES.values()]
    return ["".join(sequence) for sequence in itertools.product(first_of_each, repeat=length)]


def _break_property_sequences(rng: random.Random) -> list[str]:
    texts = property_sequences(3)
    pool = "".join(BREAK_PROPERTY_SAMPLES.values())
    for _ in range(3000):
        texts.append("".join(rng.choice(pool) for _ in range(rng.randrange(4, 24))))
    for _ in range(200):
        # long runs so that odd clusters meet segment edges
        texts.append("".join(rng.choice(pool) for _ in range(rng.randrange(60, 200))))
    return texts


def _emoji_and_scripts(rng: random.Random) -> list[str]:
    texts = list(EMOJI) + list(SCRIPTS.values())
    texts += ["".join(EMOJI), "".join(SCRIPTS.values())]
    texts += [emoji * count for emoji in EMOJI for count in (2, 9, 10, 17, 18, 35, 36)]
    for script in SCRIPTS.values():
        texts += [script * 2, script * 5, script + " " + rng.choice(EMOJI)]
    for _ in range(300):
        parts = [rng.choice(EMOJI) for _ in range(rng.randrange(1, 40))]
        texts.append(rng.choice(["", " ", "x", "ж"]).join(parts))
    return texts


def _oversized_clusters() -> list[str]:
    texts = []
    for marks in (66, 67, 68, 69, 70, 71, 140, 200):
        cluster = "a" + "\u0301" * marks
        texts += [cluster, "b" + cluster, cluster + "b", "ж" * 65 + cluster + "ж" * 5]
        texts += ["ж" * 60 + cluster + "e\u0301" * 12, cluster * 2, "😀" * 34 + cluster]
    tag_flag = "🏴" + "".join(chr(0xE0061 + i % 26) for i in range(40)) + "\U000e007f"
    texts += [tag_flag, "x" * 50 + tag_flag, tag_flag * 3]
    zwj_chain = "\u200d".join(["👩"] * 30)
    texts += [zwj_chain, "ж" * 3 + zwj_chain + "ж" * 70]
    return texts


def _surrogates() -> list[str]:
    # Lone surrogates are not valid Unicode, but a JavaScript string (and a Python str) can hold
    # them and JSON carries them as escapes, so check that both sides count them the same.
    return [
        "\ud800",
        "\udc00",
        "a\udc00b",
        "x\ud83d",
        "\ude00\ud83d",
        "\ud83d\ude00",  # two Python characters that JavaScript sees as one emoji
        "ж" * 69 + "\ud83d\ude00",
        "\ud83c\udde6\ud83c\udde7",
        "\ud800\u0301",
    ]


def _random_messages(rng: random.Random, count: int) -> list[str]:
    extras = [
        *"€[]{}|^~\\",
        *"’“”…–—",
        "\u00a0",
        "\t",
        *EMOJI,
        "é",
        "ç",
        "Ω",
        "ж",
        "中",
        "\n",
        "\r\n",
    ]
    smart = sorted(SMART_ENCODING_REPLACEMENTS)
    texts = []
    for _ in range(count):
        words = []
        for _ in range(rng.randrange(0, rng.choice((8, 15, 30, 30, 60, 120)))):
            roll = rng.random()
            if roll < 0.75:
                word = rng.choice(WORDS).format(name=rng.choice(NAMES), n=rng.randrange(10**6))
            elif roll < 0.9:
                word = rng.choice(extras)
            elif roll < 0.97:
                word = rng.choice(smart)
            else:
                word = rng.choice(list(SCRIPTS.values()))[: rng.randrange(1, 20)]
            words.append(word)
        texts.append(rng.choice([" ", " ", "", "\n"]).join(words))
    return texts
