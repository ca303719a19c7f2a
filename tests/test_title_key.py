"""The duplicate-title key, one function for verify's 重复题名/重复文号 and import package's warning: two checks
of one archive must not disagree on whether two 题名 are the same (hostile whitespace: full-width, no-break,
carriage returns, tabs)."""

from __future__ import annotations

from archive.config import load_config
from archive.export.package import package_duplicates, title_key
from archive.session import open_archive
from archive.verify import duplicate_groups
from conftest import write_config

TITLE = "关于做好2023年度档案整理工作的通知"
VARIANTS = [TITLE, "关于做好 2023 年度档案整理工作的通知", "关于做好\u30002023年度\r\n档案整理工作的通知",
            "\t关于做好2023年度档案\u00a0整理工作的通知 ", "关于做好2023年度档案整理\u2003工作的通知\u3000"]


def test_verify_and_import_package_compare_titles_by_one_key(tmp_path):
    assert {title_key(v) for v in VARIANTS} == {TITLE}
    assert title_key(None) == "" and title_key("  \u3000 ") == ""
    rows = [{"id": i, "status": "archived", "doc_number": None, "title": t, "date": "2023-03-01"}
            for i, t in enumerate(VARIANTS)]
    numbers, titles = duplicate_groups(rows)
    assert numbers == [] and [[r["id"] for r in g] for g in titles] == [list(range(len(VARIANTS)))]
    folder = tmp_path / "a"
    folder.mkdir()
    arc = open_archive(load_config(write_config(folder)), create=True)
    try:
        warned = package_duplicates(arc.conn, [(f"记录{i}", {"title": t, "date": "2023-03-01"})
                                               for i, t in enumerate(VARIANTS)])
    finally:
        arc.close()
    assert len(warned) == len(VARIANTS) - 1 and all("记录0" in w for w in warned), warned
