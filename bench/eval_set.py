"""Build the reader's evaluation set from the real corpus texts, by a path of its own.

    python bench/eval_set.py --out DIR [--n N] [--scans N] [--corpus DIR] [--no-pdf]

Why a separate path: the test fixtures (``tests/makedocs.py``, ``tests/gongwen_gen.py``) and the
parser were tuned together, so figures measured on them say little. Here every document is laid out
with python-docx directly (own paragraph properties, tables, borders, footers, colours) in one of the
four GB/T 9704 layouts, with the variations real files show (SPEC §2): the red rule typed as a line of
``—``/``─``/``_``/``━`` or drawn as a paragraph border, 签发人 on the number's line, joint documents
(names stacked in a table or listed), ``编号：`` labels, page numbers ``- 2 -`` between the body and the
署名 (typed, or a real footer PAGE field that lands in the PDF text), blank lines, titles broken over
two lines, 成文日期 in Chinese numerals. ~10% carry a 密级 mark in the 版头 (``manifest.gold.secrecy``).
Issue 24 added (drawn with a salt of their own, so the earlier variations stay as they were): the number
printed under the title instead of in the 版头 (~10%), a 党委-style date in parentheses under the title and
no 落款 (~8% of 文件格式), a long 署名 name wrapped at its column's width, and a ``.web.txt`` copied from the
page without its table (title, then the number under it; ~30%).

Then: PDF from every DOCX by LibreOffice headless (one batch call, own profile dir); scans of a
subset: pypdfium2 page images at 200 and 300 dpi with a slight skew, specks and JPEG compression,
written as JPEG, PNG (page 1) and image-only PDF (all pages); and a web-page copy (``.html`` with a
site header and a meta table, plus the ``.web.txt`` text an HTML extractor gives: one table row a line,
cells separated by a TAB).

``--own-scans N`` (issue 24, scans round) adds tune-split scans made by another path (``own_scans``: reportlab
and pdftoppm, 令 and 纪要 first), formats ``ownpng``/``ownpdf``; the test split is never scanned this way.

Texts, titles, numbers and issuers come from ``docs.jsonl``; what the file prints is the gold, kept in
``manifest.jsonl`` (one row per file). The split is by document (a stable hash of the doc id):
``tune`` and ``test``. Only documents with a known 发文机关 (label, or the title's ``XX关于`` prefix)
are used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

ROOT = Path(__file__).resolve().parents[1]
RED = RGBColor(0xE0, 0x00, 0x00)
LAYOUTS = ("文件格式", "信函格式", "命令格式", "纪要格式")
SECRET_MARKS = ("秘密★1年", "机密", "绝密★10年", "秘密", "机密★5年", "秘密★6个月")
ZH = "〇一二三四五六七八九"
NAMES = ("王建国", "李明华", "张志强", "刘永红", "陈晓东", "杨立新", "赵国平", "黄振华")


def split_of(doc_id: str) -> str:
    """Stable by-document split: never changes with --n or the order of docs.jsonl."""
    return "tune" if hashlib.sha256(doc_id.encode()).digest()[0] % 2 == 0 else "test"


def rng_of(doc_id: str, salt: str = "") -> random.Random:
    return random.Random(int(hashlib.sha256((doc_id + salt).encode()).hexdigest()[:12], 16))


def zh_date(d: dt.date) -> str:
    def small(n: int) -> str:
        if n < 10:
            return ZH[n]
        t, o = divmod(n, 10)
        return ("" if t == 1 else ZH[t]) + "十" + (ZH[o] if o else "")

    return "".join(ZH[int(c)] for c in str(d.year)) + "年" + small(d.month) + "月" + small(d.day) + "日"


def ar_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# ------------------------------------------------------------------------------------------------
# what to print, from a corpus row


def clean_title(t: str) -> str:
    t = re.sub(r"^\[[^\]]*\]", "", t.strip())
    return re.sub(r"\s+", "", t)


def issuer_of(r: dict) -> str | None:
    iss = r.get("issuer")
    if iss and len(iss) >= 3 and not iss.startswith("按照"):
        return iss.strip()
    m = re.match(r"^([^关《]{3,30}?)关于", clean_title(r.get("title") or ""))
    return m.group(1) if m else None


def body_paragraphs(r: dict, title: str, number_raw: str, limit: int) -> tuple[str | None, list[str]]:
    """(主送, paragraphs) from the document's own text; its own header and title are cut away."""
    text = (r.get("body_text") or "").replace("\r\n", "\n").replace("\r", "\n")
    head = text[:400]
    for piece in (number_raw, title, r.get("title") or ""):
        if piece:
            head = head.replace(piece, "\n")
    text = head + text[400:]
    # the document's own 署名 and 成文日期 stay out: the file prints its own (a second date would be a
    # second signature). Cut at the first date that closes a line or is glued to an issuer's name.
    date = re.compile(r"(?:\d{4}|[〇一二三四五六七八九○]{4})\s*年\s*[\d一二三四五六七八九十]{1,2}\s*月\s*[\d一二三四五六七八九十]{1,3}\s*日")
    closes = re.compile(r"\s*(?:\n|$|（|\(|[^\d，。、；）)]{0,3}(?:印发|附件|[一二三四五六七八九十]+、))")
    org_end = r"(?:公司|厅|局|部|委|会|室|院|府|中心|组|办)$"
    for m in date.finditer(text):
        ls = text.rfind("\n", 0, m.start()) + 1
        before = text[ls:m.start()]
        prev = text[text.rfind("\n", 0, max(0, ls - 1)) + 1:max(0, ls - 1)] if ls else ""
        # a 署名 right above or glued before the date makes it a signature whatever follows (an
        # attachment's title often runs on: …办公厅 / 2022年2月26日河北省加快推进…措施)
        signed = (not before and 2 <= len(prev) <= 60 and not re.search(r"[。，；：:]", prev)
                  and re.search(org_end, prev)) or (before and re.search(org_end, before))
        if not (closes.match(text, m.end()) or signed):
            continue
        if len(before) > 40 and not re.search(org_end, before):
            continue
        cut = m.start() if len(before) > 40 else ls
        if len(before) > 40:
            g = re.search(r"[^。；！]{2,40}?" + org_end, before)
            cut = ls + (g.start() if g else len(before))
        head_lines = text[:cut].rstrip("\n").split("\n")
        while head_lines and len(head_lines[-1]) <= 40 and "。" not in head_lines[-1]:
            head_lines.pop()  # the 署名 lines above the date
        text = "\n".join(head_lines)
        break
    recipient = None
    m = re.search(r"(?:^|\n|号)([^。\n：:]{2,90})[：:]\s*\n?", text[:500])
    if m and "。" not in m.group(1) and not re.search(r"(?:索引号|主题|日期|文号|来源|发布)", m.group(1)):
        recipient = re.sub(r"^.*(?:文件|通知|意见|决定|批复|函|报告|请示)(?=[^，、]{2,}$)", "", m.group(1)).strip()
        recipient = re.sub(r"^[》」”]*的?(?:通知|意见|决定|批复|函|报告|请示)", "", recipient).strip()
        if len(recipient) < 2:
            recipient = None
        text = text[m.end():]
    else:  # no 主送: drop the short leftovers of the original header
        lines = text.split("\n")
        while lines and (not lines[0].strip() or (len(lines[0]) < 60 and "。" not in lines[0])):
            lines.pop(0)
        text = "\n".join(lines)
    paras: list[str] = []
    for ln in text.split("\n"):
        ln = ln.strip().replace("\u3000", "")
        if not ln or re.fullmatch(r"[\d\s年月日〇一二三四五六七八九十]+", ln):
            continue
        if re.search(r"(?:索引号|浏览次数|字体：|打印|关闭)", ln):
            continue
        # run-on OCR-like texts: break into sentences of a paragraph's size
        while len(ln) > 180:
            cut = ln.rfind("。", 60, 180)
            cut = cut + 1 if cut > 0 else 160
            paras.append(ln[:cut])
            ln = ln[cut:]
        paras.append(ln)
        if sum(map(len, paras)) > limit:
            break
    # a 署名/date left in the text would be a second signature: drop paragraphs that look like one
    paras = [p for p in paras if not re.search(r"\d{4}年\d{1,2}月\d{1,2}日$", p) or len(p) > 40]
    return recipient, paras[:12] or ["特此通知。"]


