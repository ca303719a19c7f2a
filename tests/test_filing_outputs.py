"""The year's outputs and the boxes (issue 25 items 3 and 4): the 归档文件目录 with covers, the 归档章 sheet and the
summary made at close and on demand and read back (PDF text through pypdfium2, XLSX through openpyxl) against
the catalog; paper originals, 装盒 rules, a box after 补充归档, the 备考表 and labels; bad input in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests import filing_gen as gen
from tests.conftest import copy_prepared
from tests.test_filing import at_filing_config, cli, cli_json, rows

GROUPS = {("Y", "BGS"): ("永久", "办公室"), ("D30", "BGS"): ("30年", "办公室"), ("D30", "YWK"): ("30年", "业务指导科"),
          ("D10", "BGS"): ("10年", "办公室")}


def pdf_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def closed(tmp_path_factory) -> Path:
    """A small year (2023: 44 documents in four groups) arranged, checked and closed; 2022 still collecting."""
    return closed_year(tmp_path_factory.mktemp("year-outputs"), 20)


def closed_year(folder: Path, n_fillers: int) -> Path:
    """The simulated 2023 (with ``n_fillers`` more) ingested in arrival order, arranged, checked and closed."""
    cfg = at_filing_config(folder)
    gen.year_of_documents(folder / "docs", n_fillers=n_fillers)
    cli(cfg, "ingest", *map(str, gen.arrival_order(folder / "docs")))
    cli(cfg, "arrange", "--year", "2023", "--by", "张三", "--leave-pending")
    cli(cfg, "arrange", "check", "--year", "2023", "--by", "李四")
    cli(cfg, "arrange", "close", "--year", "2023", "--received-by", "王五")
    return folder


@pytest.fixture
def year(closed, tmp_path) -> Path:
    copy_prepared(closed, tmp_path / "a")
    return tmp_path / "a" / "config.toml"


def filed(cfg: Path) -> list:
    return rows(cfg, "SELECT * FROM documents WHERE year=2023 AND item_no IS NOT NULL AND status='archived' "
                     "ORDER BY retention, org, item_no")


# ---- item 3: the year's outputs ----------------------------------------------------------------------------
def test_close_writes_the_catalogue_with_covers_read_back_against_the_catalog(closed):
    cfg = closed / "config.toml"
    folder = closed / "store" / "filing" / "2023"
    records = filed(cfg)
    assert len(records) == 44
    pages = pdf_pages(folder / "归档文件目录-2023.pdf")
    covers = [flat(p) for p in pages if "全宗名称" in p]
    assert len(covers) == 4  # one cover per group, each before its group's pages
    for (ret, org), (ret_name, org_name) in GROUPS.items():
        n = sum(1 for r in records if (r["retention"], r["org"]) == (ret, org))
        assert any(f"保管期限：{ret_name}" in c and f"机构（问题）：{org_name}" in c and f"共{n}件" in c
                   and "全宗名称：示例县档案局" in c and "全宗号：Z109" in c and "年度：2023" in c for c in covers)
    text = flat("".join(pages))
    assert all(r["archival_code"] in text for r in records)
    # the cover stands right before its group's list
    first_cover = next(i for i, p in enumerate(pages) if "全宗名称" in p)
    assert "Z109-WS·2023-Y-BGS-0001" in pages[first_cover + 1]

    from openpyxl import load_workbook

    wb = load_workbook(folder / "归档文件目录-2023.xlsx")
    cover_sheets = [ws for ws in wb.worksheets if ws.title.startswith("封面")]
    assert len(cover_sheets) == 4
    values = [{r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)} for ws in cover_sheets]
    assert {(v["保管期限"], v.get("机构（问题）")) for v in values} == set(GROUPS.values())
    assert all(v["全宗名称"] == "示例县档案局" and v["全宗号"] == "Z109" and v["年度"] == "2023" for v in values)
    listed = [c for ws in wb.worksheets if not ws.title.startswith("封面")
              for (c,) in ws.iter_rows(min_row=3, min_col=2, max_col=2, values_only=True) if c]
    assert sorted(listed) == sorted(r["archival_code"] for r in records)
    assert sum(v["件数"] for v in values) == 44


def test_the_stamp_sheet_and_the_summary_equal_the_catalog(closed):
    cfg = closed / "config.toml"
    folder = closed / "store" / "filing" / "2023"
    records = filed(cfg)
    text = flat("".join(pdf_pages(folder / "归档章-2023.pdf")))
    assert "2023年度归档章，共44件" in text
    assert all(r["archival_code"] in text for r in records)
    from openpyxl import load_workbook

    ws = load_workbook(folder / "年度统计-2023.xlsx").active
    table = [r for r in ws.iter_rows(values_only=True) if r and r[0] is not None and (isinstance(r[0], int) or r[0] == "合计")]
    body, total = table[:-1], table[-1]
    assert len(body) == 4
    for r in body:
        key = next(k for k, v in GROUPS.items() if v == (r[2], r[3]))
        members = [x for x in records if (x["retention"], x["org"]) == key]
        assert (r[4], r[5]) == (len(members), sum(x["pages"] for x in members))
    assert (total[4], total[5]) == (len(records), sum(r["pages"] for r in records))
    summary = flat("".join(pdf_pages(folder / "年度统计-2023.pdf")))
    assert f"合计{len(records)}{sum(r['pages'] for r in records)}" in summary


def test_outputs_on_demand_outside_the_store_and_never_inside(year, tmp_path):
    out = tmp_path / "out"
    done = cli_json(year, "arrange", "outputs", "--year", "2023", "-o", str(out))
    assert sorted(Path(f).name for f in done["files"]) == sorted(
        ["归档文件目录-2023.pdf", "归档文件目录-2023.xlsx", "归档章-2023.pdf", "年度统计-2023.pdf", "年度统计-2023.xlsx"])
    assert all(Path(f).parent == out and Path(f).stat().st_size > 0 for f in done["files"])
    r = cli(year, "arrange", "outputs", "--year", "2023", "-o", str(year.parent / "store" / "x"), ok=False)
    assert r.returncode == 1 and "不能写入档案库内部" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli(year, "arrange", "outputs", "--year", "1999", ok=False)
    assert r.returncode == 1 and "1999 年度没有已编档号的记录" in r.stderr


def test_an_at_ingest_archive_gets_its_year_outputs(tmp_path):
    from tests.conftest import write_config

    cfg = write_config(tmp_path)  # numbering at ingest, as the archives made before issue 25
    gen.year_of_documents(tmp_path / "docs", n_fillers=4)
    cli(cfg, "ingest", *map(str, gen.arrival_order(tmp_path / "docs")))
    done = cli_json(cfg, "arrange", "outputs", "--year", "2023", "-o", str(tmp_path / "out"))
    n = rows(cfg, "SELECT count(*) n FROM documents WHERE year=2023 AND item_no IS NOT NULL AND status='archived'")[0]["n"]
    assert n > 0
    stamps = flat("".join(pdf_pages(next(Path(f) for f in done["files"] if "归档章" in f))))
    assert f"共{n}件" in stamps


# ---- item 4: paper originals and boxes ---------------------------------------------------------------------
def _small_boxes(cfg: Path, pages: int) -> None:
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(re.sub(r"box_pages = \d+", f"box_pages = {pages}", text), encoding="utf-8")


def test_boxing_refused_before_close_for_an_unknown_year_and_for_unregistered_paper(year):
    r = cli(year, "arrange", "box", "--year", "2022", "--by", "张三", ok=False)
    assert r.returncode == 1 and "2022 年度尚未归档" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli(year, "arrange", "box", "--year", "1999", "--by", "张三", ok=False)
    assert r.returncode == 1 and "1999 年度没有已归档的记录" in r.stderr
    r = cli(year, "arrange", "box", "--year", "2023", "--by", "张三", ok=False)
    assert "44 件未登记是否有纸质原件" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli(year, "arrange", "box", "--year", "2023", "--by", "张三", "--checked-by", "张三", ok=False)
    assert "检查人不能是装盒人本人" in r.stderr
    r = cli(year, "arrange", "paper", "也许", "1", "--by", "张三", ok=False)
    assert r.returncode == 1 and "纸质原件只能是" in r.stderr
    assert rows(year, "SELECT count(*) n FROM filing_boxes")[0]["n"] == 0


def test_boxes_per_group_in_item_order_within_the_capacity(year):
    _small_boxes(year, 3)
    records = filed(year)
    no_paper = next(r for r in records if (r["retention"], r["item_no"]) == ("Y", 2))  # electronic only
    cli(year, "arrange", "paper", "无", no_paper["archival_code"], "--by", "张三")
    r = cli(year, "arrange", "paper", "有", "--year", "2023", "--by", "张三")
    assert "43 件登记" in r.stderr
    done = cli_json(year, "arrange", "box", "--year", "2023", "--by", "张三", "--checked-by", "李四")
    assert done["placed"] == 43 and done["no_paper"] == 1 and done["capacity"] == 3
    by_group: dict = {}
    for b in done["boxes"]:
        by_group.setdefault((b["retention"], b["org"]), []).append(b)
    assert set(by_group) == set(GROUPS)
    for key, boxes in by_group.items():
        assert [b["box_no"] for b in boxes] == list(range(1, len(boxes) + 1))  # 盒号 from 1 in each group
        items = [i for b in boxes for i in b["items"]]
        expected = [r["item_no"] for r in records if (r["retention"], r["org"]) == key and r["id"] != no_paper["id"]]
        assert items == expected  # 件号 order, each once, only that group
        assert all(b["pages"] <= 3 for b in boxes)  # every 件 has 1 page here: 3 a box
        assert all(len(b["items"]) == 3 for b in boxes[:-1])  # a box is filled before the next is opened
    assert no_paper["item_no"] not in by_group[("Y", "BGS")][0]["items"]
    # the 盒号 in the catalogue, on the record page, and the 备考表 says what is missing
    from openpyxl import load_workbook

    wb = load_workbook(year.parent / "store" / "filing" / "2023" / "归档文件目录-2023.xlsx")
    ws = wb["2023-永久-办公室"]
    head = [c.value for c in ws[2]]
    assert head[-2:] == ["盒号", "备注"]
    boxes_of = {r[1]: r[-2] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert boxes_of["Z109-WS·2023-Y-BGS-0004"] == 1 and boxes_of["Z109-WS·2023-Y-BGS-0005"] == 2
    assert boxes_of[no_paper["archival_code"]] in ("", None)
    beikao = [flat(p) for p in pdf_pages(year.parent / "store" / "filing" / "2023" / "备考表-2023.pdf")]
    assert len(beikao) == len(done["boxes"])
    assert any("件号0002无纸质原件" in p and "盒号：1" in p for p in beikao)
    assert all("整理人张三" in p and "检查人李四" in p for p in beikao)
    # a boxed record's paper cannot be said not to exist
    r = cli(year, "arrange", "paper", "无", records[0]["archival_code"], "--by", "张三", ok=False)
    assert "已装入第 1 盒" in r.stderr
    # nothing left to box: said so
    assert "没有待装盒的纸质原件" in cli(year, "arrange", "box", "--year", "2023", "--by", "张三", ok=False).stderr


def test_spine_and_cover_labels_in_a4_and_label_sizes(year):
    cli(year, "arrange", "paper", "有", "--year", "2023", "--by", "张三")
    cli(year, "arrange", "box", "--year", "2023", "--by", "张三")
    folder = year.parent / "store" / "filing" / "2023"
    import pypdfium2 as pdfium

    a4 = pdfium.PdfDocument(str(folder / "盒脊封面-A4-2023.pdf"))
    assert [round(x) for x in a4[0].get_size()] == [595, 842]
    spines = flat(a4[0].get_textpage().get_text_range())
    for ret_name, org_name in GROUPS.values():
        assert ret_name in spines and org_name in spines
    assert spines.count("盒号") == 4 and "0017" in spines  # 起止件号 of 永久-办公室: 0001 / 0017
    assert "示例县档案局" in flat(a4[1].get_textpage().get_text_range())
    label = pdfium.PdfDocument(str(folder / "盒脊封面-标签-2023.pdf"))
    assert len(label) == 8  # a spine and a cover label a box
    w, h = label[0].get_size()
    assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (30, 240)  # box_thickness 30 mm × 240 mm
    w, h = label[1].get_size()
    assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (120, 45)


def test_a_supplement_goes_into_the_last_box_or_a_new_one_never_renumbering(year, tmp_path):
    _small_boxes(year, 17)
    cli(year, "arrange", "paper", "有", "--year", "2023", "--by", "张三")
    first = cli_json(year, "arrange", "box", "--year", "2023", "--by", "张三")
    before = {r["id"]: (r["archival_code"], r["item_no"]) for r in filed(year)}
    boxed_before = {r["document_id"]: r["box_id"] for r in rows(year, "SELECT * FROM box_items")}
    # the two 待定 of 2023 are settled: 补充归档 of the closed year
    pending = rows(year, "SELECT id FROM documents WHERE status='pending'")
    for r in pending:
        cli(year, "confirm", str(r["id"]), "--retention", "10年", "--org", "BGS", "--year", "2023")
    cli(year, "arrange", "--year", "2023", "--by", "张三", "--paper", "有")
    cli(year, "arrange", "check", "--year", "2023", "--by", "李四")
    cli(year, "arrange", "close", "--year", "2023", "--received-by", "王五")
    second = cli_json(year, "arrange", "box", "--year", "2023", "--by", "张三")
    assert second["placed"] == 2
    after = {r["id"]: (r["archival_code"], r["item_no"]) for r in filed(year)}
    assert all(after[i] == v for i, v in before.items())  # no 件号 renumbered
    assert all(b == boxed_before[d] for d, b in ((r["document_id"], r["box_id"]) for r in rows(
        year, "SELECT * FROM box_items")) if d in boxed_before)  # nobody moved
    d10 = [b for b in second["boxes"] if (b["retention"], b["org"]) == ("D10", "BGS")]
    old_d10 = [b for b in first["boxes"] if (b["retention"], b["org"]) == ("D10", "BGS")]
    # D10-BGS had 10 件 of 1 page in one box of 17 pages: the two late ones fill that box
    assert len(old_d10) == len(d10) == 1 and d10[0]["items"] == list(range(1, 13))
    beikao = flat("".join(pdf_pages(year.parent / "store" / "filing" / "2023" / "备考表-2023.pdf")))
    assert "件号0011、0012为补充归档" in beikao
    # with a full last box, the next late one opens a new box
    _small_boxes(year, 12)
    late = tmp_path / "late"
    late.mkdir()
    doc = gen.Doc("L9", gen.US, "示档发〔2023〕99号", "示例县档案局关于第99周值班安排的通知", gen.d(12, 30),
                  "局机关各科室")
    cli(year, "ingest", str(doc.write(late)))
    new = rows(year, "SELECT * FROM documents ORDER BY id DESC LIMIT 1")[0]
    assert (new["year"], new["retention"], new["org"], new["filing_state"]) == (2023, "D10", "BGS", "collected")
    cli(year, "arrange", "--year", "2023", "--by", "张三", "--paper", "有")
    cli(year, "arrange", "check", "--year", "2023", "--by", "李四")
    cli(year, "arrange", "close", "--year", "2023", "--received-by", "王五")
    third = cli_json(year, "arrange", "box", "--year", "2023", "--by", "张三")
    d10 = [b for b in third["boxes"] if (b["retention"], b["org"]) == ("D10", "BGS")]
    assert [b["box_no"] for b in d10] == [1, 2] and d10[1]["items"] == [13]


def test_reopening_keeps_the_boxes(year):
    cli(year, "arrange", "paper", "有", "--year", "2023", "--by", "张三")
    cli(year, "arrange", "box", "--year", "2023", "--by", "张三")
    before = rows(year, "SELECT * FROM box_items ORDER BY document_id")
    cli(year, "user", "add", "赵六", "--role", "档案员", "--password-stdin", input="a-long-password-1\n")
    cli(year, "arrange", "reopen", "--year", "2023", "--reason", "漏收文件", "--by", "赵六")
    assert [tuple(r) for r in rows(year, "SELECT * FROM box_items ORDER BY document_id")] == [tuple(r) for r in before]
    r = cli(year, "arrange", "box", "--year", "2023", "--by", "张三", ok=False)
    assert "没有待装盒的纸质原件" in r.stderr  # its 件号 stay, so do its boxes: nothing to box again


def test_paper_is_registered_at_arrangement_and_in_the_event_log(tmp_path):
    folder = tmp_path / "b"
    cfg = at_filing_config(folder)
    gen.year_of_documents(folder / "docs", n_fillers=2)
    cli(cfg, "ingest", *map(str, gen.arrival_order(folder / "docs")))
    r = cli(cfg, "arrange", "--year", "2023", "--by", "张三", "--leave-pending", "--paper", "无")
    n = rows(cfg, "SELECT count(*) n FROM documents WHERE year=2023 AND filing_state='collected'")[0]["n"]
    assert f"纸质原件登记为“无”：{n} 件" in r.stderr
    assert rows(cfg, "SELECT count(*) n FROM paper_originals WHERE state='无'")[0]["n"] == n
    events = [json.loads(e["detail"]) for e in rows(cfg, "SELECT detail FROM events WHERE action='paper'")]
    assert len(events) == n and all(e["by"] == "张三" and e["was"] == "未登记" for e in events)


# ---- the web page ------------------------------------------------------------------------------------------
def test_web_page_registers_paper_boxes_and_downloads_the_outputs(year):
    from tests.test_filing import web_site

    with web_site(year) as login:
        dang, tok = login("dang")
        page = dang.get("/filing?year=2023").text
        assert "归档文件目录（含封面，PDF）" in page and "本年度还没有装盒" in page and "备考表（PDF）" not in page
        one = filed(year)[0]
        r = dang.post("/filing/paper", data={"csrf": tok, "doc_id": str(one["id"]), "paper": "无"},
                      follow_redirects=False)
        assert r.status_code == 303 and "<th>纸质原件</th><td>无</td>" in dang.get(f"/doc/{one['id']}").text
        assert dang.post("/filing", data={"csrf": tok, "year": "2023", "action": "box"},
                         follow_redirects=False).status_code == 409  # 43 未登记: refused
        assert dang.post("/filing", data={"csrf": tok, "year": "2023", "action": "paper_year", "paper": "有"},
                         follow_redirects=False).status_code == 303
        assert dang.post("/filing", data={"csrf": tok, "year": "2023", "action": "box", "checked_by": "李四"},
                         follow_redirects=False).status_code == 303
        second = filed(year)[1]
        record = dang.get(f"/doc/{second['id']}").text
        assert "<th>盒号</th><td>1</td>" in record and "<th>纸质原件</th><td>有</td>" in record
        assert "登记纸质原件" in record and "纸质原件 未登记 → 有" in record and "第 1 盒" in record
        page = dang.get("/filing?year=2023").text
        assert "备考表（PDF）" in page and "李四" in page
        for key in ("catalogue_pdf", "stamps", "summary_pdf", "beikao", "labels_a4", "labels_label"):
            r = dang.get(f"/filing/2023/out/{key}")
            assert r.status_code == 200 and r.content[:5] == b"%PDF-", key
        r = dang.get("/filing/2023/out/catalogue_xlsx")
        assert r.status_code == 200 and r.content[:2] == b"PK"
        assert dang.get("/filing/2023/out/..%2Fcatalog.sqlite").status_code in (400, 404)
        assert dang.get("/filing/2023/out/catalog").status_code == 404
        assert dang.get("/filing/2022/out/stamps").status_code in (404, 409)  # not filed: no 档号 yet
        wen, wtok = login("wen")
        assert wen.post("/filing", data={"csrf": wtok, "year": "2023", "action": "box"},
                        follow_redirects=False).status_code == 403  # a 文书 does not box


def test_careless_names_print_inside_their_cells(year, tmp_path):
    """A long 机构 name and a 全宗名称 with a direction override and Latin text: the outputs are made, the override
    is gone, the long name is all there (wrapped on the spine)."""
    text = year.read_text(encoding="utf-8")
    text = re.sub(r'^BGS = .*$', lambda m: 'BGS = "办公室（党组办公室、机关党委办公室、信访科）"', text, flags=re.M)
    text = re.sub(r'^name = .*$', lambda m: 'name = "示例县档案局\\u202e（地方志办公室）"', text, count=1, flags=re.M)
    year.write_text(text, encoding="utf-8")
    cli(year, "arrange", "paper", "有", "--year", "2023", "--by", "张三")
    cli(year, "arrange", "box", "--year", "2023", "--by", "张三")
    folder = year.parent / "store" / "filing" / "2023"
    cover = pdf_pages(folder / "归档文件目录-2023.pdf")[0]
    assert "\u202e" not in cover and "示例县档案局（地方志办公室）" in flat(cover)
    spines = flat(pdf_pages(folder / "盒脊封面-A4-2023.pdf")[0])
    assert spines.count("办公室（党组办公室、机关党委办公室、信访科）") == 3


def test_kill_9_mid_boxing_leaves_no_box(year):
    from tests.test_filing import _archive_process

    cli(year, "arrange", "paper", "有", "--year", "2023", "--by", "张三")
    p = _archive_process(year, "arrange", "box", "--year", "2023", "--by", "张三",
                         env={"ARCHIVE_FAULT_STAGE": "boxing"})
    p.communicate()
    assert p.returncode == -9
    assert rows(year, "SELECT count(*) n FROM filing_boxes")[0]["n"] == 0
    assert rows(year, "SELECT count(*) n FROM box_items")[0]["n"] == 0
    done = cli_json(year, "arrange", "box", "--year", "2023", "--by", "张三")
    assert done["placed"] == 44 and [b["box_no"] for b in done["boxes"]] == [1, 1, 1, 1]


def test_the_box_prints_read_the_years_boxes_once(year, tmp_path):
    """The 备考表 and the two label layouts share one read of the year's boxes (each read is one query for the
    boxes and one per box for its records), counted on the real catalog connection through SQLite's trace."""
    from archive.config import load_config
    from archive.export import year_outputs
    from archive.session import open_archive

    _small_boxes(year, 200)
    cli(year, "arrange", "paper", "有", "--year", "2023", "--by", "张三")
    n_boxes = len(cli_json(year, "arrange", "box", "--year", "2023", "--by", "张三")["boxes"])
    arc = open_archive(load_config(year))
    seen: list[str] = []
    try:
        arc.conn.set_trace_callback(seen.append)
        files = year_outputs.write_year(arc, 2023, tmp_path / "out")
    finally:
        arc.conn.set_trace_callback(None)
        arc.close()
    assert {f.name for f in files} >= {"备考表-2023.pdf", "盒脊封面-A4-2023.pdf", "盒脊封面-标签-2023.pdf"}
    box_lists = [q for q in seen if "FROM filing_boxes b LEFT JOIN box_items" in q]
    members = [q for q in seen if "FROM box_items i JOIN documents d" in q]
    # one read for the prints, one for the summary's 盒数 (was four and three more per box)
    assert (len(box_lists), len(members)) == (2, n_boxes), (len(box_lists), len(members))
