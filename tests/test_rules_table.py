"""The retention table printed for the 档案主管部门's review (archive rules -o), and its approval status."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from archive.config import load_config
from conftest import write_config
from tests.clirun import run_config

APPROVED = {'# approved_by = "示例县档案局（县档案主管部门）"   # who reviewed and agreed':
            'approved_by = "示例县档案局"',
            '# approved_on = "2026-03-01"                       # date of the agreement':
            'approved_on = "2026-03-01"',
            '# approval_doc = "示档函〔2026〕3号"                 # number of the approval document':
            'approval_doc = "示档函〔2026〕3号"'}


def _cli(cfg_path, *args):
    return run_config(cfg_path, *args)


def test_unapproved_table_says_so(cfg_path, tmp_path):
    p = _cli(cfg_path, "rules", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["approved"] is False and data["table_status"] == "保管期限表未经审核同意"
    assert len(data["rules"]) == len(load_config(cfg_path).rules)
    assert _cli(cfg_path, "init").returncode == 0
    for cmd in (("review",), ("audit", "--as-of", "2026-01-01")):
        r = _cli(cfg_path, *cmd)
        assert r.returncode == 0 and "保管期限表未经审核同意" in r.stderr, (cmd, r.stderr)


def test_approval_is_recorded_and_validated(tmp_path):
    cfg_path = write_config(tmp_path, **APPROVED)
    cfg = load_config(cfg_path)
    assert cfg.approval.approved_by == "示例县档案局" and cfg.approval.approval_doc == "示档函〔2026〕3号"
    from archive.errors import ConfigError
    half = {k: v for k, v in list(APPROVED.items())[:1]}
    with pytest.raises(ConfigError, match="approved_on"):
        load_config(write_config(tmp_path, **half))


def test_a_config_claim_is_not_an_approval_the_catalog_records_it_against_the_content(tmp_path):
    """issue 26: approved_by/on/approval_doc in config.toml are only a claim; the approval lives in the catalog,
    tied to the digest of the rules, and a changed table reads 未经审核同意 again."""
    cfg_path = write_config(tmp_path, **APPROVED)
    assert _cli(cfg_path, "init").returncode == 0
    p = _cli(cfg_path, "review")
    assert "未经审核同意" in p.stderr and "没有现行内容的审核登记" in p.stderr
    data = json.loads(_cli(cfg_path, "rules", "--json").stdout)
    assert data["approved"] is False and len(data["digest"]) == 64
    # 无 is not a document number; a real one is recorded, with the digest of the table as it reads now
    p = _cli(cfg_path, "rules", "approve", "--by", "示例县档案局", "--on", "2026-03-01", "--document", "无")
    assert p.returncode == 2 and "不能写 无" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    p = _cli(cfg_path, "rules", "approve", "--by", "示例县档案局", "--on", "2999-03-01", "--document", "示档函〔2026〕3号")
    assert p.returncode == 1 and "晚于今天" in p.stderr
    p = _cli(cfg_path, "rules", "approve", "--by", "示例县档案局", "--on", "2026-03-01", "--document", "示档函〔2026〕3号",
             "--json")
    assert p.returncode == 0, p.stderr
    rec = json.loads(p.stdout)
    assert rec["digest"] == data["digest"] and "审核同意（示档函〔2026〕3号）" in rec["table_status"]
    data = json.loads(_cli(cfg_path, "rules", "--json").stdout)
    assert data["approved"] is True and "未经" not in data["table_status"]
    assert "未经审核" not in _cli(cfg_path, "review").stderr
    # a comment or spacing change leaves the content as it was
    text = cfg_path.read_text(encoding="utf-8")
    cfg_path.write_text(text + "\n# 一行注释\n", encoding="utf-8")
    assert json.loads(_cli(cfg_path, "rules", "--json").stdout)["approved"] is True
    # a rule that now keeps something 10年 instead of 30年 is another table: not agreed until recorded again
    cfg_path.write_text(text.replace('retention = "30年"', 'retention = "10年"', 1), encoding="utf-8")
    data = json.loads(_cli(cfg_path, "rules", "--json").stdout)
    assert data["approved"] is False and data["changed_since"]["approval_doc"] == "示档函〔2026〕3号"
    assert "之后已被修改" in data["table_status"]
    p = _cli(cfg_path, "review")
    assert "之后已被修改" in p.stderr
    # the record cannot be rewritten or removed behind the program's back
    from archive.session import open_archive
    import sqlite3

    arc = open_archive(load_config(cfg_path))
    try:
        for sql in ("DELETE FROM table_approvals", "UPDATE table_approvals SET digest='x'"):
            with pytest.raises(sqlite3.DatabaseError):
                arc.conn.execute(sql)
    finally:
        arc.close()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_printed_table_as_pdf_docx_xlsx_and_as_an_image(tmp_path):
    cfg_path = write_config(tmp_path, **APPROVED)
    cfg = load_config(cfg_path)
    assert _cli(cfg_path, "init").returncode == 0
    assert _cli(cfg_path, "rules", "approve", "--by", "示例县档案局", "--on", "2026-03-01", "--document",
                "示档函〔2026〕3号").returncode == 0
    pdf = tmp_path / "归档范围和保管期限表.pdf"
    p = _cli(cfg_path, "rules", "-o", str(pdf))
    assert p.returncode == 0, p.stderr
    reader = PdfReader(str(pdf))
    text = "".join(pg.extract_text() for pg in reader.pages)
    assert "示例县档案局文件材料归档范围和文书档案保管期限表" in text
    for r in cfg.rules:
        assert r.id in text, r.id
    for word in ("第四条", "第七条", "第八条及所附", "审核意见", "示档函〔2026〕3号", "不归档", "永久", "10年", "内容摘要"):
        assert word in text, word
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    # the page as an image: a printed table (dark ruling and text over a good part of the page), not blank
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    png = next(tmp_path.glob("page*.png"))
    from PIL import Image

    img = Image.open(png).convert("L")
    w, h = img.size
    assert w > h
    dark = sum(1 for y in range(h) for x in range(w) if img.getpixel((x, y)) < 128)
    assert 0.01 < dark / (w * h) < 0.5
    # the table's grid: a long dark horizontal line somewhere in the page's middle band
    rows = [sum(1 for x in range(w) if img.getpixel((x, y)) < 128) for y in range(h // 4, 3 * h // 4)]
    assert max(rows) > 0.7 * w
    docx, xlsx = tmp_path / "表.docx", tmp_path / "表.xlsx"
    assert _cli(cfg_path, "rules", "-o", str(docx)).returncode == 0
    assert _cli(cfg_path, "rules", "-o", str(xlsx)).returncode == 0
    assert len(Document(str(docx)).tables[0].rows) == len(cfg.rules) + 1
    ws = load_workbook(xlsx).active
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert "R13" in values and any("年度以下" in str(v) for v in values)