def plan(r: dict) -> dict | None:
    """Decide layout, variations and gold for one corpus document."""
    issuer = issuer_of(r)
    if not issuer or not r.get("doc_number") or re.search(r"(?:\.\.\.|…)$", r.get("title") or "…") \
            or len(r["title"]) > 70 or "。" in r["title"]:
        return None  # truncated listing titles are not what a document prints
    rnd = rng_of(r["id"])
    title = clean_title(r["title"])
    m = re.search(r"((?:关于)?(?:印发|转发)《" + re.escape(title) + r"》的(?:通知|决定))", (r.get("body_text") or "")[:500])
    if m and not re.search(r"(?:通知|意见|决定|批复|函|报告|请示|通报|公告|通告|纪要|令)$", title):
        title = m.group(1)  # the listing gave the attachment's name; the document prints this
    raw = (r["meta"].get("doc_number_raw") or r["doc_number"]).replace("\n", "")
    dtype = r.get("doc_type") or ""
    is_order = bool(re.search(r"令(?:第|〔)", r["doc_number"])) and "公告" not in r["doc_number"]
    if is_order:
        layout = "命令格式"
    elif dtype in ("函", "批复") and rnd.random() < 0.7:
        layout = "信函格式"
    else:
        x = rnd.random()
        layout = "文件格式" if x < 0.55 else "信函格式" if x < 0.72 else "命令格式" if x < 0.86 else "纪要格式"
    if r.get("date"):
        date = dt.date.fromisoformat(r["date"])
    else:
        m = re.search(r"〔(\d{4})〕", r["doc_number"])
        y = int(m.group(1)) if m else 2022
        date = dt.date(y, rnd.randint(1, 12), rnd.randint(1, 28))
    joint = [s for s in re.split(r"[、，,]", issuer) if s]
    p = {
        "id": r["id"], "split": split_of(r["id"]), "layout": layout, "issuer": issuer, "issuers": joint,
        "date": date.isoformat(), "zh_date": rnd.random() < 0.2,
        "rule": rnd.choice(["border", "border", "—", "─", "_", "━"]),
        "secrecy": rnd.choice(SECRET_MARKS) if rnd.random() < 0.10 else None,
        "copy_no": f"{rnd.randint(1, 999):06d}" if rnd.random() < 0.15 else None,
        "urgency": rnd.choice(["特急", "加急"]) if rnd.random() < 0.12 else None,
        "signer_line": rnd.random() < (0.8 if dtype in ("请示", "报告") else 0.12),
        "label": rnd.random() < 0.07, "page_no": rnd.choice([None, None, "typed", "footer"]),
        "blank_lines": rnd.random() < 0.3, "title_break": rnd.random() < 0.4,
        "joint_table": len(joint) > 1 and rnd.random() < 0.5,
        "colophon": rnd.random() < 0.6, "note": rnd.random() < 0.3,
        "address": rnd.random() < 0.5,
    }
    # round-3 variations (issue 24), drawn apart so that the ones above stay as they were
    r3 = rng_of(r["id"], "r3")
    x3 = r3.random()
    p["num_after_title"] = layout in ("文件格式", "信函格式") and x3 < 0.10  # a web-style copy: number under the title
    p["date_under_title"] = layout == "文件格式" and 0.10 <= x3 < 0.18  # 党委 style: （date） under the title, no 落款
    p["sig_wrap"] = r3.random() < 0.5  # a long 署名 name wraps at the width of its column
    p["web_plain"] = r3.random() < 0.3  # text saved from the page without its table: title, then the number
    if layout == "命令格式":
        if is_order:
            m = re.search(r"第\s*(\d+)\s*号", raw) or re.search(r"〕\s*第?\s*(\d+)\s*号", raw)
            serial = int(m.group(1)) if m else 1
            agency = re.sub(r"令.*$", "", r["doc_number"]) or issuer
            agency = agency if len(agency) > 1 and not agency.endswith("局长") and "〔" not in r["doc_number"] \
                else issuer
        else:
            serial, agency = rnd.randint(1, 320), joint[0]
        p.update(masthead=f"{agency}令", number_printed=f"第{serial}号", doc_number=f"{agency}令第{serial}号",
                 title=f"{agency}令", issuer=agency, issuers=[agency],
                 regulation=re.sub(r"^.*?令第\d+号", "", title).strip("《》 ") or title)
        p["title_alt"] = p["regulation"]  # a 令 has no title: its mark, or the regulation it promulgates
    elif layout == "纪要格式":
        kind = rnd.choice(["专题会议", "常务会议", "办公会议"])
        name = joint[0]
        p.update(masthead=f"{name}{kind}纪要", number_printed=f"第{rnd.randint(1, 40)}期", doc_number=None,
                 title=f"{name}{kind}纪要", issuer=name, issuers=[name], subject=title)
    else:
        p.update(masthead=(f"{joint[0]}文件" if len(joint) == 1 else "文件") if layout == "文件格式" else issuer,
                 number_printed=raw, doc_number=r["doc_number"], title=title)
        if layout == "信函格式":
            p["masthead"] = joint[0] if len(joint) == 1 else issuer
    return p


