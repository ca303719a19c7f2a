"""Measure archive.gongwen on the real corpus, through real files.

    python bench/corpus_fields.py [--formats text,docx,pdf] [--corpus DIR] [--soffice N] [--limit N]

For every document of ``docs.jsonl`` the body text is rendered to real files (plain text; DOCX via
python-docx; PDF via reportlab with the wqy-zenhei font, lines wrapped at 26 characters the way a
GB/T 9704 page wraps them; optionally LibreOffice DOCX->PDF for the first N documents), read back with
``archive.extract.extract`` and parsed with ``archive.gongwen.parse``. Nothing of the labels is put
into the rendered files: the header is whatever the document's own text holds.

Matching rules (printed with the figures):
* 发文字号: equal when ``docno.normalize`` of label and answer agree, or when 代字/年份/序号 agree.
* 标题 / 发文机关: whitespace removed, punctuation unified (（）->(), 《》〈〉<>-><>, “”->", ：->:,
  ，->,, 、 and · removed for issuers). "strict" = equal. "lenient" additionally accepts
  (a) the label without the issuer prefix the document prints (label = answer minus a leading
  发文机关), (b) the label naming the attached document of a 印发/转发 notice (answer =
  …印发《label》的通知), (c) a 令 label that starts with its own 令号.
* 成文日期: exact; also within 30 days, because hebei/ptc dates are listing/issuing dates, not
  成文日期 (meta.date_kind). "where known" scores only documents whose date label is a 成文日期:
  govdoccn (gold), and hebei/ptc documents whose label date literally stands in the text's
  signature block (see ``date_in_signature``).

Label review (``bench/label_review.tsv``; doc_id, field, label_value, our_value, verdict, reason):
every miss was read; rows record labels that the document text proves wrong or not comparable.
A 7th column ``corrected_value`` holds the value the text prints. verdict ``label_wrong``: the text
proves the label wrong; ``corrected_value`` replaces the label (our_value only records what we gave); ``not_in_text``: the labelled value is not printed in
the document (or only as a link/attachment file name), dropped from the denominator;
``not_comparable``: the label is not a value of this field (a phrase, a list), dropped too.
Figures are printed raw and "reviewed" (labels corrected / dropped as the review says).

Misses go to ``bench/out/misses_<format>.tsv``; rendered files are cached in ``bench/out/render``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from archive import docno, gongwen  # noqa: E402
from archive.extract import extract  # noqa: E402

OUT = ROOT / "bench" / "out"
GOLDISH = ("gold_BIO", "title_field", "source_field", "source_html_meta_table")


def tier(prov: str | None) -> str:
    if not prov:
        return "none"
    if prov in GOLDISH or prov.startswith("page_metadata_label"):
        return "gold"
    return "silver"


# --------------------------------------------------------------------------------------------
# rendering


def wrap(lines, width=26):
    out = []
    for ln in lines:
        ln = ln.strip()
        if not ln:
            continue
        while len(ln) > width:
            out.append(ln[:width])
            ln = ln[width:]
        out.append(ln)
    return out


def render(doc, fmt: str, soffice_ok: bool) -> Path | None:
    from makedocs import make_docx, make_pdf

    text = doc["body_text"].replace("\r\n", "\n").replace("\r", "\n")
    h = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    d = OUT / "render" / fmt
    d.mkdir(parents=True, exist_ok=True)
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if fmt == "text":
        p = d / f"{doc['id']}-{h}.txt"
        if not p.exists():
            p.write_text(text, encoding="utf-8")
        return p
    if fmt == "docx":
        p = d / f"{doc['id']}-{h}.docx"
        if not p.exists():
            make_docx(p, lines, header_lines=0)
        return p
    if fmt == "pdf":
        p = d / f"{doc['id']}-{h}.pdf"
        if not p.exists():
            make_pdf(p, wrap(lines), lines_per_page=22)
        return p
    if fmt == "soffice":
        if not soffice_ok:
            return None
        p = d / f"{doc['id']}-{h}.pdf"
        if not p.exists():
            src = render(doc, "docx", soffice_ok)
            tmp = d / "tmp"
            tmp.mkdir(exist_ok=True)
            subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp), str(src)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            made = tmp / (src.stem + ".pdf")
            if not made.exists():
                return None
            shutil.move(str(made), p)
        return p
    raise ValueError(fmt)


# --------------------------------------------------------------------------------------------
# matching


def unify(s: str | None, issuer: bool = False) -> str:
    s = re.sub(r"\s+", "", s or "")
    for a, b in ("（(", "）)", "《<", "》>", "〈<", "〉>", "“\"", "”\"", "‘'", "’'", "：:", "，,", "－-", "—-", "～~"):
        s = s.replace(a, b)
    if issuer:
        s = s.replace("、", "").replace("·", "").replace(",", "")
    return s


def number_ok(gold: str, pred) -> bool:
    if pred is None:
        return False
    g = docno.normalize(gold)
    if g and (g == docno.normalize(pred.raw) or g == docno.normalize(pred.canonical) or g == pred.canonical):
        return True
    gp = docno.parse(gold)
    return bool(gp and (gp.code, gp.year, gp.serial) == (pred.code, pred.year, pred.serial))


def number_in_text(gold: str, text: str) -> bool:
    g = docno.parse(gold)
    for n, _, _ in docno.find_all(text):
        if number_ok(gold, n) or (g and (n.year, n.serial) == (g.year, g.serial) and n.code.endswith(g.code)):
            return True
    return False


def load_review(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(doc_id, field) -> (verdict, corrected value) from label_review.tsv."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as fh:
        head = fh.readline().rstrip("\n").split("\t")
        assert head[:6] == ["doc_id", "field", "label_value", "our_value", "verdict", "reason"], head
        for line in fh:
            if not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            doc_id, field, _label, _ours, verdict, _reason = cols[:6]
            corrected = cols[6] if len(cols) > 6 else ""
            assert verdict in ("label_wrong", "not_in_text", "not_comparable"), verdict
            assert verdict != "label_wrong" or corrected, (doc_id, field)
            out[(doc_id, field)] = (verdict, corrected)
    return out


_ZH_D = "〇一二三四五六七八九"


def _zh_digits(n: int) -> str:
    return "".join(_ZH_D[int(c)] for c in str(n))


def _zh_small(n: int) -> str:
    if n < 10:
        return _ZH_D[n]
    t, o = divmod(n, 10)
    return ("" if t == 1 else _ZH_D[t]) + "十" + (_ZH_D[o] if o else "")


def date_in_signature(date_iso: str, text: str) -> bool:
    """Does the label date literally stand in the text as a signature-block date? Independent of the
    parser: the date (Arabic or Chinese numerals, spaces allowed) ends its line or is followed by a
    （附注）, is not followed by 印发/起/施行…, and what precedes it on its line is nothing or a short
    name (a 署名 such as 河北省财政厅 or 部长王志刚) with no sentence punctuation."""
    import datetime as _dt

    d = _dt.date.fromisoformat(date_iso)
    forms = [rf"{d.year}\s*年\s*0?{d.month}\s*月\s*0?{d.day}\s*日",
             rf"{_zh_digits(d.year)}\s*年\s*{_zh_small(d.month)}\s*月\s*{_zh_small(d.day)}\s*日"]
    t = text.replace("○", "〇").replace("Ｏ", "〇").replace("O", "〇").replace("零", "〇")
    for form in forms:
        for m in re.finditer(r"(?<!\d)" + form, t):
            ls = t.rfind("\n", 0, m.start()) + 1
            le = t.find("\n", m.end())
            le = len(t) if le < 0 else le
            before, after = t[ls:m.start()].strip(), t[m.end():le].strip()
            if after and not re.match(r"[（(]", after):
                continue
            if re.match(r"\s*(?:印发|翻印|起|施行|实施)", t[m.end():m.end() + 4]):
                continue
            if before and (len(before) > 40 or re.search(r"[。，,；;：:、]", before)):
                continue
            return True
    return False


def title_match(gold: str, pred: str | None, gold_number: str | None) -> tuple[bool, bool]:
    g, p = unify(gold), unify(pred)
    if not p:
        return False, False
    if g == p:
        return True, True
    lenient = False
    # (c) 令 label = 令号 + title
    if gold_number:
        for form in {gold_number, docno.normalize(gold_number) or ""}:
            f = unify(form)
            if f and g.startswith(f):
                g2 = g[len(f):].strip("<>")
                if g2 == p.strip("<>"):
                    lenient = True
    m = re.search(r"(?:印发|转发|发布)", p)  # "…印发《label》的通知", whoever prints the 印发
    # (a) issuer prefix printed in the document
    if p.endswith(g) and len(g) >= 6 and re.match(r"(?:关于|印发|转发)", g):
        lenient = True
    # (b) the label names the attachment of a 印发/转发 notice
    if m and g.strip("<>") and g.strip("<>") in p[m.end():] and re.search(r"(?:通知|通报|函|决定)$", p):
        lenient = True
    return False, lenient


def issuer_match(gold: str, pred: str | None) -> tuple[bool, bool]:
    g, p = unify(gold, True), unify(pred, True)
    if not p:
        return False, False
    return g == p, g == p or (len(g) >= 4 and (p.endswith(g) or g.endswith(p)) and len(p) >= 4)


# --------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--formats", default="text,docx,pdf")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--soffice", type=int, default=0, help="also convert the first N docs DOCX->PDF with LibreOffice")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    docs = [json.loads(line) for line in open(corpus / "docs.jsonl", encoding="utf-8")]
    negs = [json.loads(line) for line in open(corpus / "docs_without_number.jsonl", encoding="utf-8")]
    if args.limit:
        docs = docs[: args.limit]
    formats = [f for f in args.formats.split(",") if f]
    soffice_ok = shutil.which("soffice") is not None
    if args.soffice and soffice_ok:
        formats.append("soffice")
    OUT.mkdir(parents=True, exist_ok=True)
    review = load_review(ROOT / "bench" / "label_review.tsv")
    report = []

    def say(s=""):
        print(s)
        report.append(s)

    for fmt in formats:
        subset = docs[: args.soffice] if fmt == "soffice" else docs
        t0 = time.time()
        stats = defaultdict(lambda: [0, 0])  # key -> [ok, n]
        misses = []
        for d in subset:
            try:
                path = render(d, fmt, soffice_ok)
                if path is None:
                    continue
                ex = extract(path)
                text = ex.text
            except Exception as exc:  # a rendering/extraction failure counts against us
                misses.append((d["id"], "render", "", f"{type(exc).__name__}: {exc}", ""))
                text = ""
            f = gongwen.parse(text)
            prov = d["meta"].get("provenance", {})
            src = d["id"].split("-")[0]

            def reviewed(field, label):
                """The label after review, or None when the review drops the document."""
                v = review.get((d["id"], field))
                if v is None:
                    return label
                return v[1] if v[0] == "label_wrong" else None

            def add(key, ok):
                stats[key][0] += bool(ok)
                stats[key][1] += 1
            # 发文字号
            if d.get("doc_number"):
                t = tier(prov.get("doc_number"))
                ok = number_ok(d["doc_number"], f.doc_number)
                present = number_in_text(d["doc_number"], text)
                for key in (f"num|{t}", "num|all", f"num|{t}|in-text" if present else None, f"num|src:{src}"):
                    if key:
                        stats[key][0] += ok
                        stats[key][1] += 1
                if not ok:
                    misses.append((d["id"], "doc_number", d["doc_number"], f.doc_number.raw if f.doc_number else None,
                                   f"{prov.get('doc_number')} in_text={present}"))
                r = reviewed("doc_number", d["doc_number"])
                if r is not None:
                    rok = number_ok(r, f.doc_number)
                    add(f"num|{t}|reviewed", rok)
                    add("num|all|reviewed", rok)
            # 标题
            if d.get("title"):
                t = tier(prov.get("title"))
                strict, lenient = title_match(d["title"], f.title, d.get("doc_number"))
                in_text = unify(d["title"]).strip("<>") in unify(text)
                for key in (f"title|{t}", f"title|{t}|in-text" if in_text else None):
                    if key:
                        stats[key + "|strict"][0] += strict
                        stats[key + "|strict"][1] += 1
                        stats[key + "|lenient"][0] += lenient
                        stats[key + "|lenient"][1] += 1
                if not lenient:
                    misses.append((d["id"], "title", d["title"], f.title, f"{prov.get('title')} in_text={in_text}"))
                r = reviewed("title", d["title"])
                if r is not None and unify(r).strip("<>") in unify(text):
                    rs, rl = title_match(r, f.title, d.get("doc_number"))
                    add(f"title|{t}|in-text|strict|reviewed", rs)
                    add(f"title|{t}|in-text|lenient|reviewed", rl)
            # 发文机关
            if d.get("issuer"):
                t = tier(prov.get("issuer"))
                strict, lenient = issuer_match(d["issuer"], f.issuer)
                stats[f"issuer|{t}|strict"][0] += strict
                stats[f"issuer|{t}|strict"][1] += 1
                stats[f"issuer|{t}|lenient"][0] += lenient
                stats[f"issuer|{t}|lenient"][1] += 1
                if not strict:
                    misses.append((d["id"], "issuer", d["issuer"], f.issuer, f"{prov.get('issuer')} lenient={lenient}"))
                r = reviewed("issuer", d["issuer"])
                if r is not None:
                    rs, rl = issuer_match(r, f.issuer)
                    add(f"issuer|{t}|strict|reviewed", rs)
                    add(f"issuer|{t}|lenient|reviewed", rl)
            # 成文日期
            if d.get("date"):
                kind = "成文日期" if src == "govdoccn" else "listing/issuing date"
                import datetime as _dt

                gd = _dt.date.fromisoformat(d["date"])
                exact = f.date == gd
                near = f.date is not None and abs((f.date - gd).days) <= 30
                stats[f"date|{src} ({kind})|exact"][0] += exact
                stats[f"date|{src} ({kind})|exact"][1] += 1
                stats[f"date|{src} ({kind})|<=30d"][0] += near
                stats[f"date|{src} ({kind})|<=30d"][1] += 1
                # "where known": the label is a 成文日期 (govdoccn), or it stands in the signature block
                in_sig = src == "govdoccn" or date_in_signature(d["date"], d["body_text"])
                if in_sig:
                    add("date|known 成文日期 (govdoccn + label date in signature block)|exact", exact)
                    r = reviewed("date", d["date"])
                    if r is not None:
                        add("date|known 成文日期 (govdoccn + label date in signature block)|exact|reviewed",
                            f.date is not None and str(f.date) == r)
                if not exact:
                    misses.append((d["id"], "date", d["date"], str(f.date), f"{kind} in_signature={in_sig}"))
        # negatives
        if fmt != "soffice":
            neg_n = neg_hit = 0
            for d in negs:
                try:
                    path = render(d, fmt, soffice_ok)
                    text = extract(path).text
                except Exception:
                    continue
                f = gongwen.parse(text)
                neg_n += 1
                if f.doc_number is not None:
                    neg_hit += 1
                    misses.append((d["id"], "false_number", "", f.doc_number.raw, "docs_without_number"))
            stats["neg|false own number"] = [neg_hit, neg_n]
        touched = sum(1 for (i, _f) in review if i in {d["id"] for d in subset})
        say(f"== format {fmt}: {len(subset)} docs, {time.time() - t0:.0f}s; label review rows applied: {touched}")
        for key in sorted(stats):
            ok, n = stats[key]
            say(f"  {key:55s} {ok:4d}/{n:<4d} {100.0 * ok / n if n else 0:6.1f}%")
        with open(OUT / f"misses_{fmt}.tsv", "w", encoding="utf-8") as fh:
            fh.write("id\tfield\tlabel\tparsed\tnote\n")
            for row in misses:
                fh.write("\t".join("" if x is None else str(x).replace("\t", " ").replace("\n", "⏎") for x in row) + "\n")
    (OUT / "report.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
