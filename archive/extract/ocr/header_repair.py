"""Repairing the 版头 where OCR is known to fail: the 号 after a serial read as a look-alike, the first
character of the 机关代字 left unread when page 1 names one province (冀 read as 费)."""

from __future__ import annotations

import re

from archive.extract.ocr.model import OcrLine

# ---- repairing the 版头 where OCR is known to fail ----------------------------------------------------
# A character Tesseract gives less than this confidence is treated as unread (misread 冀 came at 0–60).
UNREAD = 65.0
PROVINCES = {  # province-level names -> the abbreviation that opens their 机关代字 (冀政办发 …)
    "北京": "京", "天津": "津", "河北": "冀", "山西": "晋", "内蒙古": "蒙", "辽宁": "辽", "吉林": "吉",
    "黑龙江": "黑", "上海": "沪", "江苏": "苏", "浙江": "浙", "安徽": "皖", "福建": "闽", "江西": "赣",
    "山东": "鲁", "河南": "豫", "湖北": "鄂", "湖南": "湘", "广东": "粤", "广西": "桂", "海南": "琼",
    "重庆": "渝", "四川": "川", "贵州": "黔", "云南": "滇", "西藏": "藏", "陕西": "陕", "甘肃": "甘",
    "青海": "青", "宁夏": "宁", "新疆": "新",
}
# 〔2019〕38号 with 号 misread (与, 吴, 5 …): the character after the serial, when unread, is 号
_YEAR_SERIAL = re.compile(r"(?:[〔【\[（(]{1,2}\s*0?)?(?:19|20)\d{2}\s*[〕】\]）)]{1,2}\s*\d{1,5}|令\s*第\s*\d{1,5}")
_LOOKS_LIKE_HAO = set("与吴导亏弓丐兮考号")  # what chi_sim reads for a 号 after a serial
# a 机关代字 right before the bracketed year: 2–8 CJK characters
_CODE_BEFORE_YEAR = re.compile(r"([\u4e00-\u9fff]{2,})\s*[〔【\[（(]{0,2}\s*0?(?:19|20)\d{2}\s*[〕】\]）)]")


# 一 at the end of a 机关代字 (外事合一〔2021〕6号) read as a dash: a dash never ends a 代字 before its bracketed year
_DASH_BEFORE_YEAR = re.compile(r"(?<=[\u4e00-\u9fff])[—－‒–-](?=\s*[〔【\[（(]{1,2}\s*0?(?:19|20)\d{2}\s*[〕】\]）)])")


def repair_header(lines: list[OcrLine], max_lines: int = 10) -> list[str]:
    """Fix, in place, the misreadings of the 发文字号 that the models make most:

    * an unread 号 after the serial, or one read as a look-alike (``〔2017〕30吴``, ``令第5与`` -> 号);
    * an unread first character of the 机关代字 when page 1 names exactly one province: it is that
      province's abbreviation (``费政〔2013〕43号`` with 河北省 in the title -> ``冀政〔2013〕43号``;
      the model does not know 冀 in some typefaces);
    * 一 ending the 代字 read as a dash (``外事合—〔2021〕6号``), whatever its confidence: a 代字 holds no dash.

    The first two replace only characters the engine itself marked as unread (confidence < UNREAD), and the
    版头 confidence is computed before the repair, so a repaired number still goes to 待定 for a
    person to confirm. Returns what was changed (Chinese), for the record's warnings."""
    done: list[str] = []
    head = lines[:max_lines]
    names = {abbr for ln in head for name, abbr in PROVINCES.items() if name in ln.text}
    for ln in head:
        if len(ln.char_conf) != len(ln.text):
            continue
        chars = list(ln.text)
        for m in _YEAR_SERIAL.finditer(ln.text):
            i = m.end()
            while i < len(chars) and chars[i] == " ":
                i += 1
            if (i < len(chars) and chars[i] != "号" and not chars[i].isdigit()
                    and (ln.char_conf[i] < UNREAD or chars[i] in _LOOKS_LIKE_HAO)):
                done.append(f"“{chars[i]}”识别不清，按发文字号格式读作“号”")
                chars[i] = "号"
        for m in _DASH_BEFORE_YEAR.finditer(ln.text):
            done.append(f"发文字号中的“{chars[m.start()]}”按机关代字读作“一”")
            chars[m.start()] = "一"
        if len(names) == 1:
            abbr = next(iter(names))
            for m in _CODE_BEFORE_YEAR.finditer(ln.text):
                # the code opens the run of characters, or follows the 发文机关标志's 文件
                k = m.group(1).rfind("文件")
                i = m.start(1) + (k + 2 if k >= 0 else 0)
                if i < m.end(1) - 1 and chars[i] != abbr and ln.char_conf[i] < UNREAD:
                    done.append(f"发文字号首字“{chars[i]}”识别不清，按首页所列发文机关推定为“{abbr}”")
                    chars[i] = abbr
        ln.text = "".join(chars)
    return done
