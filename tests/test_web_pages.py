"""Every page of the web page as every role (issue 29), through the real Starlette app over a real archive:

- no command names and no English words shown (identifiers, codes and format names aside);
- files shown as pages: an OFD drawn with its seal, an image as itself, a DOCX through its PDF rendition
  (cached beside the inbox, never in the store);
- sortable result columns;
- the appraisal procedure as pages: the due list → the group's decisions → the 领导's approval with a signed
  签批件 → the 监销, each step's documents downloadable.
"""

from __future__ import annotations

import hashlib
import html as htmlmod
import io
import re
import warnings
import zipfile
from pathlib import Path

import pytest

from tests.approved import approve_table

from tests.conftest import copy_prepared, write_config
from tests.test_web import PASSWORD, csrf_of, login
from tests.makedocs import SAMPLE_GONGWEN, make_docx, make_ofd, make_pdf, make_text
from tests.makescans import make_scan

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

USERS = {"查阅": "查阅员小赵", "文书": "文书小王", "档案员": "档案员老李", "领导": "副局长陈", "保密员": "保密员周"}
OFD_LINES = ["示例县档案局文件", "示档发〔2022〕8号", "关于印发电子文件归档办法的通知", "县直各单位：",
             "现将电子文件归档办法印发给你们。", "示例县档案局", "2022年9月8日"]
SCAN_LINES = ["示例县人民政府文件", "示政发〔2022〕14号", "示例县人民政府关于加强档案安全工作的通知", "县直各单位：",
              "为加强全县档案安全工作，现就有关事项通知如下。", "示例县人民政府", "2022年10月8日"]
SEAL_BOX = (120, 200, 42, 42)  # mm on page 1


def make_sealed_ofd(path: Path, lines, seal_box=SEAL_BOX) -> Path:
    """An OFD whose page 1 carries an electronic seal: Signatures.xml → Signature.xml (StampAnnot on page 1)
    → SignedValue.dat, DER-like bytes around the seal's PNG picture (a red ring and star), as a signing
    product writes it."""
    from PIL import Image, ImageDraw

    make_ofd(path, lines)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    ns = "http://www.ofdspec.org/2016"
    parts["OFD.xml"] = parts["OFD.xml"].replace(
        b"</ofd:DocBody>", b"<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody>")
    seal = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    d = ImageDraw.Draw(seal)
    d.ellipse((6, 6, 194, 194), outline=(220, 0, 0, 255), width=10)
    d.regular_polygon((100, 100, 40), 5, fill=(220, 0, 0, 255))
    buf = io.BytesIO()
    seal.save(buf, "PNG")
    x, y, w, h = seal_box
    parts["Doc_0/Signs/Signatures.xml"] = (f'<ofd:Signatures xmlns:ofd="{ns}"><ofd:Signature ID="1" '
                                           f'BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>').encode()
    parts["Doc_0/Signs/Sign_0/Signature.xml"] = (
        f'<ofd:Signature xmlns:ofd="{ns}"><ofd:SignedInfo><ofd:StampAnnot ID="1" PageRef="100" '
        f'Boundary="{x} {y} {w} {h}"/></ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue>'
        f'</ofd:Signature>').encode()
    parts["Doc_0/Signs/Sign_0/SignedValue.dat"] = (b"\x30\x82\x10\x00\x30\x82\x05\x00\x16\x03png\x04\x82"
                                                   + buf.getvalue() + b"\x30\x0a\x06\x08" + b"\x00" * 64)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return path


def _add_old(arc, tmp, code, year):
    from archive.importing import ImportedFile, import_record

    f = make_text(tmp / f"{code}.txt", f"示例县档案局\n{code} 的正文。")
    return import_record(arc, {"archival_code": code, "title": f"{year}年的一份事务性文件", "issuer": "示例县档案局",
                               "date": f"{year}-06-01"}, ImportedFile(f), source={"test": True})