# ------------------------------------------------------------------------------------------------
# DOCX, by python-docx directly


def _font(run, size: float, bold=False, red=False, family="仿宋_GB2312"):
    run.font.size = Pt(size)
    run.font.bold = bold
    if red:
        run.font.color.rgb = RED
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), family)
    fonts.set(qn("w:ascii"), family)


def _para(doc, text="", size=16, align=None, bold=False, red=False, family="仿宋_GB2312", indent=False, after=0):
    par = doc.add_paragraph()
    if align is not None:
        par.alignment = align
    pf = par.paragraph_format
    pf.space_after = Pt(after)
    pf.space_before = Pt(0)
    if indent:
        pf.first_line_indent = Pt(size * 2)
    if text:
        _font(par.add_run(text), size, bold, red, family)
    return par


def _border(par, style="single", size=18, where="bottom"):
    ppr = par._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    el = OxmlElement(f"w:{where}")
    el.set(qn("w:val"), style)
    el.set(qn("w:sz"), str(size))
    el.set(qn("w:space"), "1")
    el.set(qn("w:color"), "E00000")
    bdr.append(el)
    ppr.append(bdr)


def _rule(doc, kind: str, double=False):
    if kind == "border":
        par = _para(doc, "", size=6)
        _border(par, "double" if double else "single", 18 if not double else 12)
        return
    _para(doc, kind * (30 if kind in "—━" else 40), size=12, align=WD_ALIGN_PARAGRAPH.CENTER, red=True)
    if double:
        _para(doc, kind * (30 if kind in "—━" else 40), size=12, align=WD_ALIGN_PARAGRAPH.CENTER, red=True)


