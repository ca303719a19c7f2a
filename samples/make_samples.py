"""Regenerate the bundled example documents in samples/ (run from the repo root).

The files are committed; this script only documents how they were made:
    python samples/make_samples.py
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gongwen_gen import SECRET, gongwen_lines  # noqa: E402
from tests.makedocs import make_damaged_pdf, make_docx, make_ofd, make_pdf, make_text  # noqa: E402

out = ROOT / "samples"
make_docx(out / "01 档案局关于印发档案管理办法的决定.docx", gongwen_lines(0, kind=0, year=2022))
make_pdf(out / "02 县政府关于加强重点档案保护工作的通知.pdf", gongwen_lines(1, kind=4, year=2022))
make_pdf(out / "03 县政府关于台风防御工作的通知.pdf", gongwen_lines(2, kind=5, year=2022))
make_ofd(out / "04 财政局关于商请提供档案资料的函.ofd", gongwen_lines(3, kind=7, year=2022))
make_text(out / "05 档案局关于申请馆舍建设经费的请示.txt", "\n".join(gongwen_lines(4, kind=2, year=2022)))
make_docx(out / "06 档案局值班安排.docx", gongwen_lines(5, kind=3, year=2023))
make_pdf(out / "07 档案馆季度工作报告.pdf", gongwen_lines(6, kind=8, year=2023))
make_text(out / "08 科技公司来函.txt", "\n".join(gongwen_lines(7, kind=9, year=2023)))
make_docx(out / "09 涉密通知.docx", SECRET)
(out / "10 决定（重复件）.docx").write_bytes((out / "01 档案局关于印发档案管理办法的决定.docx").read_bytes())
make_damaged_pdf(out / "11 损坏的扫描件.pdf", gongwen_lines(8, kind=1, year=2022))
print("samples written to", out)