@pytest.fixture(scope="session")
def _pages_template(tmp_path_factory):
    """Built once: five users, a DOCX, a PDF, a sealed OFD, a PNG, a pending letter, two old 10年 records due."""
    from archive import pipeline
    from archive.config import load_config
    from archive.session import open_archive
    from archive.web import accounts

    folder = tmp_path_factory.mktemp("pages-template")
    arc = open_archive(load_config(write_config(folder)), create=True)
    for role, name in USERS.items():
        accounts.add_user(arc.conn, name, role, PASSWORD)
    approve_table(arc)  # issue 26: destruction runs only under a table agreed and recorded
    src = folder / "src"
    src.mkdir()
    recs = {
        "docx": pipeline.ingest_file(arc, make_docx(src / "决定.docx", SAMPLE_GONGWEN)).record,
        "pdf": pipeline.ingest_file(arc, make_pdf(src / "通知.pdf", [SAMPLE_GONGWEN[0], "示档发〔2022〕7号",
                                                                   "关于开展档案安全检查的决定", *SAMPLE_GONGWEN[3:]])).record,
        "ofd": pipeline.ingest_file(arc, make_sealed_ofd(src / "办法.ofd", OFD_LINES)).record,
        "png": pipeline.ingest_file(arc, make_scan(src / "通知扫描件.png", SCAN_LINES, dpi=150)).record,
        "pending": pipeline.ingest_file(arc, make_text(src / "来函.txt", "\n".join(
            ["某某科技有限公司", "关于数字化项目验收的函", "示例县档案局：", "项目已完成，特此函告。", "某某科技有限公司",
             "2022年9月1日"]))).record,
        "old1": _add_old(arc, src, "Z109-WS·2009-D10-BGS-0001", 2009),
        "old2": _add_old(arc, src, "Z109-WS·2012-D10-BGS-0001", 2012),
    }
    arc.close()
    return folder, {k: dict(v) if v is not None else None for k, v in recs.items()}


@pytest.fixture
def site(cfg, _pages_template):
    from archive.web import create_app

    template, recs = _pages_template
    copy_prepared(template, cfg.store.parent)
    app = create_app(cfg)
    yield app, recs, cfg
    app.state.web.close()


_csrf = csrf_of  # tests/test_web.py's: the form's token, and logging in as a user of the fixture


# ---- no English and no command names shown ----------------------------------------------------------------
FORMAT_WORDS = {"PDF", "OFD", "DOCX", "DOC", "WPS", "RTF", "Excel", "Word", "xlsx", "docx", "pdf", "KB", "MB", "GB"}


