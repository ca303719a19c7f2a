"""Check a 移交包 against the 存储结构 the text describes, not against our own importer.

Written from 国家档案局《电子档案移交与接收办法》(2012) 附件2 "电子档案的存储结构" as we read it (DA/T 93-2022's
own text was not found; docs/retention.md, "利用和移交"):

- one 说明文件 ("说明文件.TXT") per carrier, holding the carrier's parameters and type, its number, the unit that
  keeps it, the unit that made it, the unit that checked it, and the software and hardware needed to read it;
- the 目录文件 "文件目录.XML": root <文件目录>, one <文件> per electronic record, each with <顺序号> <档号>
  <责任者> <题名> <日期> <密级> <电子档案名称> <备注>, encoding GB18030, GB2312 or UTF-8;
- the folder "电子档案" with the records and their metadata, in the layers 年度 — 类别 — 文件;
- the folder "其他" with the other files (the 交接 information, the 《电子档案移交与接收登记表》 …), in TXT, XML or
  a format fit for long-term keeping.
and from 第七条(一) of the same 办法: the metadata travels with the records, in an XML encapsulation.

Run: ``python bench/check_transfer_package.py PACKAGE`` — prints the figures and every problem; exit 1 when
there is one. Tests import ``check``."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

FIELDS = ("顺序号", "档号", "责任者", "题名", "日期", "密级", "电子档案名称", "备注")
ENCODINGS = ("gb18030", "gb2312", "utf-8")
EXPLANATION_ITEMS = ("载体类型", "编号", "保管单位", "制作单位", "检查单位", "软硬件环境")
LONG_TERM = {".txt", ".xml", ".pdf"}  # XLSX, JSON are accepted beside a PDF or TXT/XML of the same list


def _root(package: Path) -> Path:
    """The carrier's top: a BagIt bag's data/ folder, or the package folder itself."""
    return package / "data" if (package / "bagit.txt").is_file() else package


def _named(folder: Path, name: str) -> Path | None:
    for p in folder.iterdir():
        if p.name.lower() == name.lower():
            return p
    return None


def check(package: Path) -> tuple[list[str], dict]:
    """(problems, figures) of the package at ``package``."""
    root = _root(Path(package))
    problems: list[str] = []
    figures = {"文件条目": 0, "电子档案文件": 0, "其他文件": 0}
    expl = _named(root, "说明文件.txt")
    if expl is None:
        problems.append("缺少 说明文件.TXT")
    else:
        text = expl.read_text(encoding="utf-8", errors="replace")
        problems += [f"说明文件缺少“{item}”" for item in EXPLANATION_ITEMS if item not in text]
    cat = _named(root, "文件目录.xml")
    listed: set[str] = set()
    if cat is None:
        problems.append("缺少 文件目录.XML")
    else:
        head = cat.read_bytes()[:100].decode("ascii", "replace")
        m = re.search(r"encoding=['\"]([^'\"]+)['\"]", head)
        if not m or m.group(1).lower() not in ENCODINGS:
            problems.append(f"文件目录.XML 的编码 {m.group(1) if m else '未声明'} 不是 GB18030、GB2312 或 UTF-8")
        tree = ET.parse(cat).getroot()
        if tree.tag != "文件目录":
            problems.append(f"文件目录.XML 的根元素是 <{tree.tag}>，应为 <文件目录>")
        for i, f in enumerate(tree):
            figures["文件条目"] += 1
            if f.tag != "文件":
                problems.append(f"第 {i + 1} 个条目是 <{f.tag}>，应为 <文件>")
                continue
            tags = tuple(c.tag for c in f)
            if tags != FIELDS:
                problems.append(f"第 {i + 1} 个 <文件> 的项目为 {'、'.join(tags)}，应为 {'、'.join(FIELDS)}")
                continue
            values = {c.tag: (c.text or "") for c in f}
            if values["顺序号"] != str(i + 1):
                problems.append(f"第 {i + 1} 个 <文件> 的顺序号为 {values['顺序号']!r}")
            if not values["档号"] or not values["题名"]:
                problems.append(f"第 {i + 1} 个 <文件> 缺少档号或题名")
            name = values["电子档案名称"]
            if name:
                target = (root / name).resolve()
                if not target.is_relative_to((root / "电子档案").resolve()) or not target.is_file():
                    problems.append(f"第 {i + 1} 个 <文件> 的电子档案 {name} 不在 电子档案/ 中")
                listed.add(str(target))
    records = root / "电子档案"
    if not records.is_dir():
        problems.append("缺少 电子档案 文件夹")
    else:
        for p in sorted(records.rglob("*")):
            if p.is_dir():
                continue
            figures["电子档案文件"] += 1
            parts = p.relative_to(records).parts
            if len(parts) != 3 or not re.fullmatch(r"\d{4}", parts[0]):
                problems.append(f"电子档案/{'/'.join(parts)} 不在 年度/类别/文件 的层次中")
        main = {str(p.resolve()) for p in records.rglob("*") if p.is_file() and not re.search(r"-\d+\.[^.]+$", p.name)}
        for missing in sorted(main - listed):
            problems.append(f"{Path(missing).name} 在 电子档案/ 中，但文件目录中没有它")
    other = root / "其他"
    if not other.is_dir():
        problems.append("缺少 其他 文件夹")
    else:
        files = [p for p in other.rglob("*") if p.is_file()]
        figures["其他文件"] = len(files)
        stems = {p.stem for p in files if p.suffix.lower() in LONG_TERM}
        for p in files:
            if p.suffix.lower() not in LONG_TERM and p.stem not in stems and p.suffix.lower() != ".json":
                problems.append(f"其他/{p.name} 不是 TXT、XML 或长期保存格式，也没有同名的 PDF")
        if not any("移交与接收登记表" in p.name for p in files):
            problems.append("其他/ 中没有《电子档案移交与接收登记表》")
    # 第七条(一): metadata with the records, XML-encapsulated — one XML per 档号 listed
    if cat is not None and (root / "records").is_dir():
        xml_codes = {p.stem for p in (root / "records").glob("*.xml")}
        for f in ET.parse(cat).getroot():
            code = f.findtext("档号")
            if code and code not in xml_codes:
                problems.append(f"{code} 没有 XML 元数据")
    return problems, figures


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("用法：python bench/check_transfer_package.py 移交包文件夹", file=sys.stderr)
        return 2
    problems, figures = check(Path(argv[0]))
    print("；".join(f"{k} {v}" for k, v in figures.items()))
    for p in problems:
        print("问题：" + p)
    print("符合存储结构" if not problems else f"共 {len(problems)} 处问题")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