def _footer_page(section):
    """A real footer with '- PAGE -': LibreOffice prints it on every page of the PDF."""
    par = section.footer.paragraphs[0]
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(par.add_run("- "), 14, family="宋体")
    run = par.add_run()
    _font(run, 14, family="宋体")
    for tag, attr in (("w:fldChar", "begin"), ("w:instrText", None), ("w:fldChar", "end")):
        el = OxmlElement(tag)
        if attr:
            el.set(qn("w:fldCharType"), attr)
        else:
            el.set(qn("xml:space"), "preserve")
            el.text = "PAGE"
        run._r.append(el)
    _font(par.add_run(" -"), 14, family="宋体")


def _blank(doc, p, rnd):
    if p["blank_lines"] and rnd.random() < 0.5:
        _para(doc, "")


def _title_lines(title: str, rnd, broken: bool) -> list[str]:
    if not broken or len(title) < 18:
        return [title]
    cut = title.find("关于") + 2 if 4 < title.find("关于") < len(title) - 8 else len(title) // 2
    cut = max(6, min(cut + rnd.randint(0, 6), len(title) - 4))
    return [title[:cut], title[cut:]]


def build_docx(p: dict, r: dict, path: Path) -> dict:
    rnd = rng_of(p["id"], "docx")
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    if p["page_no"] == "footer":
        _footer_page(sec)
    date = dt.date.fromisoformat(p["date"])
    date_s = zh_date(date) if p["zh_date"] else ar_date(date)
    layout = p["layout"]
    # 版头: 份号 / 密级 / 紧急程度, flush left
    for mark in (p["copy_no"], p["secrecy"], p["urgency"]):
        if mark:
            _para(doc, mark, size=16, family="黑体")
    # 机关标志
    if layout == "文件格式" and len(p["issuers"]) > 1:
        if p["joint_table"]:
            t = doc.add_table(rows=len(p["issuers"]), cols=2)
            t.alignment = WD_TABLE_ALIGNMENT.CENTER
            for i, name in enumerate(p["issuers"]):
                c = t.cell(i, 0)
                c.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.DISTRIBUTE
                _font(c.paragraphs[0].add_run(name), 26, red=True, family="方正小标宋简体")
            merged = t.cell(0, 1).merge(t.cell(len(p["issuers"]) - 1, 1))
            _font(merged.paragraphs[0].add_run("文件"), 30, red=True, family="方正小标宋简体")
        else:
            for name in p["issuers"]:
                _para(doc, name, 26, WD_ALIGN_PARAGRAPH.CENTER, red=True, family="方正小标宋简体")
            _para(doc, "文件", 30, WD_ALIGN_PARAGRAPH.CENTER, red=True, family="方正小标宋简体")
    elif layout == "信函格式":
        _para(doc, p["masthead"], 24, WD_ALIGN_PARAGRAPH.CENTER, red=True, family="方正小标宋简体")
        if p["address"]:
            _para(doc, f"地址：{rnd.choice(['人民路', '建设大街', '中山路'])}{rnd.randint(1, 300)}号  "
                       f"邮编：{rnd.randint(10, 99)}{rnd.randint(1000, 9999)}  电话：0311-{rnd.randint(1000000, 9999999)}",
                  10, WD_ALIGN_PARAGRAPH.CENTER, family="宋体")
    else:
        _para(doc, p["masthead"], 30 if layout != "纪要格式" else 26, WD_ALIGN_PARAGRAPH.CENTER, red=True,
              family="方正小标宋简体")
    _blank(doc, p, rnd)
    # 发文字号 (and 签发人)
    num = p["number_printed"]
    if p["label"] and layout in ("文件格式", "信函格式"):
        num = "编号：" + num
    signer = f"签发人：{rnd.choice(NAMES)}"
    if layout == "信函格式":
        _rule(doc, p["rule"], double=True)
        if not p.get("num_after_title"):
            par = _para(doc, num, 16, WD_ALIGN_PARAGRAPH.RIGHT)
    elif layout == "文件格式" and p["signer_line"] and not p.get("num_after_title"):
        par = _para(doc, f"{num}\u3000\u3000\u3000\u3000{signer}", 16, WD_ALIGN_PARAGRAPH.CENTER)
    elif not p.get("num_after_title"):
        par = _para(doc, num, 16, WD_ALIGN_PARAGRAPH.CENTER)
    if layout == "纪要格式":
        _para(doc, f"{p['issuer']}办公室{'　' * 6}{date_s}", 16, WD_ALIGN_PARAGRAPH.CENTER)
    if layout != "信函格式":
        _rule(doc, p["rule"])
    _blank(doc, p, rnd)
    # 主体
    recipient, paras = body_paragraphs(r, clean_title(r["title"]), p["number_printed"], 900)
    if layout == "命令格式":
        paras = [f"《{p['regulation']}》已经{ar_date(date - dt.timedelta(days=rnd.randint(3, 30)))}"
                 f"{p['issuer']}第{rnd.randint(2, 90)}次常务会议通过，现予公布，自"
                 f"{ar_date(date + dt.timedelta(days=rnd.randint(20, 60)))}起施行。"]
    elif layout == "纪要格式":
        paras = [f"{ar_date(date - dt.timedelta(days=2))}，{p['issuer']}主要负责同志主持召开会议，研究"
                 f"{re.sub(r'^.*?关于', '', p['subject'])}有关事项。现将会议议定事项纪要如下："] + paras[:5]
    else:
        for i, ln in enumerate(_title_lines(p["title"], rnd, p["title_break"])):
            _para(doc, ln, 22, WD_ALIGN_PARAGRAPH.CENTER, family="方正小标宋简体")
        if p.get("num_after_title"):
            _para(doc, p["number_printed"], 16, WD_ALIGN_PARAGRAPH.CENTER, family="楷体_GB2312")
        if p.get("date_under_title"):
            _para(doc, f"（{date_s}）", 16, WD_ALIGN_PARAGRAPH.CENTER, family="楷体_GB2312")
        _blank(doc, p, rnd)
        _para(doc, (recipient or "各县（市、区）人民政府，市直有关部门") + "：", 16)
    for i, txt in enumerate(paras):
        _para(doc, txt, 16, indent=True)
        if p["blank_lines"] and rnd.random() < 0.15:
            _para(doc, "")
    # 落款
    if p["page_no"] == "typed":
        _para(doc, "- 2 -", 14, WD_ALIGN_PARAGRAPH.CENTER, family="宋体")
    elif p["blank_lines"]:
        _para(doc, "")
    if layout == "命令格式":
        _para(doc, f"{rnd.choice(['省长', '部长', '主任', '局长', '市长'])}\u3000{rnd.choice(NAMES)}", 16,
              WD_ALIGN_PARAGRAPH.RIGHT)
        _para(doc, date_s, 16, WD_ALIGN_PARAGRAPH.RIGHT)
    elif layout != "纪要格式" and not p.get("date_under_title"):
        if len(p["issuers"]) > 1 and rnd.random() < 0.5:
            t = doc.add_table(rows=(len(p["issuers"]) + 1) // 2, cols=2)
            for i, name in enumerate(p["issuers"]):
                _font(t.cell(i // 2, i % 2).paragraphs[0].add_run(name), 16)
        else:
            for name in p["issuers"]:
                if p.get("sig_wrap") and len(name) > 13:  # wrapped at the column's width, as printed
                    _para(doc, name[:13], 16, WD_ALIGN_PARAGRAPH.RIGHT)
                    _para(doc, name[13:], 16, WD_ALIGN_PARAGRAPH.RIGHT)
                else:
                    _para(doc, name, 16, WD_ALIGN_PARAGRAPH.RIGHT)
        _para(doc, date_s, 16, WD_ALIGN_PARAGRAPH.RIGHT)
        if p["note"]:
            _para(doc, "（此件公开发布）", 16, indent=True)
    # 版记
    if p["colophon"]:
        par = _para(doc, "", 6)
        _border(par, "single", 8)
        _para(doc, "抄送：省委办公厅，省人大常委会办公厅，省政协办公厅。", 14)
        office = p["issuers"][0] + ("办公室" if not p["issuers"][0].endswith(("办公厅", "办公室")) else "")
        par = _para(doc, f"{office}{'　' * 4}{ar_date(date + dt.timedelta(days=1))}印发", 14)
        _border(par, "single", 8)
    doc.save(path)
    gold = {"doc_number": p["doc_number"], "doc_number_printed": p["number_printed"], "title": p["title"],
            "title_alt": p.get("title_alt"),
            "issuer": p["issuer"], "date": p["date"], "secrecy": p["secrecy"]}
    return gold


# ------------------------------------------------------------------------------------------------
# PDF (LibreOffice), scans (pypdfium2 + Pillow), web copies


def soffice_pdf(docx_files: list[Path], outdir: Path) -> None:
    profile = f"/tmp/lo-{os.getpid()}"
    for i in range(0, len(docx_files), 60):
        batch = docx_files[i:i + 60]
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(outdir)] + [str(f) for f in batch],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)
    shutil.rmtree(profile, ignore_errors=True)


def docx_digest(f: Path) -> str:
    import zipfile

    with zipfile.ZipFile(f) as z:
        return hashlib.sha256(z.read("word/document.xml") + z.read("word/footer1.xml")
                              if "word/footer1.xml" in z.namelist() else z.read("word/document.xml")).hexdigest()


def scan_pages(pdf: Path, dpi: int, rnd: random.Random):
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    pdf_doc = pdfium.PdfDocument(str(pdf))
    pages = []
    try:
        for page in pdf_doc:
            img = page.render(scale=dpi / 72).to_pil().convert("L")
            angle = rnd.uniform(-1.5, 1.5)
            img = img.rotate(angle, resample=Image.BILINEAR, expand=True, fillcolor=255)
            draw = ImageDraw.Draw(img)
            w, h = img.size
            for _ in range(rnd.randint(80, 300)):  # specks
                x, y, s = rnd.randrange(w), rnd.randrange(h), rnd.randint(1, max(2, dpi // 100))
                draw.ellipse([x, y, x + s, y + s], fill=rnd.randint(0, 120))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=rnd.randint(55, 80))  # compression artefacts in every form
            buf.seek(0)
            pages.append(Image.open(buf).convert("L"))
    finally:
        pdf_doc.close()
    return pages


def web_copy(p: dict, r: dict, out: Path) -> tuple[Path, Path]:
    """A saved web page of the document: site header, meta table, then the text."""
    rnd = rng_of(p["id"], "web")
    recipient, paras = body_paragraphs(r, clean_title(r["title"]), p["number_printed"], 700)
    meta = [("索引号", f"{rnd.randint(10000000, 99999999)}/{p['date'][:4]}-{rnd.randint(10000, 99999)}"),
            ("主题分类", "综合政务"), ("发文机关", p["issuer"]), ("成文日期", ar_date(dt.date.fromisoformat(p["date"]))),
            ("标题", p["title"]), ("发文字号", p["number_printed"] or ""),
            ("发布日期", p["date"])]
    site = rnd.choice(["河北省人民政府", "中国政府网", "浙江省人民政府门户网站"])
    body = [p["title"], (recipient or "各有关单位") + "："] + paras + p["issuers"] + [ar_date(dt.date.fromisoformat(p["date"]))]
    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in meta)
    html = (f"<html><head><meta charset='utf-8'><title>{p['title']}_{site}</title></head><body>"
            f"<div class='head'>{site}</div><div class='nav'>首页 &gt; 政务公开 &gt; 政策文件</div>"
            f"<table class='meta'>{rows}</table>" + "".join(f"<p>{x}</p>" for x in body) +
            "<div class='foot'>打印本页 关闭窗口</div></body></html>")
    h = out / f"{p['id']}.html"
    h.write_text(html, encoding="utf-8")
    text = "\n".join([site, "首页 > 政务公开 > 政策文件"] + [f"{k}\t{v}" for k, v in meta] + body + ["打印本页 关闭窗口"])
    if p.get("web_plain"):
        # the text copied from the page without its table: the title, then the number under it
        text = "\n".join([p["title"], p["number_printed"] or ""] + body[1:])
    t = out / f"{p['id']}.web.txt"
    t.write_text(text, encoding="utf-8")
    return h, t


def own_scans(out: Path, plans: list[tuple[dict, dict]], golds: dict, n: int, row) -> int:
    """Tune-split scans by a path of their own (issue 24, scans round): the text of the LibreOffice PDF
    typeset again by reportlab (WQY Zen Hei, ``tests/makedocs.make_pdf``) and rasterised by pdftoppm
    (``tests/makescans``), tilted 0.4–1.2°, at 150 or 200 dpi: a PNG of page 1 (``ownpng``) and an
    image-only PDF of every page (``ownpdf``). Only tune documents, 令 and 纪要 first, then multi-page
    ones: the test split is never drawn here."""
    import pypdfium2 as pdfium

    sys.path.insert(0, str(ROOT / "tests"))
    from makescans import make_scan

    (out / "ownscan").mkdir(parents=True, exist_ok=True)
    tune = [pl for pl, _ in plans if pl["split"] == "tune" and not pl["secrecy"]
            and (out / "pdf" / f"{pl['id']}.pdf").exists()]
    order = {"命令格式": 0, "纪要格式": 1}
    tune.sort(key=lambda pl: (order.get(pl["layout"], 2), pl["id"]))
    made = 0
    for pl in tune[:n]:
        rnd = rng_of(pl["id"], "ownscan")
        pdf = pdfium.PdfDocument(str(out / "pdf" / f"{pl['id']}.pdf"))
        try:
            pages = [pg.get_textpage().get_text_range().replace("\r\n", "\n").split("\n") for pg in pdf]
        finally:
            pdf.close()
        lines = [ln.strip() for page in pages for ln in page if ln.strip()]
        wrapped = []
        for ln in lines:
            while len(ln) > 26:
                wrapped.append(ln[:26])
                ln = ln[26:]
            wrapped.append(ln)
        dpi, tilt = rnd.choice([150, 200]), rnd.uniform(0.4, 1.2) * rnd.choice([-1, 1])
        n_pages = (len(wrapped) + 21) // 22
        png = make_scan(out / "ownscan" / f"{pl['id']}.png", wrapped, dpi=dpi, rotate=tilt)
        ipdf = make_scan(out / "ownscan" / f"{pl['id']}.pdf", wrapped, dpi=dpi, rotate=tilt)
        row(pl, dict(golds[pl["id"]], date=None if n_pages > 1 else golds[pl["id"]]["date"]), png, "ownpng", dpi,
            pages=1)
        row(pl, golds[pl["id"]], ipdf, "ownpdf", dpi, pages=n_pages)
        made += 1
    return made


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=300, help="documents (0 = all usable)")
    ap.add_argument("--scans", type=int, default=60, help="documents also scanned")
    ap.add_argument("--corpus", default=str(ROOT.parent.parent / "shared" / "corpus"))
    ap.add_argument("--no-pdf", action="store_true")
    ap.add_argument("--own-scans", type=int, default=0,
                    help="also scan this many tune documents by a path of their own (own_scans)")
    a = ap.parse_args(argv)
    corpus = Path(a.corpus)
    if not (corpus / "docs.jsonl").exists():
        corpus = Path("/work/shared/corpus")
    out = Path(a.out)
    for sub in ("docx", "pdf", "scan", "web"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    rows = [json.loads(line) for line in open(corpus / "docs.jsonl", encoding="utf-8")]
    rows = [x for x in rows if not x["id"].startswith("govdoccn")]
    plans = [(pl, x) for x in rows if (pl := plan(x))]
    plans.sort(key=lambda t: hashlib.sha256(t[0]["id"].encode()).hexdigest())
    if a.n:
        plans = plans[: a.n]
    manifest = []

    def row(pl, gold, f, fmt, dpi=None, **extra):
        manifest.append({"file": str(f.relative_to(out)), "doc_id": pl["id"], "split": pl["split"],
                         "layout": pl["layout"], "format": fmt, "dpi": dpi, "gold": gold,
                         "variations": {k: pl[k] for k in ("rule", "zh_date", "signer_line", "label", "page_no",
                                                           "blank_lines", "title_break", "joint_table", "copy_no",
                                                           "urgency", "num_after_title", "date_under_title",
                                                           "sig_wrap", "web_plain")}, **extra})

    golds = {}
    docx_files = []
    for pl, x in plans:
        f = out / "docx" / f"{pl['id']}.docx"
        golds[pl["id"]] = build_docx(pl, x, f)
        docx_files.append(f)
        row(pl, golds[pl["id"]], f, "docx")
        if pl["layout"] in ("文件格式", "信函格式"):
            h, t = web_copy(pl, x, out / "web")
            row(pl, golds[pl["id"]], h, "html")
            row(pl, golds[pl["id"]], t, "webtext")
    print(f"{len(docx_files)} DOCX", file=sys.stderr)
    if not a.no_pdf:
        # incremental: a PDF (and its scans) is made again only when its DOCX's content changed
        todo = []
        for f in docx_files:
            stamp = out / "pdf" / (f.stem + ".src")
            digest = docx_digest(f)
            if not (out / "pdf" / (f.stem + ".pdf")).exists() or not stamp.exists() or stamp.read_text() != digest:
                todo.append(f)
                for old in (out / "scan").glob(f.stem + "-*"):
                    old.unlink()
        soffice_pdf(todo, out / "pdf")
        for f in todo:
            if (out / "pdf" / (f.stem + ".pdf")).exists():
                (out / "pdf" / (f.stem + ".src")).write_text(docx_digest(f))
        byid = {pl["id"]: pl for pl, _ in plans}
        for f in docx_files:
            pdf = out / "pdf" / (f.stem + ".pdf")
            if pdf.exists():
                row(byid[f.stem], golds[f.stem], pdf, "pdf")
        print("PDF done", file=sys.stderr)
        # scans of a subset, balanced over layouts; every secret document is scanned
        chosen = [pl for pl, _ in plans if pl["secrecy"]]
        for lay in LAYOUTS:
            chosen += [pl for pl, _ in plans if pl["layout"] == lay and not pl["secrecy"]][: max(1, a.scans // 4)]
        for pl in chosen:
            pdf = out / "pdf" / f"{pl['id']}.pdf"
            if not pdf.exists():
                continue
            rnd = rng_of(pl["id"], "scan")
            for dpi in (200, 300):
                stem = out / "scan" / f"{pl['id']}-{dpi}"
                ext = "jpg" if dpi == 200 else "png"
                img, ipdf = stem.with_suffix("." + ext), stem.with_suffix(".pdf")
                if img.exists() and ipdf.exists():
                    import pypdfium2 as pdfium

                    n_pages = len(pdfium.PdfDocument(str(pdf)))
                    gold1 = dict(golds[pl["id"]], date=None if n_pages > 1 else golds[pl["id"]]["date"])
                    row(pl, gold1, img, ext, dpi, pages=1)
                    row(pl, golds[pl["id"]], ipdf, "scanpdf", dpi, pages=n_pages)
                    continue
                pages = scan_pages(pdf, dpi, rnd)
                gold1 = dict(golds[pl["id"]])
                if len(pages) > 1:
                    gold1["date"] = None  # a single page image does not show the 成文日期
                pages[0].save(img, "JPEG" if ext == "jpg" else "PNG", **({"quality": 75} if ext == "jpg" else {}))
                row(pl, gold1, img, ext, dpi, pages=1)
                pages[0].save(ipdf, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
                row(pl, golds[pl["id"]], ipdf, "scanpdf", dpi, pages=len(pages))
        print(f"scans of {len(chosen)} documents", file=sys.stderr)
        if a.own_scans:
            print(f"own scans of {own_scans(out, plans, golds, a.own_scans, row)} tune documents", file=sys.stderr)
    with open(out / "manifest.jsonl", "w", encoding="utf-8") as fh:
        for m in manifest:
            fh.write(json.dumps(m, ensure_ascii=False) + "\n")
    from collections import Counter

    c = Counter((m["split"], m["layout"], m["format"]) for m in manifest)
    for k in sorted(c):
        print("\t".join(map(str, k)), c[k])
    print(f"{len(manifest)} files, {sum(1 for m in manifest if m['gold']['secrecy'])} carry a 密级; "
          f"manifest: {out / 'manifest.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