def visible_text(page: str) -> str:
    """What a user reads: the text between tags (not scripts or styles) and the texts of placeholder, title,
    alt, aria-label and button values."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    shown = re.findall(r'(?i)\s(?:placeholder|title|alt|aria-label)="([^"]*)"', page)
    text = re.sub(r"(?s)<[^>]+>", " ", page)
    return htmlmod.unescape(text + " " + " ".join(shown))


def latin_words(text: str, allowed: set[str]) -> list[str]:
    """Words of Latin letters that are not part of an identifier or code (档号, 文号, file names, numbers)."""
    out = []
    for token in re.split(r"[\s，。、：；（）()“”《》〔〕\[\]【】·,;:!?！？|/]+", text):
        for word in re.findall(r"[A-Za-z]{2,}", token):
            if re.search(r"[0-9_.\-@]", token) or word in allowed or token in allowed:
                continue  # Z109-WS·2009-D10-BGS-0001, 决定.docx, 12.3 KB: codes and names
            out.append(word)
    return out


def pages_of(recs: dict, aid: int | None) -> list[str]:
    urls = ["/search", "/search?q=档案", "/search?q=档案&sort=date", "/search?status=archived&sort=title",
            "/file", "/review", "/admin", "/admin/audit", "/admin/audit?as_of=2026-01-01", "/admin/holds",
            "/secrecy", "/appraisals", "/appraisals/new?as_of=2026-01-01",
            "/filing", "/use", "/use/access", "/transfer"]  # issues 25 and 28's pages
    for r in recs.values():
        if r:
            urls += [f"/doc/{r['id']}", f"/doc/{r['id']}/view/1"]
    if aid:
        urls.append(f"/appraisals/{aid}")
    return urls


def _appraise(app, recs) -> int:
    c = login(app, USERS["档案员"])
    r = c.post("/appraisals/new", data={
        "csrf": _csrf(c.get("/appraisals/new?as_of=2026-01-01").text), "as_of": "2026-01-01",
        "members": "档案:档案员老李、业务:办公室小孙", f"d_{recs['old1']['id']}": "destroy",
        f"d_{recs['old2']['id']}": "extend:D30", f"r_{recs['old1']['id']}": "已无查考价值",
        f"r_{recs['old2']['id']}": "仍有查考价值"}, follow_redirects=False)
    assert r.status_code == 303, visible_text(r.text)[:800]
    return int(r.headers["location"].split("/")[2].split("?")[0])


@pytest.mark.slow
def test_every_page_as_every_role_shows_no_english_and_no_command(site):
    app, recs, cfg = site
    aid = _appraise(app, recs)
    allowed = FORMAT_WORDS | set(cfg.orgs) | {cfg.fonds}
    problems = []
    seen = 0
    for role, name in USERS.items():
        c = login(app, name)
        for url in pages_of(recs, aid):
            r = c.get(url)
            assert r.status_code in (200, 403), (role, url, r.status_code, r.text[:300])
            if "text/html" not in r.headers.get("content-type", ""):
                continue
            seen += 1
            text = visible_text(r.text)
            if "archive " in text:
                problems.append(f"{role} {url}: a command: …{text[text.index('archive '):][:60]}")
            bad = latin_words(text, allowed)
            if bad:
                problems.append(f"{role} {url}: {sorted(set(bad))}")
            if name != "root" and re.search(r"\broot\b", text):
                problems.append(f"{role} {url}: the account root shown")
    assert seen > 100
    assert not problems, "\n".join(problems)


def test_the_checker_finds_english_and_keeps_codes():
    """The walk above is only worth something if its checker catches what the issue found."""
    assert latin_words(visible_text("<p>SHA-256 校验</p>"), FORMAT_WORDS) == []  # a code with digits…
    assert latin_words(visible_text("<p>请运行 archive dispose</p>"), FORMAT_WORDS) == ["archive", "dispose"]
    assert latin_words(visible_text('<input placeholder="Search">'), FORMAT_WORDS) == ["Search"]
    assert latin_words(visible_text("<td>Z109-WS·2009-D10-BGS-0001</td><td>决定.docx</td>"), FORMAT_WORDS) == []


def test_the_record_page_speaks_the_command_lines_words(site):
    app, recs, _ = site
    c = login(app, USERS["文书"])
    page = c.get(f"/doc/{recs['docx']['id']}").text
    assert '<span class="tag">正本</span>' in page and "校验码" in page
    assert "SHA-256" not in page and '<span class="tag">原件</span>' not in page


# ---- files shown as pages ---------------------------------------------------------------------------------
def _png_of(response):
    from PIL import Image

    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def test_an_ofd_is_drawn_as_a_page_with_its_seal(site):
    from archive.web.render import DPI, cache_dir

    app, recs, cfg = site
    doc = recs["ofd"]["id"]
    c = login(app, USERS["查阅"])
    view = c.get(f"/doc/{doc}/view/1").text
    assert f'src="/doc/{doc}/page/1/1"' in view and 'id="doctext"' not in view
    img = _png_of(c.get(f"/doc/{doc}/page/1/1"))
    k = DPI / 25.4
    assert abs(img.width - 210 * k) < 3 and abs(img.height - 297 * k) < 3  # the page's own size
    x, y, w, h = (round(v * k) for v in SEAL_BOX)
    seal = img.crop((x, y, x + w, y + h))
    red = sum(1 for r, g, b in seal.get_flattened_data() if r > 180 and g < 80 and b < 80)
    assert red > 0.08 * w * h  # the seal is there, in red, where its StampAnnot puts it
    text_area = img.crop((round(28 * k), round(37 * k), round(120 * k), round(60 * k)))
    assert sum(1 for p in text_area.get_flattened_data() if max(p) < 100) > 200  # the text is drawn, in black
    assert any(cache_dir(cfg).glob("*-ofd-1.png"))
    assert not list(cfg.store.rglob("*-ofd-1.png"))  # never in the store
    assert c.get(f"/doc/{doc}/page/1/9").status_code == 404


def test_an_image_is_shown_as_itself(site):
    from PIL import Image

    app, recs, cfg = site
    rec = recs["png"]
    c = login(app, USERS["查阅"])
    view = c.get(f"/doc/{rec['id']}/view/1").text
    assert f'src="/doc/{rec["id"]}/page/1/1"' in view and "放大" in view and 'id="doctext"' not in view
    shown = _png_of(c.get(f"/doc/{rec['id']}/page/1/1"))
    original = Image.open(io.BytesIO(c.get(f"/doc/{rec['id']}/file/1").content)).convert("RGB")
    assert shown.size == original.size and shown.tobytes() == original.tobytes()


@pytest.mark.slow
def test_a_docx_is_shown_through_its_pdf_rendition_cached_by_its_sha256(site):
    from archive.web.render import cache_dir

    app, recs, cfg = site
    rec = recs["docx"]
    c = login(app, USERS["查阅"])
    view = c.get(f"/doc/{rec['id']}/view/1").text
    assert f'src="/doc/{rec["id"]}/rendition/1"' in view and 'id="doctext"' not in view
    before = sorted(p.relative_to(cfg.store) for p in cfg.store.rglob("*") if p.is_file())
    r = c.get(f"/doc/{rec['id']}/rendition/1")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    cached = cache_dir(cfg) / f"{rec['sha256']}.pdf"
    assert cached.read_bytes() == r.content
    after = sorted(p.relative_to(cfg.store) for p in cfg.store.rglob("*") if p.is_file())
    assert [p for p in after if p not in before and "catalog" not in str(p)] == []
    assert c.get(f"/doc/{recs['pdf']['id']}/rendition/1").status_code == 404  # a PDF is shown as itself


def test_a_stored_rendition_is_preferred():
    from archive.web.render import stored_rendition

    files = [{"seq": 1, "role": None, "media_type": "docx"}, {"seq": 2, "role": "附件", "media_type": "pdf"},
             {"seq": 3, "role": "其他格式", "media_type": "pdf"}]
    assert stored_rendition(files)["seq"] == 3
    assert stored_rendition(files[:2]) is None


def test_a_damaged_ofd_page_is_one_line_not_a_crash(tmp_path):
    from archive.errors import StoreError
    from archive.web import render

    bad = tmp_path / "坏.ofd"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("OFD.xml", "<OFD><DocBody><DocRoot>Doc_0/Document.xml</DocRoot></DocBody></OFD>")
        z.writestr("Doc_0/Document.xml", "<Document><Pages><Page ID='1' BaseLoc='P/C.xml'/></Pages></Document>")
        z.writestr("Doc_0/P/C.xml", "<Page><Content><Layer>" + "<TextObject Boundary='0 0 1e308 1e308' "
                   "Size='nan'><TextCode X='0' Y='0'>字</TextCode></TextObject>" * 3 + "<broken")

    class Cfg:
        inbox = tmp_path / "inbox"
    with pytest.raises(StoreError):
        render.ofd_page_png(Cfg, bad, hashlib.sha256(bad.read_bytes()).hexdigest(), 1)


# ---- sortable columns -------------------------------------------------------------------------------------
def _rows(page: str) -> list[str]:
    body = page.split('id="results"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/doc/(\d+)">\d+</a>', body)


def test_results_sort_by_date_code_and_title(site):
    from archive import catalog
    from archive.session import Archive

    app, recs, cfg = site
    c = login(app, USERS["查阅"])
    arc = Archive(cfg)
    try:
        rows = {r["id"]: r for r in catalog.list_documents(arc.conn, status="archived")}
    finally:
        arc.close()
    page = c.get("/search?status=archived&sort=date").text
    ids = [int(i) for i in _rows(page)]
    assert len(ids) == len(rows) >= 4
    dates = [rows[i]["date"] or "" for i in ids]
    assert dates == sorted(dates, reverse=True)
    ids = [int(i) for i in _rows(c.get("/search?status=archived&sort=title").text)]
    assert [rows[i]["title"] for i in ids] == sorted(rows[i]["title"] for i in ids)
    ids = [int(i) for i in _rows(c.get("/search?status=archived&sort=code").text)]
    assert [rows[i]["archival_code"] for i in ids] == sorted(rows[i]["archival_code"] for i in ids)
    assert "按日期排列" in page  # the headers are links that sort
    # words sorted by date: the page shown has the snippets of its hits (made for those only)
    words = c.get("/search?q=档案&sort=date").text
    assert _rows(words) and "<mark>" in words.split('id="results"', 1)[1]
    assert c.get("/search?status=archived&sort=nonsense").text.count('class="error"') == 1


# ---- the appraisal procedure as pages -----------------------------------------------------------------------
@pytest.mark.slow
def test_appraisal_decisions_approval_and_destruction_as_pages(site, tmp_path):
    app, recs, cfg = site
    old1, old2 = recs["old1"], recs["old2"]
    clerk = login(app, USERS["文书"])
    assert clerk.get("/appraisals").status_code == 403
    archivist = login(app, USERS["档案员"])
    due = archivist.get("/appraisals/new?as_of=2026-01-01").text
    assert f'name="d_{old1["id"]}"' in due and f'name="d_{old2["id"]}"' in due
    # one member only: the service refuses, the page says why and keeps what was typed
    r = archivist.post("/appraisals/new", data={"csrf": _csrf(due), "as_of": "2026-01-01", "members": "档案员老李",
                                                f"d_{old1['id']}": "destroy", f"r_{old1['id']}": "已无查考价值"})
    assert r.status_code == 400 and "至少两人" in r.text and "已无查考价值" in r.text
    assert "--" not in visible_text(r.text) and "鉴定小组成员" in r.text  # the page's words, not the options
    aid = _appraise(app, recs)
    assert f"已在第 {aid} 号鉴定中拟销毁" in archivist.get("/appraisals/new?as_of=2026-01-01").text
    page = archivist.get(f"/appraisals/{aid}").text
    assert 'id="approve"' not in page and 'id="destroy"' not in page  # only a 领导 approves (issue 26)
    report = re.search(r'<span class="tag">鉴定工作报告</span> <a href="/doc/(\d+)">', page).group(1)
    assert archivist.get(f"/doc/{report}/file/1").content.startswith(b"%PDF")
    draft = archivist.get(f"/appraisals/{aid}/register")
    assert draft.status_code == 200 and draft.content[:2] == b"PK"

    # the 领导 approves, with the signed 签批件 (a PDF) uploaded
    leader = login(app, USERS["领导"])
    page = leader.get(f"/appraisals/{aid}").text
    signed = make_pdf(tmp_path / "签批件.pdf", ["同意销毁", "副局长陈", "2026年1月5日"])
    r = leader.post(f"/appraisals/{aid}/approve", data={"csrf": _csrf(page), "document": "示档〔2026〕5号",
                                                        "on": "2026-01-05"},
                    files={"file": ("签批件.pdf", signed.read_bytes(), "application/pdf")}, follow_redirects=False)
    assert r.status_code == 303, visible_text(r.text)[:600]
    page = leader.get(f"/appraisals/{aid}").text
    assert "副局长陈，2026-01-05，批准文件 示档〔2026〕5号" in page
    approval = re.search(r'<span class="tag">销毁审批（签批件）</span> <a href="/doc/(\d+)">', page).group(1)
    assert leader.get(f"/doc/{approval}/file/1").content == signed.read_bytes()
    assert 'id="destroy"' not in page  # the 领导 does not record the 监销

    # the 档案员 records the 监销: one supervisor is refused, two are enough
    page = archivist.get(f"/appraisals/{aid}").text
    r = archivist.post(f"/appraisals/{aid}/destroy", data={"csrf": _csrf(page), "supervisors": "监销人甲",
                                                            "method": "删除", "place": "档案室"})
    assert r.status_code == 400 and "监销人" in r.text
    r = archivist.post(f"/appraisals/{aid}/destroy", data={"csrf": _csrf(page), "supervisors": "监销人甲、监销人乙",
                                                            "method": "删除", "place": "档案室"}, follow_redirects=False)
    assert r.status_code == 303, visible_text(r.text)[:600]
    page = archivist.get(f"/appraisals/{aid}").text
    assert "监销人甲、监销人乙；删除；档案室" in page and '<span class="tag">销毁清册</span>' in page
    assert "已销毁" in archivist.get(f"/doc/{old1['id']}").text
    assert "已销毁" not in archivist.get(f"/doc/{old2['id']}").text.split("处理记录")[0]


def test_an_approval_form_without_a_token_is_refused(site):
    app, recs, _ = site
    aid = _appraise(app, recs)
    leader = login(app, USERS["领导"])
    r = leader.post(f"/appraisals/{aid}/approve", data={"document": "示档〔2026〕5号"})
    assert r.status_code == 403


def test_an_image_too_large_to_decode_is_one_line(tmp_path):
    """A PNG whose header claims 30000 × 30000 pixels (a decompression bomb) is refused before decoding."""
    import struct
    import zlib

    from archive.errors import StoreError
    from archive.web import render

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    class Cfg:
        inbox = tmp_path / "inbox"
    for w, h in ((30000, 30000), (10000, 7000)):  # past Pillow's own limit; past ours only
        bomb = tmp_path / f"炸弹{w}.png"
        bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                         + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
        with pytest.raises(StoreError, match="图像过大"):
            render.image_page_png(Cfg, bomb, hashlib.sha256(bomb.read_bytes()).hexdigest(), 1)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.png"))
