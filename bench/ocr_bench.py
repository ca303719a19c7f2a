"""Measure OCR on scans made from the real corpus texts (issue 4).

    python bench/ocr_bench.py [--n 48] [--pages 2] [--corpus DIR] [--out /tmp/ocr_bench] [--seed 4]

Documents: ``docs.jsonl`` rows from hebei/ptc/govdoccn (texts with line breaks) whose 发文字号 and
标题 labels are printed in the text (labels corrected by ``bench/label_review.tsv`` where it says so),
sampled with a fixed seed. Nothing of the labels goes into the scans: each text is typeset as it stands
in a GB/T 9704 page (A4, 37 mm top / 28 mm left margin, 28 characters × 22 lines of 16 pt WQY Zen Hei;
lines before the 发文字号 as a red 发文机关标志, a red rule under the 发文字号, the title centred at
22 pt), only the first ``--pages`` pages. Each page is rasterised with pdftoppm at 200 dpi, rotated by
a random -1.5…1.5°, given speckle noise and a little blur, and saved in turn as a JPEG (page 1 only,
colour), PNG (page 1 only, grey), multi-page TIFF (bilevel, Group 4) or image-only PDF (JPEG pages).

The scans are ingested into a temporary archive through the real pipeline (Archive.ingest_file, OCR
with the default [ocr] settings) and the figures are printed:

* own 发文字号 correct: same 代字/年份/序号 as the label (``corpus_fields.number_ok``);
* 标题 correct: strict or lenient as in ``bench/corpus_fields.py`` (``title_match``);
* search found: a distinctive phrase (10 CJK characters from a body line that occur in no other
  sampled text) searched as a quoted phrase through archive.search finds the document;
* pages/s over the whole ingest (OCR included), and the same parse on the vector PDFs' text layer as a
  baseline, so that a miss can be told apart as OCR damage or a parser miss;
* the documents sent to pending for a low-confidence 版头, and whether their reading was in fact wrong;
  the misread ones that the gate let through (label differences count as misreads here: read them).

Everything is written under ``--out`` (default /tmp/ocr_bench), never into the repository.

    python bench/ocr_bench.py --eval DIR [--split test] [--limit N] [--formats jpg,png,scanpdf]

measures instead on the scans of an evaluation set made by ``bench/eval_set.py`` (``DIR/manifest.jsonl``; a
path of its own: python-docx → LibreOffice PDF → pypdfium2 page images with skew, specks and JPEG
compression). Only the ``--split`` (default ``test``, the half nobody tunes on) is read. Every scan goes
through the real ingest (``Archive.ingest_file`` into a temporary archive, default config) and the figures
are: own 发文字号, 标题 and 成文日期 right (against the manifest's gold, for the documents stored), the
secret documents refused and the number of them stored (must be 0), the other refusals (版头无法识别,
a suspected mark) and OCR pages per second over the whole ingest, per format and per layout.
``--plain-only`` leaves the scans with a 密级 out (a shorter run); ``--threads N`` sets [ocr] threads.
The scans go in as one batch (``pipeline.ingest_many``, as ``archive ingest DIR``: [ocr] workers extraction
workers at once; ``--workers N`` sets it, ``--one-by-one`` takes ``ingest_file`` for each scan instead); the last
line prints pages/s, CPU seconds per page of the whole ingest (this process and its waited children) and of the
extraction processes, the load and which code ran (``--parser-root DIR``: the ``archive`` package of another
checkout, e.g. the code before). The command the figures in bench/ocr.md come from:

    PYTHONPATH=$PWD python bench/ocr_bench.py --eval /tmp/i24ocr/evalset --plain-only --limit 40

    python bench/ocr_bench.py --eval DIR --levers [--split tune] [--limit 5] [--formats jpg,png]
    python bench/ocr_bench.py --eval DIR --upload [--n 2]

changes one RapidOCR lever at a time (``LEVERS``) and prints process CPU seconds per page, wall pages/s and the
fields gongwen.parse reads from the OCR text. Measured 2026-12-07 on the shared 2-core machine (load 9–21, so the
wall figures only indicate; CPU seconds are the main figure), tune split, 5 page images (jpg/png):

    before (detector on the 2000-px page, angle classifier on every box, spinning ORT threads, 2 threads)  6.34
    ORT threads do not spin                                                                               4.15
    1 thread (spinning)                                                                                   3.82
    angle classifier only when a page reads unsure                                                       5.59
    detector input 1280 px (longer side)                                                                  3.90
    detector input 960 px                                                                                 3.79
    render 150 dpi (no effect on image files: they come at their own resolution)                          6.45
    after: 1280 px, classifier when unsure, no spinning, 2 threads                                        2.98
    after, 1 thread                                                                                       2.37

fields right 5/5 in every row. PDF pages are now rendered no finer than RapidOCR reads them (longer side 2000 px).
The whole ingest (--eval, test split, 30 scans without a 密级, 43 pages; before = commit 3265523):

    before  5.9 CPU s/page, 0.04 pages/s;  发文字号 26/28, 标题 27/30, 成文日期 21/23, OCR 待定 4
    after   3.1 CPU s/page, 0.10 pages/s;  发文字号 26/28, 标题 28/30, 成文日期 21/23, OCR 待定 0
    after, --threads 1   3.0 CPU s/page, 0.14 pages/s (load 6.8 → 5.5); the same fields

(the figures' small counts and the machine's load say the direction more than the last digit).

Issue 24, round 3 (1 ONNX thread, the detector at 960 px, the orientation check and the careful path, no
per-character boxes; the first upload with a warmed worker): before/after figures, each lever and what was
not pursued are in bench/ocr.md. ``--upload`` measures a one-page scan as the first upload (cold and warm worker).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# --parser-root DIR: measure --reparse with the archive package of another checkout (e.g. a parser branch)
_PARSER_ROOT = next((sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--parser-root"), None)
sys.path.insert(0, str(ROOT))
if _PARSER_ROOT:
    sys.path.insert(0, str(Path(_PARSER_ROOT).resolve()))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from archive import pipeline
from archive import docno, gongwen  # noqa: E402
from archive.models import DocNumber  # noqa: E402
from corpus_fields import load_review, number_in_text, number_ok, title_match, unify  # noqa: E402

CHARS, LINES = 28, 22
FORMATS = ("pdf", "tiff", "jpeg", "png")


# ------------------------------------------------------------------------------------------ layout
def _wrap(line: str, width: int) -> list[str]:
    return [line[i:i + width] for i in range(0, len(line), width)] or [""]


def layout(text: str) -> list[tuple[str, str]]:
    """(style, line) in reading order: "mark" (red 发文机关标志), "docno", "title", "body".

    Decided from the text alone: a 发文字号 near the top splits marks (short lines above it that are
    not a title) from the title (the next line); texts that open with their title keep that order."""
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]
    k = None
    for i, ln in enumerate(lines[:5]):
        found = docno.find_all(ln)
        if found and found[0][1] <= 20:
            k = i
            break
    out: list[tuple[str, str]] = []
    rest = lines
    if k is not None:
        above = lines[:k]
        if above and all(len(a) <= 24 and "关于" not in a for a in above):
            out += [("mark", a) for a in above]
            m = docno.find_all(lines[k])[0]
            out.append(("docno", lines[k][:m[2]].strip()))
            tail = lines[k][m[2]:].strip()
            rest = ([tail] if tail else []) + lines[k + 1:]
            if rest and len(rest[0]) <= 60 and not rest[0].endswith(("：", ":")):
                out += [("title", t) for t in _wrap(rest[0], 20)]
                rest = rest[1:]
        else:
            out += [("title", t) for a in above for t in _wrap(a, 20)]
            m = docno.find_all(lines[k])[0]
            out.append(("docno", lines[k][:m[2]].strip()))
            tail = lines[k][m[2]:].strip()
            rest = ([tail] if tail else []) + lines[k + 1:]
    elif lines and len(lines[0]) <= 60:
        out += [("title", t) for t in _wrap(lines[0], 20)]
        rest = lines[1:]
    for ln in rest:
        out += [("body", t) for t in _wrap(ln, CHARS)]
    return out


def make_vector_pdf(path: Path, items: list[tuple[str, str]], max_pages: int) -> list[list[str]]:
    """Typeset the layout; returns the lines printed on each page."""
    from makedocs import _register_font
    from reportlab.lib.colors import black, red
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = _register_font()
    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    left, right, top, bottom = 28 * mm, width - 26 * mm, height - 37 * mm, 35 * mm
    step = 16 * 1.75
    y = top
    pages: list[list[str]] = [[]]
    for style, line in items:
        size = {"mark": 30, "title": 22, "docno": 16, "body": 16}[style]
        need = size * 1.6 if style != "body" else step
        if y - need < bottom:
            c.showPage()
            if len(pages) >= max_pages:
                break
            pages.append([])
            y = top
        c.setFont(font, size)
        c.setFillColor(red if style == "mark" else black)
        if style == "body":
            c.drawString(left, y, line)
            y -= step
        else:
            c.drawCentredString(width / 2, y - size * 0.6, line)
            y -= size * 1.6
            if style == "docno":
                c.setStrokeColor(red)
                c.setLineWidth(1.5)
                c.line(left, y + 2, right, y + 2)
                y -= 16
        pages[-1].append(line)
    else:
        c.showPage()
    c.save()
    return pages


def scan(pdf: Path, out_base: Path, fmt: str, rng: random.Random) -> tuple[Path, int]:
    """Rasterise at 200 dpi, rotate slightly, add noise; save as ``fmt``. Returns (file, pages)."""
    from PIL import Image, ImageFilter

    tmp = out_base.parent / (out_base.name + "-raster")
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(tmp)], check=True)
    rasters = sorted(out_base.parent.glob(tmp.name + "-*.png"))
    pages = []
    for r in rasters:
        im = Image.open(r).convert("RGB")
        im = im.rotate(rng.uniform(-1.5, 1.5), resample=Image.BICUBIC, fillcolor=(255, 255, 255))
        px = im.load()
        w, h = im.size
        for _ in range(int(w * h * 0.002)):  # speckle: dust and dropouts
            x, y = rng.randrange(w), rng.randrange(h)
            v = rng.choice((0, 40, 255))
            px[x, y] = (v, v, v)
        im = im.filter(ImageFilter.GaussianBlur(0.6))
        pages.append(im)
        r.unlink()
    if fmt in ("jpeg", "png"):
        pages = pages[:1]
    if fmt == "jpeg":
        path = out_base.with_suffix(".jpg")
        pages[0].save(path, "JPEG", quality=70, dpi=(200, 200))
    elif fmt == "png":
        path = out_base.with_suffix(".png")
        pages[0].convert("L").save(path, dpi=(200, 200))
    elif fmt == "tiff":
        path = out_base.with_suffix(".tif")
        bw = [p.convert("L").point(lambda v: 255 if v > 150 else 0).convert("1") for p in pages]
        bw[0].save(path, save_all=True, append_images=bw[1:], compression="group4", dpi=(200, 200))
    else:
        path = out_base.with_suffix(".pdf")
        pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=200.0, quality=75)
    return path, len(pages)


# ------------------------------------------------------------------------------------------ sample
def candidates(docs: list[dict], review: dict) -> list[dict]:
    out = []
    for d in docs:
        if d["id"].split("-")[0] not in ("hebei", "ptc", "govdoccn"):
            continue
        num, title = d.get("doc_number"), d.get("title")
        for field in ("doc_number", "title"):
            v = review.get((d["id"], field))
            if v and v[0] != "label_wrong":
                num = None if field == "doc_number" else num
                title = None if field == "title" else title
            elif v:
                num, title = (v[1], title) if field == "doc_number" else (num, v[1])
        text = d["body_text"]
        if not num or not title or not number_in_text(num, text[:400]):
            continue
        if unify(title).strip("<>") not in unify(text[:300]):
            continue
        out.append({**d, "label_number": num, "label_title": title})
    return out


def distinctive_phrase(lines: list[str], others: list[str], rng: random.Random) -> str | None:
    runs = [m.group() for ln in lines for m in re.finditer(r"[\u4e00-\u9fff]{10,}", ln)]
    rng.shuffle(runs)
    for run in runs:
        for start in range(0, len(run) - 9, 3):
            p = run[start:start + 10]
            if not any(p in o for o in others):
                return p
    return None


# ------------------------------------------------------------------------------------------ main
def _norm_title(s: str | None) -> str:
    return unify(re.sub(r"\s+", "", s or ""))


def eval_scans(args) -> int:
    """Measure on the evaluation set's scans (see the module docstring)."""
    import collections
    import tempfile

    from archive.config import load_config
    from archive.session import open_archive
    from conftest import write_config

    src = Path(args.eval)
    rows = [json.loads(line) for line in open(src / "manifest.jsonl", encoding="utf-8")]
    formats = set(args.formats.split(","))
    rows = [r for r in rows if r["split"] == args.split and r["format"] in formats]
    if args.plain_only:
        rows = [r for r in rows if not r["gold"].get("secrecy")]
    plain = [r for r in rows if not r["gold"].get("secrecy")]
    if args.limit and len(plain) > args.limit:  # every secret scan is always read
        keep = {r["file"] for r in random.Random(args.seed).sample(plain, args.limit)}
        rows = [r for r in rows if r["gold"].get("secrecy") or r["file"] in keep]
    secret_rows = [r for r in rows if r["gold"].get("secrecy")]
    print(f"评测集 {src}：{args.split} 半 {len(rows)} 个扫描文件（其中带密级 {len(secret_rows)} 个），"
          f"格式 {sorted(formats)}")
    tally = collections.defaultdict(lambda: collections.Counter())
    misses = []
    pages_total, seconds = 0, 0.0
    import resource

    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ocr-eval-") as tmp:
        edits = {"threads = 1 ": f"threads = {args.threads} "} if args.threads else {}
        if args.det_max_side is not None:
            edits["det_max_side = 1280 "] = f"det_max_side = {args.det_max_side} "
        if args.workers is not None:
            edits["workers = 0 "] = f"workers = {args.workers} "
        cfg = load_config(write_config(Path(tmp), **edits))
        workers = cfg.ocr.worker_count()
        arc = open_archive(cfg, create=True)
        try:
            # the whole batch as `archive ingest DIR` takes it in (ingest_many: several files read at once with
            # [ocr] workers above 1); --one-by-one: ingest_file for each file, as before issue 24's round 4
            t = time.monotonic()
            if args.one_by_one:
                results = [pipeline.ingest_file(arc, src / r["file"]) for r in rows]
            else:
                results = pipeline.ingest_many(arc, [src / r["file"] for r in rows])
            seconds = time.monotonic() - t
            for i, (r, res) in enumerate(zip(rows, results), 1):
                dt = 0.0
                pages = int(r.get("pages") or 1)
                pages_total += pages
                g = r["gold"]
                keys = ("all", f"format {r['format']}", f"layout {r['layout']}", f"dpi {r['dpi']}")
                stored = res.outcome not in ("refused", "failed", "duplicate")
                for k in keys:
                    c = tally[k]
                    c["files"] += 1
                    if g.get("secrecy"):
                        c["secret"] += 1
                        c["secret_refused"] += res.outcome == "refused"
                        c["secret_stored"] += stored
                        continue
                    c["refused_other"] += res.outcome == "refused"
                    c["failed"] += res.outcome == "failed"
                    rec = res.record or {}
                    if g.get("doc_number"):
                        c["num"] += 1
                        ok = stored and docno.normalize(rec.get("doc_number") or "") == docno.normalize(g["doc_number"])
                        c["num_ok"] += ok
                    if g.get("title"):
                        c["title"] += 1
                        c["title_ok"] += stored and _norm_title(rec.get("title")) == _norm_title(g["title"])
                    if g.get("date"):
                        c["date"] += 1
                        c["date_ok"] += stored and (rec.get("date") or "") == g["date"]
                    c["pending_ocr"] += stored and "OCR 识别置信度低" in (res.reason or "")
                if not g.get("secrecy"):
                    rec = res.record or {}
                    bad = []
                    if g.get("doc_number") and docno.normalize(rec.get("doc_number") or "") != docno.normalize(g["doc_number"]):
                        bad.append(f"文号 {rec.get('doc_number')!r}≠{g['doc_number']!r}")
                    if g.get("title") and _norm_title(rec.get("title")) != _norm_title(g["title"]):
                        bad.append(f"标题 {rec.get('title')!r}≠{g['title']!r}")
                    if g.get("date") and (rec.get("date") or "") != g["date"]:
                        bad.append(f"日期 {rec.get('date')!r}≠{g['date']!r}")
                    if bad or res.outcome == "refused":
                        misses.append(f"{r['file']} [{res.outcome}] {'; '.join(bad)} {res.reason or ''}"[:400])
                elif stored:
                    misses.append(f"!! 涉密文件被存储：{r['file']} [{res.outcome}] {res.reason}")
                if stored and res.record:  # the text read, so that another parser can be measured on it
                    text = arc.conn.execute("SELECT text FROM document_texts WHERE document_id=?",
                                            (res.record["id"],)).fetchone()
                    dest = Path(args.out) / "texts" / (r["file"].replace("/", "__") + ".txt")
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    # the file's own reading: a batch attaches another format of the same 件 to the record
                    # before the text is read here, appended after "【name（其他格式）】"
                    dest.write_text((text[0] if text else "").split("\n\n【")[0], encoding="utf-8")
                if args.verbose:
                    print(f"  {i}/{len(rows)} {r['file']} {res.outcome} {dt:.1f}s", flush=True)
            # the clerk's queue: records (not files: a further rendering joins its record) left 待定
            statuses = [x[0] for x in arc.conn.execute("SELECT status FROM documents")]
        finally:
            arc.close()

    def pct(a, b):
        return f"{a}/{b} = {100 * a / b:.1f}%" if b else "—"
    print()
    print(f"{'分组':<16} {'文件':>4}  {'发文字号':<18} {'标题':<18} {'成文日期':<18} {'密级被拒':<14} 涉密入库 其他拒收 失败 OCR待定")
    order = ["all"] + sorted(k for k in tally if k != "all")
    for k in order:
        c = tally[k]
        print(f"{k:<16} {c['files']:>4}  {pct(c['num_ok'], c['num']):<18} {pct(c['title_ok'], c['title']):<18} "
              f"{pct(c['date_ok'], c['date']):<18} {pct(c['secret_refused'], c['secret']):<14} "
              f"{c['secret_stored']:>8} {c['refused_other']:>8} {c['failed']:>4} {c['pending_ocr']:>7}")
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the extraction workers, closed and waited for
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    whole = cpu + (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
    print(f"\n页数 {pages_total}，用时 {seconds:.1f} 秒（整个入库流程，含 OCR）：{pages_total / seconds:.2f} 页/秒"
          f"（机器负载 {load0:.1f} → {os.getloadavg()[0]:.1f}，{os.cpu_count()} 核，"
          f"{'逐个文件' if args.one_by_one else f'[ocr] workers 生效值 {workers}'}）；提取进程 CPU {cpu:.0f} 秒，"
          f"{cpu / max(1, pages_total):.2f} CPU 秒/页；整个入库（本进程 + 提取进程）CPU {whole:.0f} 秒，"
          f"{whole / max(1, pages_total):.2f} CPU 秒/页（涉密件读到第 1 页即停）")
    print(f"pages/s {pages_total / seconds:.3f}  CPU-s/page {whole / max(1, pages_total):.2f} (whole ingest), "
          f"{cpu / max(1, pages_total):.2f} (extraction)  wall {seconds:.1f} s  pages {pages_total}  "
          f"load {load0:.1f}->{os.getloadavg()[0]:.1f}  code {Path(pipeline.__file__).resolve().parents[1]}")
    print(f"涉密文件被存储：{tally['all']['secret_stored']} 份")
    print(f"记录 {len(statuses)} 件，待定 {statuses.count('pending')} 件"
          f"（{100 * statuses.count('pending') / max(1, len(statuses)):.1f}%）")
    if misses:
        print("\n未读对或被拒收的文件：")
        for m in misses:
            print("  " + m)
    return 0


# one lever changed at a time from RapidOCR as it ran before issue 24's round 3 (name, engines.* settings,
# [ocr] settings); the fast path's orientation check is on in every row but the first
TODAY = dict(ANGLE_RETRY_BELOW=80.0, SPIN=False, REC_BATCH=6, ARENA=False, WORD_BOXES=True, ORIENT_SAMPLE=0)
BEFORE = dict(threads=2, det_max_side=1280, dpi=200)
LEVERS = [
    ("before: det 1280, cls when unsure, 2 threads", TODAY, BEFORE),
    ("orientation check on", {**TODAY, "ORIENT_SAMPLE": 8}, BEFORE),
    ("1 thread", TODAY, {**BEFORE, "threads": 1}),
    ("det 960", TODAY, {**BEFORE, "det_max_side": 960}),
    ("det 736", TODAY, {**BEFORE, "det_max_side": 736}),
    ("rec batch 12", {**TODAY, "REC_BATCH": 12}, BEFORE),
    ("ORT memory arena on", {**TODAY, "ARENA": True}, BEFORE),
    ("no per-character boxes", {**TODAY, "WORD_BOXES": False}, BEFORE),
    ("render 150 dpi (PDF pages only)", TODAY, {**BEFORE, "dpi": 150}),
    ("after, det 960 (1 thread, orientation, no char boxes)",
     {**TODAY, "ORIENT_SAMPLE": 8, "WORD_BOXES": False}, {"det_max_side": 960}),
    ("after: the defaults (1 thread, det 1280, orientation, no char boxes)",
     {**TODAY, "ORIENT_SAMPLE": 8, "WORD_BOXES": False}, {}),
]
if os.environ.get("OCR_LEVERS"):  # a subset by number: OCR_LEVERS=0,3,9
    LEVERS = [LEVERS[int(i)] for i in os.environ["OCR_LEVERS"].split(",")]


def levers(args) -> int:
    """Each RapidOCR lever alone (LEVERS), in this process: OCR of the --split's scans without a 密级 (page images
    as the pipeline makes them), process CPU seconds per page (all threads), wall pages/s, and the 公文 fields
    read from the OCR text by gongwen.parse against the gold. The whole ingest is measured by --eval."""
    import dataclasses

    import pypdfium2 as pdfium

    from archive.extract import ocr
    from archive.extract.ocr import engines
    from archive.textnorm import normalize

    src = Path(args.eval)
    rows = [json.loads(line) for line in open(src / "manifest.jsonl", encoding="utf-8")]
    formats = set(args.formats.split(","))
    rows = [r for r in rows if r["split"] == args.split and r["format"] in formats and not r["gold"].get("secrecy")]
    if args.limit and len(rows) > args.limit:
        rows = random.Random(args.seed).sample(rows, args.limit)
    print(f"评测集 {src}：{args.split} 半 {len(rows)} 个无密级扫描文件，格式 {sorted(formats)}；每次只改一项")

    def images(r, dpi):
        f = src / r["file"]
        if r["format"] != "scanpdf":
            return ocr._image_frames(f)
        pdf = pdfium.PdfDocument(str(f))
        try:
            return [(i + 1, ocr.render_pdf_page(pdf, i, dpi), dpi) for i in range(len(pdf))]
        finally:
            pdf.close()

    print(f"{'做法':<52} {'页':>3} {'CPU秒/页':>8} {'页/秒':>6}  发文字号  标题  成文日期")
    for name, knobs, overrides in LEVERS:
        for k, v in knobs.items():
            setattr(engines, k, v)
        # a page may take minutes on a loaded machine: no page is given up here
        settings = dataclasses.replace(ocr.OcrSettings(), page_timeout=3600.0, **overrides)
        dpi = settings.dpi
        ocr.ocr_pil_pages(images(rows[0], dpi)[:1], settings)  # load the engine outside the measurement
        cpu = wall = 0.0
        pages = num = title = date = 0
        for r in rows:
            frames = images(r, dpi)  # rendering is part of the cost (the pipeline renders too)
            c0, t0 = time.process_time(), time.perf_counter()
            read = ocr.ocr_pil_pages(frames, settings)
            cpu += time.process_time() - c0
            wall += time.perf_counter() - t0
            pages += len(frames)
            f = gongwen.parse(normalize("\n".join(p.text for p in read)))
            g = r["gold"]
            num += docno.normalize(f.doc_number.canonical if f.doc_number else "") == docno.normalize(g.get("doc_number") or "")
            title += _norm_title(f.title) == _norm_title(g.get("title"))
            date += (f.date.isoformat() if f.date else "") == (g.get("date") or "")
        n = len(rows)
        print(f"{name:<52} {pages:>3} {cpu / pages:>8.2f} {pages / wall:>6.2f}  {num:>3}/{n}  {title:>3}/{n}  {date:>3}/{n}",
              flush=True)
    print(f"（机器负载 {os.getloadavg()[0]:.1f}，{os.cpu_count()} 核；CPU 秒为本进程全部线程）")
    return 0


def _child_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def upload(args) -> int:
    """A one-page scan filed into a fresh archive, as the first upload after the web server starts: the ingest's
    wall time and its extraction worker's CPU seconds, with a cold worker (started by the upload, as before) and
    with a worker warmed at start (``ExtractWorker.warm``, which the web server calls), given the time to load its
    engine before the scan arrives. The page is a --split scan without a 密级 (jpg/png), ``--n`` times each."""
    import tempfile

    from archive.config import load_config
    from archive.session import open_archive
    from conftest import write_config

    src = Path(args.eval)
    rows = [json.loads(line) for line in open(src / "manifest.jsonl", encoding="utf-8")]
    rows = [r for r in rows if r["split"] == args.split and r["format"] in ("jpg", "png") and not r["gold"].get("secrecy")]
    picked = random.Random(args.seed).sample(rows, min(args.n, len(rows)))
    print(f"一页扫描件的首次上传（入库）：{len(picked)} 份，{args.split} 半")
    print(f"{'提取进程':<6} {'文件':<32} {'用时秒':>7} {'提取进程CPU秒':>13}  结果")
    for mode in ("cold", "warm"):
        for r in picked:
            with tempfile.TemporaryDirectory(prefix="ocr-upload-") as tmp:
                cfg = load_config(write_config(Path(tmp)))
                arc = open_archive(cfg, create=True)
                try:
                    scan = Path(tmp) / Path(r["file"]).name
                    shutil.copy(src / r["file"], scan)
                    if mode == "warm":  # the server started a while before the clerk uploads
                        arc.worker.warm()
                        pid = arc.worker._proc.pid
                        while "onnxruntime" not in Path(f"/proc/{pid}/maps").read_text():
                            time.sleep(0.2)
                        time.sleep(1)
                    t = time.monotonic()
                    before = _child_cpu(arc.worker._proc.pid) if arc.worker._proc else 0.0
                    res = pipeline.ingest_file(arc, scan)
                    dt = time.monotonic() - t
                    cpu = _child_cpu(arc.worker._proc.pid) - before
                    print(f"{mode:<6} {r['file']:<32} {dt:>7.1f} {cpu:>13.1f}  {res.outcome}", flush=True)
                finally:
                    arc.close()
    print(f"（机器负载 {os.getloadavg()[0]:.1f}，{os.cpu_count()} 核）")
    return 0


def reparse(args) -> int:
    """Parse again the texts an --eval run kept (``--out``/texts), with the parser importable here
    (``--parser-root``), and print the field figures: the parser's share, OCR left as it was."""
    import collections

    import archive

    src = Path(args.eval)
    rows = {r["file"].replace("/", "__"): r for r in map(json.loads, open(src / "manifest.jsonl", encoding="utf-8"))}
    tally = collections.defaultdict(collections.Counter)
    for f in sorted((Path(args.out) / "texts").glob("*.txt")):
        r = rows.get(f.name[:-4])
        if r is None or r["split"] != args.split or r["gold"].get("secrecy"):
            continue
        g = r["gold"]
        fields = gongwen.parse(f.read_text(encoding="utf-8"))
        for k in ("all", f"format {r['format']}", f"layout {r['layout']}"):
            c = tally[k]
            c["files"] += 1
            if g.get("doc_number"):
                c["num"] += 1
                got = fields.doc_number.canonical if fields.doc_number else ""
                c["num_ok"] += docno.normalize(got or "") == docno.normalize(g["doc_number"])
            if g.get("title"):
                c["title"] += 1
                c["title_ok"] += _norm_title(fields.title) == _norm_title(g["title"])
            if g.get("date"):
                c["date"] += 1
                c["date_ok"] += (fields.date.isoformat() if fields.date else "") == g["date"]

    def pct(a, b):
        return f"{a}/{b} = {100 * a / b:.1f}%" if b else "—"
    print(f"解析器：{Path(archive.__file__).parent}（{args.split} 半，已存储的非涉密扫描件的 OCR 文本）")
    for k in ["all"] + sorted(x for x in tally if x != "all"):
        c = tally[k]
        print(f"{k:<16} {c['files']:>4}  发文字号 {pct(c['num_ok'], c['num']):<18} 标题 {pct(c['title_ok'], c['title']):<18} "
              f"成文日期 {pct(c['date_ok'], c['date'])}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reparse", action="store_true", help="parse the texts kept by an --eval run again")
    ap.add_argument("--levers", action="store_true", help="--eval: measure each RapidOCR lever in this process")
    ap.add_argument("--upload", action="store_true", help="--eval: a one-page scan as the first upload, cold and warm worker")
    ap.add_argument("--parser-root", help="--reparse with the archive package found in this folder")
    ap.add_argument("--eval", help="an evaluation set made by bench/eval_set.py (DIR/manifest.jsonl)")
    ap.add_argument("--split", default="test", help="which half of --eval to read (test: never tuned on)")
    ap.add_argument("--limit", type=int, default=0,
                    help="--eval: at most this many scans without a 密级 (sampled with --seed); all secret ones are read")
    ap.add_argument("--threads", type=int, default=0, help="--eval: [ocr] threads instead of the example config's")
    ap.add_argument("--det-max-side", type=int, default=None, help="--eval: [ocr] det_max_side instead of the example config's")
    ap.add_argument("--workers", type=int, default=None, help="--eval: [ocr] workers instead of the example config's")
    ap.add_argument("--one-by-one", action="store_true", help="--eval: ingest_file for each scan, not the batch")
    ap.add_argument("--plain-only", action="store_true", help="--eval: leave out the scans with a 密级 (a shorter run)")
    ap.add_argument("--formats", default="jpg,png,scanpdf", help="--eval: which scan formats")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--pages", type=int, default=2, help="pages typeset per document")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--out", default="/tmp/ocr_bench")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--keep", action="store_true", help="reuse the scans made by an earlier run")
    args = ap.parse_args(argv)
    if args.eval and args.reparse:
        return reparse(args)
    if args.eval and args.levers:
        return levers(args)
    if args.eval and args.upload:
        return upload(args)
    if args.eval:
        return eval_scans(args)

    from archive.config import load_config
    from archive.extract import extract
    from archive.session import open_archive
    from archive.search import search
    from conftest import write_config

    out = Path(args.out)
    if out.exists() and not args.keep:
        shutil.rmtree(out)
    (out / "scans").mkdir(parents=True, exist_ok=True)
    (out / "vector").mkdir(parents=True, exist_ok=True)
    corpus = Path(args.corpus)
    docs = [json.loads(line) for line in open(corpus / "docs.jsonl", encoding="utf-8")]
    review = load_review(ROOT / "bench" / "label_review.tsv")
    cands = candidates(docs, review)
    rng = random.Random(args.seed)
    sample = rng.sample(cands, min(args.n, len(cands)))
    print(f"候选 {len(cands)} 份，抽样 {len(sample)} 份（seed {args.seed}），每份最多 {args.pages} 页")

    # render
    rows = []
    for i, d in enumerate(sample):
        fmt = FORMATS[i % len(FORMATS)]
        vec = out / "vector" / f"{d['id']}.pdf"
        page_lines = make_vector_pdf(vec, layout(d["body_text"]), args.pages)
        meta = out / "scans" / f"{d['id']}.json"
        if args.keep and meta.exists():
            row = json.loads(meta.read_text(encoding="utf-8"))
        else:
            path, n = scan(vec, out / "scans" / d["id"], fmt, random.Random(f"{args.seed}-{d['id']}"))
            row = {"id": d["id"], "fmt": fmt, "file": str(path), "pages": n}
            meta.write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
        row["lines"] = [ln for p in page_lines[: row["pages"]] for ln in p]
        row["doc"] = d
        rows.append(row)
    for r in rows:
        others = ["".join(o["lines"]) for o in rows if o is not r]
        body = r["lines"][3:]  # not the 版头 or title
        r["phrase"] = distinctive_phrase(body, others, random.Random(r["id"]))

    # baseline: the same pages' text layer
    base = {"num": 0, "title": 0}
    for r in rows:
        f = gongwen.parse(extract(out / "vector" / f"{r['id']}.pdf").text)
        base["num"] += number_ok(r["doc"]["label_number"], f.doc_number)
        base["title"] += any(title_match(r["doc"]["label_title"], f.title, r["doc"]["label_number"]))

    # ingest the scans
    arcdir = out / "archive"
    if arcdir.exists():
        shutil.rmtree(arcdir)
    arcdir.mkdir()
    cfg = load_config(write_config(arcdir))
    arc = open_archive(cfg, create=True)
    t0 = time.monotonic()
    results = {}
    for r in rows:
        t = time.monotonic()
        results[r["id"]] = pipeline.ingest_file(arc, Path(r["file"]))
        r["seconds"] = time.monotonic() - t
        print(f"  {r['id']:<16} {r['fmt']:<5} {r['pages']}页 {r['seconds']:5.1f}s  {results[r['id']].outcome}",
              flush=True)
    elapsed = time.monotonic() - t0
    pages = sum(r["pages"] for r in rows)

    # score
    n = len(rows)
    ok = {"num": 0, "title": 0, "search": 0, "searchable": 0}
    misses = []
    pend_low = []
    passed = []  # misread, yet not held back by the confidence gate
    for r in rows:
        d, res = r["doc"], results[r["id"]]
        rec = res.record or {}
        row = arc.conn.execute("SELECT * FROM documents WHERE id=?", (rec.get("id"),)).fetchone()
        dn = (DocNumber(row["doc_number_raw"], row["docno_code"] or "", row["docno_year"], row["docno_serial"],
                        row["docno_kind"]) if row and row["doc_number"] else None)
        num_ok = number_ok(d["label_number"], dn)
        title_ok = any(title_match(d["label_title"], row["title"] if row else None, d["label_number"]))
        ok["num"] += num_ok
        ok["title"] += title_ok
        found = None
        if r["phrase"]:
            ok["searchable"] += 1
            hits = search(arc.conn, arc.index, f'"{r["phrase"]}"', limit=10).hits
            found = any(h.record["id"] == rec.get("id") for h in hits)
            ok["search"] += found
        if row and row["reason"] and "OCR 识别置信度低" in row["reason"]:
            pend_low.append((r["id"], row["ocr_header_confidence"], num_ok and title_ok))
        elif row and not (num_ok and title_ok):
            passed.append((r["id"], row["ocr_header_confidence"], "发文字号" if not num_ok else "标题"))
        if not (num_ok and title_ok and found is not False):
            misses.append((r["id"], r["fmt"], d["label_number"], row["doc_number_raw"] if row else res.reason,
                           d["label_title"], row["title"] if row else None,
                           r["phrase"] if found is False else "", row["ocr_header_confidence"] if row else None))
    confs = [x[0] for x in arc.conn.execute("SELECT ocr_confidence FROM documents WHERE ocr_confidence IS NOT NULL")]
    hconfs = [x[0] for x in arc.conn.execute(
        "SELECT ocr_header_confidence FROM documents WHERE ocr_header_confidence IS NOT NULL")]
    statuses = dict(arc.conn.execute("SELECT status, count(*) FROM documents GROUP BY status").fetchall())
    arc.close()

    def pct(a, b):
        return f"{100 * a / b:.1f}%（{a}/{b}）" if b else "n/a"

    fmt_counts = ", ".join(f"{f} {sum(r['fmt'] == f for r in rows)}" for f in FORMATS)
    report = [
        f"扫描件 {n} 份，{pages} 页（{fmt_counts}）",
        f"本件发文字号正确   {pct(ok['num'], n)}    文字层基线 {pct(base['num'], n)}",
        f"标题正确（宽松）   {pct(ok['title'], n)}    文字层基线 {pct(base['title'], n)}",
        f"特征短语检索命中   {pct(ok['search'], ok['searchable'])}",
        f"入库耗时 {elapsed:.1f} s，{pages / elapsed:.2f} 页/s（含 OCR，{cfg.ocr.worker_count()} 个并行页）",
        f"平均 OCR 置信度 {sum(confs) / len(confs):.1f}，版头置信度 最低 {min(hconfs):.0f} 中位 "
        f"{sorted(hconfs)[len(hconfs) // 2]:.0f}" if confs and hconfs else "无 OCR 置信度",
        f"状态：{statuses}；因版头置信度低转待定 {len(pend_low)} 份："
        + "、".join(f"{i}（{c:.0f}%，读数{'正确' if good else '有误'}）" for i, c, good in pend_low),
        f"读数有误却未被置信度拦下 {len(passed)} 份："
        + "、".join(f"{i}（{what}，版头 {c:.0f}%）" for i, c, what in passed),
        "未命中：",
    ]
    for m in misses:
        report.append("  " + " | ".join("" if x is None else str(x) for x in m))
    text = "\n".join(report)
    print(text)
    (out / "report.txt").write_text(text + "\n", encoding="utf-8")
    print(f"（报告：{out / 'report.txt'}）")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
