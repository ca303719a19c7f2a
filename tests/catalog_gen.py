"""An older system's catalogue to migrate: a 2,000-row xlsx (pinyin column codes, one sheet per 保管期限, a
title row above the header) and 1,500 scans/PDFs named by 档号 in mixed styles, with known bad rows and
known problem files. ``build`` returns what a correct import must report, derived from how the set was
made (not from the importer). Used by tests/test_import_catalog.py and bench/import_bench.py.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from makedocs import make_docx, make_pdf, make_text

HEADER = ["DH", "QZH", "ND", "BGQX", "JGWT", "JH", "WH", "ZRZ", "TM", "RQ", "MJ", "YS", "BZ"]
SHEETS = {"Y": "永久", "D30": "30年", "D10": "10年"}
ORG_NAMES = {"BGS": "办公室", "YWK": "业务指导科"}
CN = "〇一二三四五六七八九"

# global row index -> (what is wrong, the cell values that make it so)
DUPLICATE = (100, 400, 700, 1000, 1300)  # 档号 of row i-3 (same sheet) again
BAD_DATE = {51: "2015-02-30", 351: "20150431", 651: "2015年13月1日", 951: "2014.2.29", 1251: "二〇一五年二月三十日"}
BAD_RETENTION = {202: "半永久", 502: "5年", 802: "临时", 1102: "D5"}
MISMATCH = (153, 453, 753, 1053)  # 年度 one more than the 档号 says
NO_TITLE = (304, 604, 904)
NO_CODE = (1405, 1505)  # neither 档号 nor 件号
SECRET = {1606: "秘密", 1706: "机密★10年"}
BUILT = range(1800, 1820)  # no 档号 column value: built from the parts (valid)


def cn_date(d: dt.date) -> str:
    def small(n: int) -> str:
        return (("" if n < 20 else CN[n // 10]) + "十" + (CN[n % 10] if n % 10 else "")) if n >= 10 else CN[n]
    return "".join(CN[int(c)] for c in str(d.year)) + f"年{small(d.month)}月{small(d.day)}日"


def code_str(fonds, year, ret, org, item, style: int = 0) -> str:
    """A 档号 as people type it in file names."""
    o = f"-{org}" if org else ""
    return [
        f"{fonds}-WS·{year}-{ret}{o}-{item:04d}",
        f"{fonds}-WS{year}-{ret}{o}-{item:04d}",
        f"{fonds}-WS.{year}-{ret}{o}-{item}",
        f"{fonds}_ws_{year}_{ret}{o.replace('-', '_')}_{item:04d}".lower(),
        f"{fonds}-WS {year}-{ret}{o}-{item:04d}",
        f"{fonds}-WS•{year}-{ret}{o}-{item:03d}".translate(str.maketrans(
            "0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ", "０１２３４５６７８９－ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ")),
        f"{fonds}-WS-{year}-{ret}{o}-{item:04d}",
    ][style % 7]


@dataclass
class Expected:
    rows: int = 0
    rejected: list[tuple[str, int, str]] = field(default_factory=list)  # sheet, row, reason
    valid_codes: list[str] = field(default_factory=list)
    retention_converted: dict[str, int] = field(default_factory=dict)
    files: int = 0
    with_file: int = 0
    extra_files: int = 0
    images: int = 0
    without_record: int = 0
    of_rejected_rows: int = 0
    ambiguous: int = 0
    duplicates: int = 0


def build(root: Path, rows: int = 2000, main_files: int = 1420, fonds: str = "Z109",
          docx: int = 60, annex_docx: int = 10) -> tuple[Path, Path, Expected]:
    """Write ``root/catalog.xlsx`` and ``root/scans/``; return them and what the import must report. ``docx`` of
    the main files are DOCX (each one laid out by LibreOffice at import to count its pages, about a second and a
    half of CPU apiece); the rest are 5 page images, 40 texts and PDFs. Of the ten 附件 beside a 正文,
    ``annex_docx`` are DOCX, the rest texts."""
    import openpyxl

    rng = random.Random(7)
    root.mkdir(parents=True, exist_ok=True)
    scans = root / "scans"
    if scans.exists():
        shutil.rmtree(scans)
    scans.mkdir()
    exp = Expected(rows=rows)
    counters: dict[tuple, int] = {}
    data: dict[str, list[list]] = {name: [] for name in SHEETS.values()}
    keys: dict[int, tuple] = {}  # row index -> (fonds, year, ret, org, item)
    valid: list[tuple] = []  # keys of valid rows
    converted = {"原长期（保留原期限，到期须鉴定）": 0, "原短期（保留原期限，到期须鉴定）": 0}
    rejected_keys: list[tuple] = []
    for i in range(rows):
        ret = ("Y", "D30", "D10")[i % 3]
        year = 2013 + (i // 3) % 4
        org = "BGS" if (i // 12) % 2 == 0 else "YWK"
        group = (year, ret, org)
        counters[group] = counters.get(group, 0) + 1
        key = (fonds, year, ret, org, counters[group])
        if i in DUPLICATE:
            counters[group] -= 1
            key = keys[i - 3]
        keys[i] = key
        _, year, ret, org, item = key
        d = dt.date(year, (i % 12) + 1, (i % 28) + 1)
        date = [dt.datetime(d.year, d.month, d.day), d.strftime("%Y%m%d"), d.isoformat(),
                f"{d.year}.{d.month}.{d.day}", f"{d.year}年{d.month}月{d.day}日", cn_date(d)][i % 6]
        bgqx = {"Y": ("永久", "Y"), "D30": ("30年", "D30", "长期"), "D10": ("10年", "D10", "短期")}[ret]
        bgqx = bgqx[(i // 3) % len(bgqx)]
        dh = code_str(fonds, year, ret, org, item, 0 if i % 50 != 7 else 6)
        row = [dh, fonds, year, bgqx, ORG_NAMES[org] if i % 5 == 0 else org, item,
               f"示档发〔{year}〕{i + 1}号", "示例县档案局", f"示例县档案局关于第{i + 1}项工作的通知", date,
               "", 1 + i % 4, ""]
        reason = None
        if i in DUPLICATE:
            reason = "duplicate_code"
        elif i in BAD_DATE:
            row[9], reason = BAD_DATE[i], "bad_date"
        elif i in BAD_RETENTION:
            row[3], reason = BAD_RETENTION[i], "bad_retention"
        elif i in MISMATCH:
            row[2], reason = year + 1, "code_mismatch"
        elif i in NO_TITLE:
            row[8], reason = "", "missing_title"
        elif i in NO_CODE:
            row[0], row[5], reason = "", "", "missing_code"
        elif i in SECRET:
            row[10], reason = SECRET[i], "secret"
        elif i in BUILT:
            row[0] = ""
            if bgqx in ("长期", "短期"):  # built from its parts, an old period stays old (code C / D): keep the
                bgqx = row[3] = {"长期": "30年", "短期": "10年"}[bgqx]  # scans' names (D30/D10) matching
        sheet = SHEETS[ret]
        data[sheet].append(row)
        rownum = len(data[sheet]) + 2  # title row, header row
        if reason:
            exp.rejected.append((sheet, rownum, reason))
            if reason in ("bad_date", "bad_retention", "secret"):
                rejected_keys.append(key)
        else:
            valid.append(key)
            exp.valid_codes.append(code_str(*key))
            if bgqx in ("长期", "短期"):
                converted[f"原{bgqx}（保留原期限，到期须鉴定）"] += 1
    exp.retention_converted = converted
    exp.rejected.sort(key=lambda r: (list(SHEETS.values()).index(r[0]), r[1]))  # the report's order
    wb = openpyxl.Workbook(write_only=True)
    for name, rs in data.items():
        ws = wb.create_sheet(name)
        ws.append([f"归档文件目录（{name}）"])
        ws.append(HEADER)
        for r in rs:
            ws.append(r)
    xlsx = root / "catalog.xlsx"
    wb.save(xlsx)

    # the files
    n = 0

    def write(name: str, kind: str, lines: list[str]) -> None:
        nonlocal n
        p = scans / name
        if kind == "pdf":
            make_pdf(p, lines)
        elif kind == "docx":
            make_docx(p, lines)
        elif kind == "png":  # a legible page image: the 涉密 gate holds a scan whose upper part it cannot read
            from PIL import Image, ImageDraw, ImageFont

            font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 40)
            im = Image.new("L", (1240, 1754), 255)
            for i, line in enumerate(lines):
                ImageDraw.Draw(im).text((120, 160 + 80 * i), line, font=font, fill=0)
            im.save(p)
        else:
            make_text(p, "\n".join(lines))
        n += 1

    chosen = rng.sample(range(len(valid)), main_files)
    for j, k in enumerate(chosen):
        key = valid[k]
        kind = "png" if j < 5 else "docx" if j < 5 + docx else "txt" if j < 45 + docx else "pdf"
        ext = {"png": "png", "docx": "docx", "txt": "txt", "pdf": "pdf"}[kind]
        code = code_str(*key)
        write(f"{code_str(*key, style=j)}.{ext}", kind, ["示例县档案局文件", f"档号{code}", f"正文第{k}件"])
        if kind == "png":
            exp.images += 1
        if 200 <= j < 230:  # a scan in two parts
            write(f"{code_str(*key, style=j + 1)}{['-2', '_2', '(2)'][j % 3]}.pdf", "pdf",
                  ["续页", f"档号{code}", f"第二部分第{k}件"])
            exp.extra_files += 1
        elif 300 <= j < 310:  # 正文 and 附件
            annex = "docx" if j < 300 + annex_docx else "txt"
            write(f"{code_str(*key, style=j)}附件.{annex}", annex, ["附件", f"档号{code}附件"])
            exp.extra_files += 1
        elif 400 <= j < 404:  # the same scan twice, named in another style
            src = next(scans.glob(f"{code_str(*key, style=j)}.*"))
            shutil.copyfile(src, scans / f"{code_str(*key, style=j + 3)}{src.suffix.upper()}")
            n += 1
            exp.duplicates += 1
    exp.with_file = main_files
    for j, key in enumerate(rejected_keys[:8]):
        write(f"{code_str(*key, style=j)}.pdf", "pdf", ["被拒绝行的文件", code_str(*key)])
        exp.of_rejected_rows += 1
    for j in range(22):  # numbers the catalogue does not have
        write(f"{code_str(fonds, 2014, 'Y', 'BGS', 9001 + j, style=j)}.pdf", "pdf", ["目录外的文件", str(j)])
        exp.without_record += 1
    for name in ("扫描说明.txt", "scan_0001.pdf", "Thumbs.db"):
        write(name, "txt", ["不是档案文件"])
        exp.without_record += 1
    for j, key in enumerate(valid[:3]):  # 机构 left out of the name: which 机构?
        write(f"{code_str(key[0], key[1], key[2], None, key[4], style=j)}.pdf", "pdf", ["缺机构代码", str(j)])
        exp.ambiguous += 1
    exp.files = n
    return xlsx, scans, exp
