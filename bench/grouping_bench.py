"""How long the one-件 match (archive/grouping.py) takes per ingested file on a large catalog.

Builds a catalog of N records (real migrations, rows inserted through catalog.insert_record with generated 公文
fields), then times grouping.match for files of each kind: a rendering with a 发文字号, one without, a 定稿 and
an 附件. Prints milliseconds per match. Usage: python bench/grouping_bench.py [N]   (default 10000)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import catalog, docno, gongwen, grouping  # noqa: E402


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        conn = catalog.connect(Path(d) / "catalog.sqlite")
        ts = catalog.now()
        with catalog.transaction(conn):
            for i in range(n):
                dn = docno.parse(f"示档发〔{2000 + i % 25}〕{i}号") if i % 3 else None
                catalog.insert_record(conn, {
                    "sha256": f"{i:064x}", "filename": f"{i}.pdf", "status": "archived" if i % 3 else "pending",
                    "doc_number": dn.canonical if dn else None, "doc_number_raw": dn.raw if dn else None,
                    "title": f"示例县档案局关于第{i}项工作的通知", "issuer": "示例县档案局",
                    "date": f"{2000 + i % 25}-03-01", "ingested_at": ts, "updated_at": ts}, "正文", dn)
        cases = {
            "rendering with 发文字号": ("示例县档案局文件\n示档发〔2011〕5011号\n示例县档案局关于第5011项工作的通知\n正文",
                                   "a.txt"),
            "rendering without number": ("示例县档案局关于第5013项工作的通知\n正文\n示例县档案局\n2013年3月1日", "b.txt"),
            "定稿": ("示例县档案局关于第5012项工作的通知\n正文", "定稿.docx"),
            "附件": ("附件1\n示例县档案局关于第5012项工作的通知 名单\n张三", "c.pdf"),
            "no match": ("示例县财政局关于别的事情的通知\n正文\n2013年3月1日", "d.pdf"),
        }
        for name, (text, filename) in cases.items():
            fields = gongwen.parse(text)
            runs = 20
            t0 = time.perf_counter()
            for _ in range(runs):
                m = grouping.match(conn, fields, filename, text)
            ms = (time.perf_counter() - t0) / runs * 1000
            what = "none" if m is None else f"{m.role} {'sure' if m.sure else 'suggest'} {m.candidates[:3]}"
            print(f"{n} records  {name:<26} {ms:7.2f} ms per file   -> {what}")
        conn.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
