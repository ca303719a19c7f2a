"""Text normalisation: the one form of a document's text that every later stage reads.

``normalize`` is NFKC with exceptions, so that a 题名 keeps its 全角 punctuation while full-width
digits and letters (``２０２２``, ``ＡＢＣ``) and other compatibility characters are folded:

* kept as they are: full-width punctuation and symbols (U+FF01–FF0F, FF1A–FF20, FF3B–FF40,
  FF5B–FF5E: ，：；（）！？［］ …), the ellipsis …, and the enclosed numbers ①②⑴ (folding them
  would glue a list marker to its text);
* U+3000 (ideographic space) and U+00A0 become an ordinary space (NFKC);
* Kangxi Radicals (U+2F00–U+2FDF) become ordinary ideographs (NFKC) and so do the CJK Radicals
  Supplement (U+2E80–U+2EFF) through an explicit table (NFKC leaves that block alone); some PDF
  text layers are written in these code points (``⾰命⽂物``, ``⼈⺠``);
* ﹝﹞ become 〔〕 (NFKC); no other bracket is unified here (the doc-number parser does that);
* ``\\r\\n`` and ``\\r`` (and U+2028/2029, form feed, vertical tab) become ``\\n``;
* zero-width characters, the BOM, direction marks and control characters other than ``\\n`` and
  ``\\t`` are dropped; a soft hyphen is dropped too, except between two digits, where PDF text
  layers made by Word/WPS use it for a real hyphen (``2014\\xad2020`` → ``2014-2020``);
* a run of spaces/tabs collapses to one character (a tab if the run held a tab, else a space);
  each line is stripped at both ends; more than one blank line in a row collapses to one blank
  line; the whole text is stripped.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "RADICALS_SUPPLEMENT"]

# CJK Radicals Supplement (U+2E80–U+2EF3) -> the ordinary ideograph with the same shape/meaning
# (after Unicode's EquivalentUnifiedIdeograph.txt). U+2E80 (REPEAT) has no equivalent and is left.
RADICALS_SUPPLEMENT: dict[str, str] = {
    "\u2e81": "厂",  # ⺁ CLIFF
    "\u2e82": "乛",  # ⺂ SECOND ONE
    "\u2e83": "乚",  # ⺃ SECOND TWO
    "\u2e84": "乙",  # ⺄ SECOND THREE
    "\u2e85": "亻",  # ⺅ PERSON
    "\u2e86": "冂",  # ⺆ BOX
    "\u2e87": "\U00020628",  # ⺇ TABLE  (𠘨)
    "\u2e88": "\U0002008a",  # ⺈ KNIFE ONE (𠂊)
    "\u2e89": "刂",  # ⺉ KNIFE TWO
    "\u2e8a": "卜",  # ⺊ DIVINATION
    "\u2e8b": "㔾",  # ⺋ SEAL
    "\u2e8c": "小",  # ⺌ SMALL ONE
    "\u2e8d": "小",  # ⺍ SMALL TWO
    "\u2e8e": "兀",  # ⺎ LAME ONE
    "\u2e8f": "尣",  # ⺏ LAME TWO
    "\u2e90": "尢",  # ⺐ LAME THREE
    "\u2e91": "\U00021bc2",  # ⺑ LAME FOUR (𡯂)
    "\u2e92": "巳",  # ⺒ SNAKE
    "\u2e93": "幺",  # ⺓ THREAD
    "\u2e94": "彑",  # ⺔ SNOUT ONE
    "\u2e95": "彐",  # ⺕ SNOUT TWO
    "\u2e96": "忄",  # ⺖ HEART ONE
    "\u2e97": "心",  # ⺗ HEART TWO
    "\u2e98": "扌",  # ⺘ HAND
    "\u2e99": "攵",  # ⺙ RAP
    "\u2e9b": "旡",  # ⺛ CHOKE
    "\u2e9c": "日",  # ⺜ SUN
    "\u2e9d": "月",  # ⺝ MOON
    "\u2e9e": "歺",  # ⺞ DEATH
    "\u2e9f": "母",  # ⺟ MOTHER
    "\u2ea0": "民",  # ⺠ CIVILIAN
    "\u2ea1": "氵",  # ⺡ WATER ONE
    "\u2ea2": "氺",  # ⺢ WATER TWO
    "\u2ea3": "灬",  # ⺣ FIRE
    "\u2ea4": "爫",  # ⺤ PAW ONE
    "\u2ea5": "爫",  # ⺥ PAW TWO
    "\u2ea6": "丬",  # ⺦ SIMPLIFIED HALF TREE TRUNK
    "\u2ea7": "牛",  # ⺧ COW
    "\u2ea8": "犭",  # ⺨ DOG
    "\u2ea9": "王",  # ⺩ JADE
    "\u2eaa": "\U00024d14",  # ⺪ BOLT OF CLOTH (𤴔)
    "\u2eab": "罒",  # ⺫ EYE
    "\u2eac": "示",  # ⺬ SPIRIT ONE
    "\u2ead": "礻",  # ⺭ SPIRIT TWO
    "\u2eae": "竹",  # ⺮ BAMBOO
    "\u2eaf": "糹",  # ⺯ SILK
    "\u2eb0": "纟",  # ⺰ C-SIMPLIFIED SILK
    "\u2eb1": "罓",  # ⺱ NET ONE
    "\u2eb2": "罒",  # ⺲ NET TWO
    "\u2eb3": "㓁",  # ⺳ NET THREE
    "\u2eb4": "罓",  # ⺴ NET FOUR
    "\u2eb5": "\U0002626a",  # ⺵ MESH (𦉪)
    "\u2eb6": "羊",  # ⺶ SHEEP
    "\u2eb7": "\U0002634c",  # ⺷ RAM (𦍌)
    "\u2eb8": "\U0002634b",  # ⺸ EWE (𦍋)
    "\u2eb9": "耂",  # ⺹ OLD
    "\u2eba": "肀",  # ⺺ BRUSH ONE
    "\u2ebb": "聿",  # ⺻ BRUSH TWO
    "\u2ebc": "月",  # ⺼ MEAT
    "\u2ebd": "臼",  # ⺽ MORTAR
    "\u2ebe": "艹",  # ⺾ GRASS ONE
    "\u2ebf": "艹",  # ⺿ GRASS TWO
    "\u2ec0": "艹",  # ⻀ GRASS THREE
    "\u2ec1": "虎",  # ⻁ TIGER
    "\u2ec2": "衤",  # ⻂ CLOTHES
    "\u2ec3": "覀",  # ⻃ WEST ONE
    "\u2ec4": "西",  # ⻄ WEST TWO
    "\u2ec5": "见",  # ⻅ C-SIMPLIFIED SEE
    "\u2ec6": "角",  # ⻆ SIMPLIFIED HORN
    "\u2ec7": "角",  # ⻇ HORN
    "\u2ec8": "讠",  # ⻈ C-SIMPLIFIED SPEECH
    "\u2ec9": "贝",  # ⻉ C-SIMPLIFIED SHELL
    "\u2eca": "\U00027fb7",  # ⻊ FOOT (𧾷)
    "\u2ecb": "车",  # ⻋ C-SIMPLIFIED CART
    "\u2ecc": "辶",  # ⻌ SIMPLIFIED WALK
    "\u2ecd": "辶",  # ⻍ WALK ONE
    "\u2ece": "辶",  # ⻎ WALK TWO
    "\u2ecf": "阝",  # ⻏ CITY
    "\u2ed0": "钅",  # ⻐ C-SIMPLIFIED GOLD
    "\u2ed1": "長",  # ⻑ LONG ONE
    "\u2ed2": "镸",  # ⻒ LONG TWO
    "\u2ed3": "长",  # ⻓ C-SIMPLIFIED LONG
    "\u2ed4": "门",  # ⻔ C-SIMPLIFIED GATE
    "\u2ed5": "阜",  # ⻕ MOUND ONE
    "\u2ed6": "阝",  # ⻖ MOUND TWO
    "\u2ed7": "雨",  # ⻗ RAIN
    "\u2ed8": "青",  # ⻘ BLUE
    "\u2ed9": "韦",  # ⻙ C-SIMPLIFIED TANNED LEATHER
    "\u2eda": "页",  # ⻚ C-SIMPLIFIED LEAF
    "\u2edb": "风",  # ⻛ C-SIMPLIFIED WIND
    "\u2edc": "飞",  # ⻜ C-SIMPLIFIED FLY
    "\u2edd": "食",  # ⻝ EAT ONE
    "\u2ede": "\U0002967f",  # ⻞ EAT TWO (𩙿)
    "\u2edf": "飠",  # ⻟ EAT THREE
    "\u2ee0": "饣",  # ⻠ C-SIMPLIFIED EAT
    "\u2ee1": "首",  # ⻡ HEAD
    "\u2ee2": "马",  # ⻢ C-SIMPLIFIED HORSE
    "\u2ee3": "骨",  # ⻣ BONE
    "\u2ee4": "鬼",  # ⻤ GHOST
    "\u2ee5": "鱼",  # ⻥ C-SIMPLIFIED FISH
    "\u2ee6": "鸟",  # ⻦ C-SIMPLIFIED BIRD
    "\u2ee7": "卤",  # ⻧ C-SIMPLIFIED SALT
    "\u2ee8": "麦",  # ⻨ SIMPLIFIED WHEAT
    "\u2ee9": "黄",  # ⻩ SIMPLIFIED YELLOW
    "\u2eea": "黾",  # ⻪ C-SIMPLIFIED FROG
    "\u2eeb": "斉",  # ⻫ J-SIMPLIFIED EVEN
    "\u2eec": "齐",  # ⻬ C-SIMPLIFIED EVEN
    "\u2eed": "歯",  # ⻭ J-SIMPLIFIED TOOTH
    "\u2eee": "齿",  # ⻮ C-SIMPLIFIED TOOTH
    "\u2eef": "竜",  # ⻯ J-SIMPLIFIED DRAGON
    "\u2ef0": "龙",  # ⻰ C-SIMPLIFIED DRAGON
    "\u2ef1": "龜",  # ⻱ TURTLE
    "\u2ef2": "亀",  # ⻲ J-SIMPLIFIED TURTLE
    "\u2ef3": "龟",  # ⻳ C-SIMPLIFIED TURTLE
}
_RADICALS_TABLE = str.maketrans(RADICALS_SUPPLEMENT)

# Characters NFKC would fold but that must stay as printed.
_KEEP = (
    "\uff01-\uff0f"  # ！＂＃＄％＆＇（）＊＋，－．／
    "\uff1a-\uff20"  # ：；＜＝＞？＠
    "\uff3b-\uff40"  # ［＼］＾＿｀
    "\uff5b-\uff5e"  # ｛｜｝～
    "\u2026\u2025"  # … ‥
    "\u2460-\u24ff"  # ① ⑴ ⒈ Ⓐ …
    "\u3251-\u325f\u32b1-\u32bf"  # circled numbers 21–50
)
_KEEP_RUN = re.compile(f"[{_KEEP}]+")

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_SOFT_HYPHEN_IN_NUMBER = re.compile(r"(?<=[0-9])\u00ad(?=[0-9])")
# Zero-width and invisible format characters, BOM, soft hyphen, and C0/C1 controls but \t and \n.
_DROP = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufe00-\ufe0f\ufeff\ufff9-\ufffb\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]"
)
_HSPACE_RUN = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _nfkc_except_kept(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _KEEP_RUN.finditer(text):
        out.append(unicodedata.normalize("NFKC", text[pos : m.start()]))
        out.append(m.group())
        pos = m.end()
    out.append(unicodedata.normalize("NFKC", text[pos:]))
    return "".join(out)


def _collapse(m: re.Match[str]) -> str:
    return "\t" if "\t" in m.group() else " "


def normalize(text: str) -> str:
    """Return ``text`` in the project's normal form (see the module docstring)."""
    if not text:
        return ""
    text = _NEWLINES.sub("\n", text)
    text = _SOFT_HYPHEN_IN_NUMBER.sub("-", text)
    text = _DROP.sub("", text)
    text = _nfkc_except_kept(text)
    text = text.translate(_RADICALS_TABLE)
    # NFKC can produce characters we drop (e.g. from compatibility sequences); run once more.
    text = _DROP.sub("", text)
    text = _HSPACE_RUN.sub(_collapse, text)
    text = "\n".join(line.strip(" \t") for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip("\n")
