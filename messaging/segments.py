"""How many SMS segments a message body costs, exactly as Twilio's calculator counts them.

The reference is the npm package ``sms-segments-calculator`` 1.3.0 (Twilio's Message Segment
Calculator, ``new SegmentedMessage(text, "auto", smartEncoding)``). Its rules, which this module
reproduces, including the quirks:

1. Smart encoding (optional) first swaps look-alike characters for GSM ones, code point by code
   point (curly quotes, dashes, odd spaces; a tab becomes seven spaces, a no-break space two).
2. The text is split into grapheme clusters the way the npm package ``grapheme-splitter`` 1.0.4
   does (Unicode 10 rules, with that package's own quirks), except that CR LF is two characters.
3. The message is GSM-7 when every cluster is a single character of the GSM 03.38 basic or
   extension table, else UCS-2.
4. Segments are 140 octets. A single segment holds 160 septets or 70 UTF-16 units (exactly 160
   or 70 is still one segment); once a second segment is needed every segment loses 6 octets to
   the user data header, leaving 153 septets or 67 units. Clusters are packed whole: an escape
   pair, a surrogate pair, a flag or a ZWJ emoji is never split. A cluster that does not fit
   opens a new segment even if it is longer than one, overflowing it (a first cluster that long
   leaves the first segment empty); the next cluster then opens another.
5. "Characters" is what the calculator displays: septets for GSM-7 (extension characters count
   2), clusters for UCS-2 (an emoji counts 1 though it takes 2 or more units).

Fan-out calls ``estimate`` once per recipient, so the common cases take shortcuts that give the
same answers: a GSM-7 text never needs clustering (no GSM character joins another), and a UCS-2
text with no joining character (combining mark, ZWJ, skin tone, flag letter, Hangul jamo...)
is one cluster per code point. Only the rest goes through the cluster state machine.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

__all__ = [
    "GSM7",
    "GSM7_BASIC_CHARACTERS",
    "GSM7_CHARACTERS",
    "GSM7_EXTENSION_CHARACTERS",
    "SMART_ENCODING_REPLACEMENTS",
    "UCS2",
    "SegmentEstimate",
    "estimate",
    "smart_encode",
]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The GSM 03.38 default alphabet in table order (0x1B, the escape, is not a character), as the
# calculator maps it: it has "Ç" (not "ç") at 0x09 and no grave accent.
GSM7_BASIC_CHARACTERS = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Sent as an escape plus a character, so each costs two septets.
GSM7_EXTENSION_CHARACTERS = frozenset("\f^{}\\[~]|€")
GSM7_CHARACTERS = GSM7_BASIC_CHARACTERS | GSM7_EXTENSION_CHARACTERS

# Twilio's smart-encoding table as the calculator has it: replacement -> characters replaced.
_SMART_ENCODING_GROUPS: dict[str, str] = {
    '"': "\u00ab\u00bb\u201c\u201d\u02ba\u02ee\u201f\u201e\u275d\u275e\u301d\u301e\uff02",
    "'": (
        "\u2018\u2019\u02bb\u02c8\u02bc\u02bd\u02b9\u201b\uff07\u00b4\u02ca\u0060\u02cb\u275b"
        "\u275c\u0313\u0314\ufe10\ufe11"
    ),
    "/": "\u00f7\u29f8\u0337\u0338\u2044\u2215\uff0f",
    "1/4": "\u00bc",
    "1/2": "\u00bd",
    "3/4": "\u00be",
    "\\": "\u29f9\u29f5\u20e5\ufe68\uff3c",
    "_": "\u0332\uff3f\u2017",
    "|": "\u20d2\u20d3\u2223\uff5c\u23b8\u23b9\u23d0\u239c\u239f",
    "-": "\u23bc\u23bd\u2015\ufe63\uff0d\u2010\u2043\u2014\u2013\u2022",
    "@": "\ufe6b\uff20",
    "$": "\ufe69\uff04",
    "!": "\u01c3\ufe15\ufe57\uff01",
    "#": "\ufe5f\uff03",
    "%": "\ufe6a\uff05",
    "&": "\ufe60\uff06",
    ",": "\u201a\u0326\ufe50\ufe51\uff0c\uff64\u3001",
    "(": "\u2768\u276a\ufe59\uff08\u27ee\u2985",
    ")": "\u2769\u276b\ufe5a\uff09\u27ef\u2986",
    "*": (
        "\u204e\u2217\u229b\u2722\u2723\u2724\u2725\u2731\u2732\u2733\u273a\u273b\u273c\u273d"
        "\u2743\u2749\u274a\u274b\u29c6\ufe61\uff0a"
    ),
    "+": "\u02d6\ufe62\uff0b",
    ".": "\u3002\ufe52\uff0e\uff61",
    ":": "\u02d0\u02f8\u2982\ua789\ufe13\uff1a",
    ";": "\u204f\ufe14\ufe54\uff1b",
    "<": "\ufe64\uff1c\u2039",
    "=": "\u0347\ua78a\ufe66\uff1d",
    ">": "\ufe65\uff1e\u203a",
    "?": "\ufe16\ufe56\uff1f",
    "^": "\u02c6\u0302\uff3e\u1dcd",
    "{": "\u2774\ufe5b\uff5b",
    "}": "\u2775\ufe5c\uff5d",
    "[": "\uff3b",
    "]": "\uff3d",
    "~": "\u02dc\u02f7\u0303\u0330\u0334\u223c\uff5e",
    "!!": "\u203c",
    "...": "\u2026",
    " ": "\u2028\u2029\u2001",
    # Twilio turns most odd spaces into two spaces (not one) and a tab into seven.
    "  ": (
        "\u00a0\u2000\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
        "\u008d\u009f\u0080\u0090\u009b"
    ),
    "       ": "\t",
    "": "\u0010\u0000\u0003\u0004\u0017\u0019\u0011\u0012\u0013\u0014\u2060\u200b\u200c\ufeff",
}
# Latin small capitals, in A..Z order ("-" where the table has none).
_SMALL_CAPITALS = (
    "\u1d00\u0299\u1d04\u1d05\u1d07\ua730\u0262\u029c\u026a\u1d0a\u1d0b\u029f\u1d0d"  # A-M
    "\u0274\u1d0f\u1d18-\u0280\ua731\u1d1b\u1d1c\u1d20\u1d21-\u028f\u1d22"  # N-Z
)


def _smart_encoding_replacements() -> dict[str, str]:
    replacements = {
        char: target for target, chars in _SMART_ENCODING_GROUPS.items() for char in chars
    }
    for offset in range(10):  # fullwidth digits
        replacements[chr(0xFF10 + offset)] = chr(ord("0") + offset)
    for offset, small_capital in enumerate(_SMALL_CAPITALS):
        letter = chr(ord("A") + offset)
        replacements[chr(0xFF21 + offset)] = letter  # fullwidth capitals
        if small_capital != "-":
            replacements[small_capital] = letter
    return replacements


SMART_ENCODING_REPLACEMENTS: dict[str, str] = _smart_encoding_replacements()
_SMART_ENCODING_TABLE = {ord(char): target for char, target in SMART_ENCODING_REPLACEMENTS.items()}


def _char_class(chars: frozenset[str] | dict[str, str], *, negate: bool = False) -> re.Pattern:
    body = "".join(re.escape(char) for char in sorted(chars))
    return re.compile(f"[{'^' if negate else ''}{body}]")


_NOT_GSM7_BASIC = _char_class(GSM7_BASIC_CHARACTERS, negate=True)
_NOT_GSM7 = _char_class(GSM7_CHARACTERS, negate=True)
_GSM7_EXTENSION = _char_class(GSM7_EXTENSION_CHARACTERS)
_SMART_ENCODABLE = _char_class(SMART_ENCODING_REPLACEMENTS)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

# Segment capacities in code units (septets for GSM-7, UTF-16 units for UCS-2): 140 octets, less
# the 6-octet user data header once the message is concatenated.
_GSM7_SINGLE, _GSM7_MULTI = 160, 153
_UCS2_SINGLE, _UCS2_MULTI = 70, 67


@dataclass(frozen=True, slots=True)
class SegmentEstimate:
    """What a message costs. ``characters`` is the calculator's ``numberOfCharacters``: septets
    for GSM-7 (extension characters count 2), grapheme clusters for UCS-2 (CR and LF count
    separately, an emoji or a flag counts 1). ``unicode_characters`` are the distinct clusters
    that forced UCS-2, in order of first appearance; ``text`` is the body after smart encoding
    (the input itself when smart encoding is off)."""

    encoding: str
    segments: int
    characters: int
    unicode_characters: tuple[str, ...]
    text: str


def smart_encode(text: str) -> str:
    """The text with Twilio's smart-encoding look-alikes swapped for GSM characters."""
    if _SMART_ENCODABLE.search(text) is None:
        return text
    return text.translate(_SMART_ENCODING_TABLE)


