"""OA 归档信息包 built for the tests (docs/oa_package.md): a folder or a zip of one 件 with its manifest."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

from makedocs import make_docx, make_pdf

FIX = Path(__file__).parent / "fixtures" / "ofd_sealed"
SEALED = FIX / "sign_v4signed.ofd"  # a V4-sealed OFD of ofdrw's test resources (PROVENANCE)
FORM = ["收文处理单", "来文单位：示例县人民政府办公室", "阅办类型：办件", "拟办意见：请办公室阅处"]
DRAFT = ["关于做好防汛工作的通知（定稿）", "各乡镇人民政府：", "请做好防汛工作。"]
STEPS = [{"环节": "登记", "处理人": "李文书", "时间": "2026-03-02T09:30:00+08:00", "意见": "已登记"},
         {"环节": "拟办", "处理人": "王主任", "时间": "2026-03-02 14:00", "意见": "请办公室阅处"},
         {"环节": "办结", "处理人": "李文书", "时间": "2026-03-05T10:00:00+08:00"}]
META = {"题名": "关于做好防汛工作的通知", "发文机关": "示例县人民政府办公室", "成文日期": "2026-03-01",
        "密级": "非密", "阅件办件": "办件"}


def entry(folder: Path, rel: str, role: str) -> dict:
    data = (folder / rel).read_bytes()
    return {"路径": rel, "角色": role, "SHA256": hashlib.sha256(data).hexdigest(), "大小": len(data)}


def write_manifest(folder: Path, files: list[tuple[str, str]], meta=None, steps=None, **extra) -> Path:
    man = {"格式": "归档信息包/1", "元数据": META if meta is None else meta,
           "文件": [entry(folder, rel, role) for rel, role in files], "办理过程": STEPS if steps is None else steps,
           **extra}
    (folder / "manifest.json").write_text(json.dumps(man, ensure_ascii=False), encoding="utf-8")
    return folder / "manifest.json"


_MADE: dict[str, int] = {}  # how many packages each test has made


def _nth_of_this_test() -> str:
    """The n-th package the running test makes, as a line of its 定稿: one test's packages differ (two identical
    files are rightly refused as shared), while the n-th 定稿 of every test is the same DOCX, which the run's
    LibreOffice cache (tests/soffice_cache.py) lays out once for its 页数 instead of once per test."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    _MADE[test] = _MADE.get(test, 0) + 1
    return f"第{_MADE[test]}份"


def make_package(folder: Path, *, main: Path = SEALED, manifest: bool = True, meta=None, steps=None) -> Path:
    """A folder ``X.oa`` with a sealed OFD 正本, a DOCX 定稿, a PDF 处理单 and a PDF 附件; the manifest last."""
    folder.mkdir(parents=True)
    shutil.copyfile(main, folder / ("正本" + main.suffix))
    make_docx(folder / "定稿.docx", [*DRAFT, _nth_of_this_test()])  # each of a test's packages its own files
    make_pdf(folder / "收文处理单.pdf", [*FORM, folder.name])
    (folder / "附件").mkdir()
    make_pdf(folder / "附件" / "附件1.pdf", ["附件1", "防汛值班表", folder.name])
    if manifest:
        write_manifest(folder, [("正本" + main.suffix, "正本"), ("定稿.docx", "定稿"), ("收文处理单.pdf", "处理单"),
                                ("附件/附件1.pdf", "附件")], meta, steps)
    return folder


def zip_of(folder: Path, dest: Path, *, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return dest