def estimate(text: str, *, smart_encoding: bool = False) -> SegmentEstimate:
    """Encoding, segment count and character count of a message body, as Twilio's calculator
    (sms-segments-calculator 1.3.0) gives them."""
    if smart_encoding:
        text = smart_encode(text)
    first_non_basic = _NOT_GSM7_BASIC.search(text)
    if first_non_basic is None:
        septets = len(text)
        segments = 1 if septets <= _GSM7_SINGLE else -(-septets // _GSM7_MULTI)
        return SegmentEstimate(GSM7, segments, septets, (), text)
    start = first_non_basic.start()
    if _NOT_GSM7.search(text, start) is None:
        escaped = [match.start() for match in _GSM7_EXTENSION.finditer(text, start)]
        septets = len(text) + len(escaped)
        if septets <= _GSM7_SINGLE:
            segments = 1
        else:
            segments = _pack_pairs(septets, escaped, _GSM7_MULTI)
        return SegmentEstimate(GSM7, segments, septets, (), text)
    return _estimate_ucs2(text)


def _pack_pairs(units: int, pair_positions: list[int], capacity: int) -> int:
    """Segments for items one unit wide except those at ``pair_positions`` (item indexes, in
    order), which are two units that may not be split. Packing greedily is what the calculator
    ends up doing: a pair that would start on a segment's last unit leaves that unit empty."""
    padding = 0
    for earlier_pairs, position in enumerate(pair_positions):
        if (position + earlier_pairs + padding) % capacity == capacity - 1:
            padding += 1
    return -(-(units + padding) // capacity)


def _estimate_ucs2(text: str) -> SegmentEstimate:
    code_points = text
    if _SURROGATE.search(code_points):
        # JavaScript sees a high and a low surrogate side by side as one code point.
        code_points = code_points.encode("utf-16-le", "surrogatepass").decode(
            "utf-16-le", "surrogatepass"
        )
    astral = _ASTRAL.findall(code_points)
    if _JOINING_BMP.search(code_points) is None and _JOINING_ASTRAL.isdisjoint(astral):
        # One cluster per code point.
        characters = len(code_points)
        units = characters + len(astral)
        if units <= _UCS2_SINGLE:
            segments = 1
        else:
            wide = [match.start() for match in _ASTRAL.finditer(code_points)] if astral else []
            segments = _pack_pairs(units, wide, _UCS2_MULTI)
        unicode_characters = tuple(dict.fromkeys(_NOT_GSM7.findall(code_points)))
    else:
        widths, culprits = _grapheme_clusters(code_points)
        characters = len(widths)
        segments = _pack_clusters(widths)
        unicode_characters = tuple(dict.fromkeys(culprits))
    return SegmentEstimate(UCS2, segments, characters, unicode_characters, text)


def _pack_clusters(widths: list[int]) -> int:
    """The calculator's UCS-2 packing of clusters ``widths`` units wide.

    It fills the first segment to 70 units. When a cluster does not fit, it opens a segment,
    gives the first one its header (67 units left) and moves the clusters that no longer fit
    into the new one, then adds the cluster without checking. From then on a cluster that does
    not fit in what is left opens the next segment, even one larger than a segment (which then
    overflows it). Offsets in ``ends`` let bisect find each segment's last cluster.
    """
    ends = list(accumulate(widths))
    count = len(ends)
    if not count or ends[-1] <= _UCS2_SINGLE:
        return 1
    first = bisect_right(ends, _UCS2_SINGLE)  # clusters in the first segment before its header
    kept = bisect_right(ends, _UCS2_MULTI, 0, first)  # those it keeps after
    segments = 2
    used = (ends[first - 1] if first else 0) - (ends[kept - 1] if kept else 0) + widths[first]
    base = ends[first]
    index = first + 1
    while index < count:
        room = _UCS2_MULTI - used
        if room < widths[index]:
            segments += 1
            used = widths[index]
            base = ends[index]
            index += 1
        else:
            last = bisect_right(ends, base + room, index, count) - 1
            used += ends[last] - base
            base = ends[last]
            index = last + 1
    return segments


# Grapheme clusters, as grapheme-splitter 1.0.4 (the calculator's splitter) finds them. Today's
# segmenters (the `regex` module's \X, ICU's Intl.Segmenter) follow current Unicode rules and
# cluster about one in twelve of the test corpus's bodies differently: to grapheme-splitter
# "❤️‍🔥" is two clusters, a skin tone on an emoji newer than 2017 stands alone, Devanagari
# conjuncts split after the virama, and a flag followed by two variation selectors splits.
# Hence a state machine of our own, checked against it for every sequence of four break
# properties by the tests (and of five, once).
_OTHER, _CR, _LF, _CONTROL, _EXTEND, _ZWJ, _RI, _PREPEND, _SPACING_MARK = range(9)
_L, _V, _T, _LV, _LVT, _E_BASE, _E_MODIFIER, _GLUE_AFTER_ZWJ, _E_BASE_GAZ = range(9, 18)

# Grapheme_Cluster_Break values of Unicode 10.0.0 (GraphemeBreakProperty.txt, with E_Base,
# E_Modifier, Glue_After_Zwj and E_Base_GAZ from emoji-data 5.0), as hexadecimal code point
# ranges. Everything not listed is Other, except Hangul syllables (LV and LVT, computed below).
_BREAK_PROPERTY_RANGES: dict[int, str] = {
    _CR: "D",
    _LF: "A",
    _CONTROL: (
        "0-9 B-C E-1F 7F-9F AD 61C 180E 200B 200E-200F 2028-202E 2060-206F D800-DFFF FEFF "
        "FFF0-FFFB 1BCA0-1BCA3 1D173-1D17A E0000-E001F E0080-E00FF E01F0-E0FFF "
    ),
    _EXTEND: (
        "300-36F 483-489 591-5BD 5BF 5C1-5C2 5C4-5C5 5C7 610-61A 64B-65F 670 6D6-6DC 6DF-6E4 "
        "6E7-6E8 6EA-6ED 711 730-74A 7A6-7B0 7EB-7F3 816-819 81B-823 825-827 829-82D 859-85B "
        "8D4-8E1 8E3-902 93A 93C 941-948 94D 951-957 962-963 981 9BC 9BE 9C1-9C4 9CD 9D7 9E2-9E3 "
        "A01-A02 A3C A41-A42 A47-A48 A4B-A4D A51 A70-A71 A75 A81-A82 ABC AC1-AC5 AC7-AC8 ACD "
        "AE2-AE3 AFA-AFF B01 B3C B3E-B3F B41-B44 B4D B56-B57 B62-B63 B82 BBE BC0 BCD BD7 C00 "
        "C3E-C40 C46-C48 C4A-C4D C55-C56 C62-C63 C81 CBC CBF CC2 CC6 CCC-CCD CD5-CD6 CE2-CE3 "
        "D00-D01 D3B-D3C D3E D41-D44 D4D D57 D62-D63 DCA DCF DD2-DD4 DD6 DDF E31 E34-E3A E47-E4E "
        "EB1 EB4-EB9 EBB-EBC EC8-ECD F18-F19 F35 F37 F39 F71-F7E F80-F84 F86-F87 F8D-F97 F99-FBC "
        "FC6 102D-1030 1032-1037 1039-103A 103D-103E 1058-1059 105E-1060 1071-1074 1082 1085-1086 "
        "108D 109D 135D-135F 1712-1714 1732-1734 1752-1753 1772-1773 17B4-17B5 17B7-17BD 17C6 "
        "17C9-17D3 17DD 180B-180D 1885-1886 18A9 1920-1922 1927-1928 1932 1939-193B 1A17-1A18 "
        "1A1B 1A56 1A58-1A5E 1A60 1A62 1A65-1A6C 1A73-1A7C 1A7F 1AB0-1ABE 1B00-1B03 1B34 "
        "1B36-1B3A 1B3C 1B42 1B6B-1B73 1B80-1B81 1BA2-1BA5 1BA8-1BA9 1BAB-1BAD 1BE6 1BE8-1BE9 "
        "1BED 1BEF-1BF1 1C2C-1C33 1C36-1C37 1CD0-1CD2 1CD4-1CE0 1CE2-1CE8 1CED 1CF4 1CF8-1CF9 "
        "1DC0-1DF9 1DFB-1DFF 200C 20D0-20F0 2CEF-2CF1 2D7F 2DE0-2DFF 302A-302F 3099-309A "
        "A66F-A672 A674-A67D A69E-A69F A6F0-A6F1 A802 A806 A80B A825-A826 A8C4-A8C5 A8E0-A8F1 "
        "A926-A92D A947-A951 A980-A982 A9B3 A9B6-A9B9 A9BC A9E5 AA29-AA2E AA31-AA32 AA35-AA36 "
        "AA43 AA4C AA7C AAB0 AAB2-AAB4 AAB7-AAB8 AABE-AABF AAC1 AAEC-AAED AAF6 ABE5 ABE8 ABED "
        "FB1E FE00-FE0F FE20-FE2F FF9E-FF9F 101FD 102E0 10376-1037A 10A01-10A03 10A05-10A06 "
        "10A0C-10A0F 10A38-10A3A 10A3F 10AE5-10AE6 11001 11038-11046 1107F-11081 110B3-110B6 "
        "110B9-110BA 11100-11102 11127-1112B 1112D-11134 11173 11180-11181 111B6-111BE "
        "111CA-111CC 1122F-11231 11234 11236-11237 1123E 112DF 112E3-112EA 11300-11301 1133C "
        "1133E 11340 11357 11366-1136C 11370-11374 11438-1143F 11442-11444 11446 114B0 "
        "114B3-114B8 114BA 114BD 114BF-114C0 114C2-114C3 115AF 115B2-115B5 115BC-115BD "
        "115BF-115C0 115DC-115DD 11633-1163A 1163D 1163F-11640 116AB 116AD 116B0-116B5 116B7 "
        "1171D-1171F 11722-11725 11727-1172B 11A01-11A06 11A09-11A0A 11A33-11A38 11A3B-11A3E "
        "11A47 11A51-11A56 11A59-11A5B 11A8A-11A96 11A98-11A99 11C30-11C36 11C38-11C3D 11C3F "
        "11C92-11CA7 11CAA-11CB0 11CB2-11CB3 11CB5-11CB6 11D31-11D36 11D3A 11D3C-11D3D "
        "11D3F-11D45 11D47 16AF0-16AF4 16B30-16B36 16F8F-16F92 1BC9D-1BC9E 1D165 1D167-1D169 "
        "1D16E-1D172 1D17B-1D182 1D185-1D18B 1D1AA-1D1AD 1D242-1D244 1DA00-1DA36 1DA3B-1DA6C "
        "1DA75 1DA84 1DA9B-1DA9F 1DAA1-1DAAF 1E000-1E006 1E008-1E018 1E01B-1E021 1E023-1E024 "
        "1E026-1E02A 1E8D0-1E8D6 1E944-1E94A E0020-E007F E0100-E01EF "
    ),
    _ZWJ: "200D",
    _RI: "1F1E6-1F1FF",
    _PREPEND: "600-605 6DD 70F 8E2 D4E 110BD 111C2-111C3 11A3A 11A86-11A89 11D46",
    _SPACING_MARK: (
        "903 93B 93E-940 949-94C 94E-94F 982-983 9BF-9C0 9C7-9C8 9CB-9CC A03 A3E-A40 A83 ABE-AC0 "
        "AC9 ACB-ACC B02-B03 B40 B47-B48 B4B-B4C BBF BC1-BC2 BC6-BC8 BCA-BCC C01-C03 C41-C44 "
        "C82-C83 CBE CC0-CC1 CC3-CC4 CC7-CC8 CCA-CCB D02-D03 D3F-D40 D46-D48 D4A-D4C D82-D83 "
        "DD0-DD1 DD8-DDE DF2-DF3 E33 EB3 F3E-F3F F7F 1031 103B-103C 1056-1057 1084 17B6 17BE-17C5 "
        "17C7-17C8 1923-1926 1929-192B 1930-1931 1933-1938 1A19-1A1A 1A55 1A57 1A6D-1A72 1B04 "
        "1B35 1B3B 1B3D-1B41 1B43-1B44 1B82 1BA1 1BA6-1BA7 1BAA 1BE7 1BEA-1BEC 1BEE 1BF2-1BF3 "
        "1C24-1C2B 1C34-1C35 1CE1 1CF2-1CF3 1CF7 A823-A824 A827 A880-A881 A8B4-A8C3 A952-A953 "
        "A983 A9B4-A9B5 A9BA-A9BB A9BD-A9C0 AA2F-AA30 AA33-AA34 AA4D AAEB AAEE-AAEF AAF5 "
        "ABE3-ABE4 ABE6-ABE7 ABE9-ABEA ABEC 11000 11002 11082 110B0-110B2 110B7-110B8 1112C 11182 "
        "111B3-111B5 111BF-111C0 1122C-1122E 11232-11233 11235 112E0-112E2 11302-11303 1133F "
        "11341-11344 11347-11348 1134B-1134D 11362-11363 11435-11437 11440-11441 11445 "
        "114B1-114B2 114B9 114BB-114BC 114BE 114C1 115B0-115B1 115B8-115BB 115BE 11630-11632 "
        "1163B-1163C 1163E 116AC 116AE-116AF 116B6 11720-11721 11726 11A07-11A08 11A39 "
        "11A57-11A58 11A97 11C2F 11C3E 11CA9 11CB1 11CB4 16F51-16F7E 1D166 1D16D "
    ),
    _L: "1100-115F A960-A97C",
    _V: "1160-11A7 D7B0-D7C6",
    _T: "11A8-11FF D7CB-D7FB",
    _E_BASE: (
        "261D 26F9 270A-270D 1F385 1F3C2-1F3C4 1F3C7 1F3CA-1F3CC 1F442-1F443 1F446-1F450 1F46E "
        "1F470-1F478 1F47C 1F481-1F483 1F485-1F487 1F4AA 1F574-1F575 1F57A 1F590 1F595-1F596 "
        "1F645-1F647 1F64B-1F64F 1F6A3 1F6B4-1F6B6 1F6C0 1F6CC 1F918-1F91C 1F91E-1F91F 1F926 "
        "1F930-1F939 1F93D-1F93E 1F9D1-1F9DD "
    ),
    _E_MODIFIER: "1F3FB-1F3FF",
    _GLUE_AFTER_ZWJ: (
        "2640 2642 2695-2696 2708 2764 1F308 1F33E 1F373 1F393 1F3A4 1F3A8 1F3EB 1F3ED 1F48B "
        "1F4BB-1F4BC 1F527 1F52C 1F5E8 1F680 1F692 "
    ),
    _E_BASE_GAZ: "1F466-1F469",
}


def _break_property_tables() -> tuple[bytes, list[int], list[int], bytes]:
    """A byte per BMP code point, and sorted ranges for the rest (few, mostly emoji)."""
    bmp = bytearray(0x10000)
    astral: list[tuple[int, int, int]] = []
    for prop, spans in _BREAK_PROPERTY_RANGES.items():
        for span in spans.split():
            first, _, last = span.partition("-")
            low, high = int(first, 16), int(last or first, 16)
            if low > 0xFFFF:
                astral.append((low, high, prop))
            else:
                bmp[low : high + 1] = bytes([prop]) * (high + 1 - low)
    # Hangul syllables: LV every 28th from U+AC00 (no trailing consonant), LVT the rest.
    bmp[0xAC00:0xD7A4] = bytes([_LVT]) * (0xD7A4 - 0xAC00)
    bmp[0xAC00:0xD7A4:28] = bytes([_LV]) * len(range(0xAC00, 0xD7A4, 28))
    astral.sort()
    return (
        bytes(bmp),
        [low for low, _, _ in astral],
        [high for _, high, _ in astral],
        bytes(prop for _, _, prop in astral),
    )


_BMP_PROPERTY, _ASTRAL_LOWS, _ASTRAL_HIGHS, _ASTRAL_PROPERTY = _break_property_tables()


def _break_property(code_point: int) -> int:
    if code_point < 0x10000:
        return _BMP_PROPERTY[code_point]
    index = bisect_right(_ASTRAL_LOWS, code_point) - 1
    if index >= 0 and code_point <= _ASTRAL_HIGHS[index]:
        return _ASTRAL_PROPERTY[index]
    return _OTHER


def _code_points_with(props: frozenset[int]) -> tuple[str, str]:
    """Regex character-class bodies (BMP, astral) for the code points with these properties."""
    bmp: list[str] = []
    astral: list[str] = []
    for prop, spans in _BREAK_PROPERTY_RANGES.items():
        if prop in props:
            for span in spans.split():
                first, _, last = span.partition("-")
                low, high = int(first, 16), int(last or first, 16)
                part = re.escape(chr(low)) + (f"-{re.escape(chr(high))}" if high > low else "")
                (astral if low > 0xFFFF else bmp).append(part)
    if props & {_LV, _LVT}:
        bmp.append("\uac00-\ud7a3")  # all Hangul syllables: a superset is enough here
    return "".join(bmp), "".join(astral)


def _astral_code_points_with(props: frozenset[int]) -> frozenset[str]:
    return frozenset(
        chr(code_point)
        for prop, spans in _BREAK_PROPERTY_RANGES.items()
        if prop in props
        for span in spans.split()
        for low, _, high in [span.partition("-")]
        for code_point in range(int(low, 16), int(high or low, 16) + 1)
        if code_point > 0xFFFF
    )


# Only these ever keep two code points in one cluster (Hangul syllables join only after a
# leading jamo, and emoji after a ZWJ, both listed): text without them is one cluster per code
# point. Python's re scans a class with astral ranges range by range, which is slow, so the BMP
# is a regex and the (rare) astral code points a set.
_JOINING = frozenset({_EXTEND, _ZWJ, _SPACING_MARK, _PREPEND, _RI, _E_MODIFIER, _L, _V, _T})
_JOINING_BMP = re.compile(f"[{_code_points_with(_JOINING)[0]}]")
_JOINING_ASTRAL = _astral_code_points_with(_JOINING)

# A code point can only join the one before it if it has one of these properties or follows a
# Prepend; everywhere else a cluster certainly ends. So only the runs this matches go through
# the state machine; the code points between them are clusters of their own.
_ATTACHING = (_JOINING - {_PREPEND}) | {_LV, _LVT, _GLUE_AFTER_ZWJ, _E_BASE_GAZ}
_ATTACHING_BMP, _ATTACHING_ASTRAL = _code_points_with(_ATTACHING)
_CLUSTER_RUN = re.compile(
    "(?s:.)(?:"
    f"[{_ATTACHING_BMP}]"
    f"|(?=[\U00010000-\U0010ffff])[{_ATTACHING_ASTRAL}]"
    f"|(?<=[{''.join(_code_points_with(frozenset({_PREPEND})))}])(?s:.)"
    ")+"
)


def _grapheme_clusters(text: str) -> tuple[list[int], list[str]]:
    """The UTF-16 width of each cluster of ``text``, and the clusters that are not a GSM
    character, in order."""
    widths: list[int] = []
    culprits: list[str] = []
    position = 0
    for run in _CLUSTER_RUN.finditer(text):
        _add_single_code_points(text[position : run.start()], widths, culprits)
        for cluster, width in _split_run(run.group()):
            widths.append(width)
            if width > 1 or cluster not in GSM7_CHARACTERS:
                culprits.append(cluster)
        position = run.end()
    _add_single_code_points(text[position:], widths, culprits)
    return widths, culprits


def _add_single_code_points(text: str, widths: list[int], culprits: list[str]) -> None:
    culprits += _NOT_GSM7.findall(text)
    if _ASTRAL.search(text) is None:
        widths += [1] * len(text)
    else:
        widths += [2 if char > "\uffff" else 1 for char in text]


# Where the mid-cluster regional-indicator run stands (see _breaks_before).
_MID_EMPTY, _MID_ALL_RI, _MID_RI_THEN_OTHER, _MID_OTHER = range(4)


def _split_run(text: str) -> list[tuple[str, int]]:
    """The clusters of a run that starts a cluster, with their UTF-16 widths.

    grapheme-splitter decides each break from the cluster so far: its first property
    (``start``), the properties after it (``mid``) and the candidate (``nxt``). Rather than keep
    ``mid`` as a list, this keeps the few facts about it that its rules look at.
    """
    clusters: list[tuple[str, int]] = []
    cluster_start = width = 0
    start = prev = prev2 = -1
    mid_len = 0
    mid_all_extend = True
    has_extend = False
    mid_has_ri = False
    ri_run = _MID_EMPTY
    for index, char in enumerate(text):
        code_point = ord(char)
        if code_point < 0x10000:
            nxt = _BMP_PROPERTY[code_point]
            char_width = 1
        else:
            nxt = _break_property(code_point)
            char_width = 2
        if index == 0 or _breaks_before(
            start, prev, prev2, mid_len, mid_all_extend, has_extend, mid_has_ri, ri_run, nxt
        ):
            if index:
                clusters.append((text[cluster_start:index], width))
            cluster_start = index
            width = 0
            start = prev = nxt
            prev2 = -1
            mid_len = 0
            mid_all_extend = True
            has_extend = nxt == _EXTEND
            mid_has_ri = False
            ri_run = _MID_EMPTY
        else:
            prev2 = prev
            prev = nxt
            mid_len += 1
            if nxt == _EXTEND:
                has_extend = True
            else:
                mid_all_extend = False
            if nxt == _RI:
                mid_has_ri = True
                if ri_run == _MID_EMPTY:
                    ri_run = _MID_ALL_RI
                elif ri_run == _MID_RI_THEN_OTHER:
                    ri_run = _MID_OTHER
            elif ri_run == _MID_ALL_RI:
                ri_run = _MID_RI_THEN_OTHER
            elif ri_run == _MID_EMPTY:
                ri_run = _MID_OTHER
        width += char_width
    clusters.append((text[cluster_start:], width))
    return clusters


def _breaks_before(
    start: int,
    prev: int,
    prev2: int,
    mid_len: int,
    mid_all_extend: bool,
    has_extend: bool,
    mid_has_ri: bool,
    ri_run: int,
    nxt: int,
) -> bool:
    """grapheme-splitter's shouldBreak, rule for rule, in its order. Its two "lookahead" rules
    come first and only ever break; they reduce to the conditions below."""
    # Its GB10 lookahead: Extend+ then E_Modifier breaks unless the cluster began with an
    # emoji base or an Extend.
    if (
        nxt == _E_MODIFIER
        and mid_len
        and mid_all_extend
        and start not in (_EXTEND, _E_BASE, _E_BASE_GAZ)
    ):
        return True
    # Its GB12/13 lookahead: a regional indicator right after a lone non-Prepend start, or
    # anything after regional indicators then other non-Prepend properties.
    if nxt == _RI:
        if not mid_len and start != _PREPEND and start != _RI:
            return True
    elif ri_run == _MID_RI_THEN_OTHER and prev != _PREPEND:
        return True
    # GB3-GB5. CR LF stays together here, but the calculator splits it again, so always break.
    if prev in (_CR, _LF, _CONTROL) or nxt in (_CR, _LF, _CONTROL):
        return True
    # GB6-GB8: Hangul syllable sequences.
    if prev == _L and nxt in (_L, _V, _LV, _LVT):
        return False
    if prev in (_LV, _V) and nxt in (_V, _T):
        return False
    if prev in (_LVT, _T) and nxt == _T:
        return False
    # GB9, GB9a, GB9b.
    if nxt in (_EXTEND, _ZWJ, _SPACING_MARK) or prev == _PREPEND:
        return False
    # GB10 as it implements it: an emoji base right before (and no Extend anywhere in the
    # cluster), or two back with exactly one Extend between.
    if nxt == _E_MODIFIER and (
        (prev == _EXTEND and prev2 in (_E_BASE, _E_BASE_GAZ))
        or (not has_extend and prev in (_E_BASE, _E_BASE_GAZ))
    ):
        return False
    # GB11 (Unicode 10): ZWJ x (Glue_After_Zwj | E_Base_GAZ).
    if prev == _ZWJ and nxt in (_GLUE_AFTER_ZWJ, _E_BASE_GAZ):
        return False
    # GB12/GB13: a regional indicator pairs with the one before, once.
    if mid_has_ri:
        return True
    return not (prev == _RI and nxt == _RI)
