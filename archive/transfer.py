"""移交 to the 档案馆: what is due (``plan``), the 开放审核 of each record (``review``: 开放 / 控制 with a reason /
延期开放, 密级变更情况, 政府信息公开情况, who decided), the package (``export``: the BagIt 移交包 of
archive/export/package.py, laid out as the 电子档案移交与接收办法's 存储结构 asks, with the 移交清单 and the
开放审核 lists as PDF and XLSX), and the 档案馆's receipt (``confirm``), after which the records are 已移交:
still readable here, while edit, reclassify and destruction are refused (``refuse_transferred``, the one guard
those services call). docs/retention.md, "利用和移交", says what we followed and what we could not find."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from archive import archival_code, bounds, catalog, display, retention
from archive.catalog import exports
from archive.catalog import transfers as gateway
from archive.errors import PackageError, TransferError
from archive.export import catalogue
from archive.export.catalogue import Sheet, date8
from archive.session import Archive
from archive.store import sha256_file

OPENNESS = ("开放", "控制", "延期开放")
DISCLOSURE = ("主动公开", "依申请公开", "不予公开")
NO_SECRECY = "无（非涉密）"  # 密级变更情况 of a record that never had a 密级
CATEGORY = "文书"  # the 类别 level of the 电子档案 folder (this program keeps 文书档案)
MAX_RECEIPT = 200 * 1024 * 1024


# ---- the guard edit, reclassify and destruction call ---------------------------------------------------
def refuse_transferred(conn, ids: list[int], error: type[Exception] = TransferError, what: str = "更改") -> None:
    """Raise ``error`` when any of the records ``ids`` is 已移交 (its transfer confirmed by a receipt)."""
    done = gateway.transferred(conn, list(ids))
    if done:
        rows = catalog.records(conn, sorted(done))
        names = "、".join(r["archival_code"] or f"记录 {r['id']}" for r in rows[:5])
        first = done[rows[0]["id"]]
        raise error(f"{names} 已于 {display.local_time(first['confirmed_at'])[:10]} 移交档案馆（第 {first['transfer']} 次移交）："
                    f"不再{what}，本库的副本只供查阅")


# ---- what is due ---------------------------------------------------------------------------------------
def due_from(year: int, cfg) -> dt.date:
    """The day a 年度's records are due: [transfer] years full years after that 年度 (default 10: 2015 → 2026)."""
    return dt.date(year + 1 + cfg.transfer.years, 1, 1)


@dataclass
class Planned:
    row: object
    review: dict | None
    transferred: dict | None
    open_transfer: int | None

    @property
    def state(self) -> str:
        if self.transferred:
            return "已移交"
        if self.open_transfer:
            return f"已导出（第 {self.open_transfer} 次移交，待接收）"
        return "已审核" if self.review else "待开放审核"


def plan(arc: Archive, year: int) -> list[Planned]:
    """The archived records of ``year`` in the retention classes [transfer] names, in 档号 order."""
    conn = arc.conn
    rows = [r for r in exports.archived_records(conn)  # the 年度 of the 档号, as the package picks it
            if (c := archival_code.parse(r["archival_code"])) and c.year == year
            and r["retention"] in arc.cfg.transfer.retentions]
    ids = [r["id"] for r in rows]
    revs, done, open_ = gateway.reviews(conn, ids), gateway.transferred(conn, ids), gateway.in_open_transfer(conn, ids)
    return [Planned(r, revs.get(r["id"]), done.get(r["id"]), open_.get(r["id"])) for r in rows]


def is_due(arc: Archive, year: int) -> bool:
    return dt.datetime.now(arc.cfg.tz).date() >= due_from(year, arc.cfg)


# ---- 开放审核 ---------------------------------------------------------------------------------------------
def review(arc: Archive, rows: list, *, openness: str, disclosure: str, reason: str | None = None,
           secrecy_change: str | None = None, note: str | None = None, by: str | None = None) -> list[dict]:
    """Record the 开放审核 of the records ``rows`` (all or none)."""
    openness, disclosure = (openness or "").strip(), (disclosure or "").strip()
    if openness not in OPENNESS:
        raise TransferError(f"开放审核意见 “{openness}” 无效：应为 {'、'.join(OPENNESS)}")
    if disclosure not in DISCLOSURE:
        raise TransferError(f"政府信息公开情况 “{disclosure}” 无效：应为 {'、'.join(DISCLOSURE)}")
    reason = bounds.clean_text(reason or "").strip() or None
    reasons = arc.cfg.transfer.control_reasons
    if openness == "控制" and reason not in reasons:
        raise TransferError(f"控制使用须从下列理由中选一（--reason）：{'、'.join(reasons)}"
                            "（可在 config.toml [transfer] control_reasons 中配置）")
    if openness == "延期开放" and not reason:
        raise TransferError("延期开放须写明理由（--reason）")
    if openness == "开放" and reason:
        raise TransferError("开放的档案无需控制理由：请去掉 --reason")
    secrecy_change = bounds.clean_text(secrecy_change or "").strip() or None
    note = bounds.clean_text(note or "").strip() or None
    if not rows:
        raise TransferError("没有给出要审核的档案")
    who, ts = by or catalog.actor(), catalog.now()
    done = []
    with arc.change(who, "开放审核") as tx:
        refuse_transferred(tx.conn, [r["id"] for r in rows], what="改动开放审核")
        for r in rows:
            cur = tx.record(r["id"])
            ref = r["archival_code"] or f"记录 {r['id']}"
            if cur is None or cur["status"] != "archived":
                raise TransferError(f"{ref} 不是已归档的档案：不做开放审核（未记录任何审核）")
            change = secrecy_change
            if change is None:
                if cur["secrecy"]:
                    raise TransferError(f"{ref} 标有密级 “{cur['secrecy']}”：须写明密级变更情况（--secrecy-change）")
                change = NO_SECRECY
            values = {"openness": openness, "control_reason": reason, "secrecy_change": change,
                      "disclosure": disclosure, "decided_by": who, "decided_at": ts, "note": note}
            gateway.set_review(tx.conn, cur["id"], values)
            catalog.append_event(tx.conn, "transfer-review", cur["id"], values)
            done.append({"id": cur["id"], "archival_code": cur["archival_code"], **values})
    return done


# ---- the package -----------------------------------------------------------------------------------------
LIST_COLUMNS = ("序号", "档号", "文号", "责任者", "题名", "日期", "保管期限", "密级", "页数", "电子档案名称")
LIST_WIDTHS = (5, 34, 16, 16, 36, 13, 8, 6, 6, 38)
REVIEW_COLUMNS = ("序号", "档号", "题名", "日期", "开放审核意见", "控制理由", "密级变更情况", "政府信息公开情况",
                  "审核人", "审核时间")
REVIEW_WIDTHS = (5, 34, 36, 13, 10, 18, 14, 12, 10, 18)
CATALOG_FIELDS = ("顺序号", "档号", "责任者", "题名", "日期", "密级", "电子档案名称", "备注")


def list_sheets(arc: Archive, year: int, items: list[Planned], names: dict[int, str]) -> list[Sheet]:
    rows = [[i + 1, p.row["archival_code"], p.row["doc_number"] or p.row["doc_number_raw"] or "",
             p.row["issuer"] or "", p.row["title"] or "", date8(p.row["date"]), retention.name(p.row["retention"]),
             p.row["secrecy"] or "", p.row["pages"] if p.row["pages"] is not None else "", names.get(p.row["id"], "")]
            for i, p in enumerate(items)]
    return [Sheet("移交清单", "档案移交清单", f"{arc.cfg.agency_name}　全宗号 {arc.cfg.fonds}　{year} 年度　共 {len(rows)} 件",
                  LIST_COLUMNS, rows, LIST_WIDTHS,
                  footer="移交单位（盖章）：　　　　经办人：　　　　　接收单位（盖章）：　　　　经办人：\n"
                         "移交日期：　　　　年　　月　　日")]


def review_sheets(arc: Archive, year: int, items: list[Planned]) -> list[Sheet]:
    """One list per opinion (开放, 控制, 延期开放): the 到期开放意见 the 档案馆 receives."""
    out = []
    for opinion in OPENNESS:
        chosen = [p for p in items if p.review and p.review["openness"] == opinion]
        rows = [[i + 1, p.row["archival_code"], p.row["title"] or "", date8(p.row["date"]), opinion,
                 p.review["control_reason"] or "", p.review["secrecy_change"], p.review["disclosure"],
                 p.review["decided_by"], display.local_time(p.review["decided_at"], arc.cfg.tz)]
                for i, p in enumerate(chosen)]
        out.append(Sheet(f"{opinion}档案", f"档案开放审核表（{opinion}）",
                         f"{arc.cfg.agency_name}　全宗号 {arc.cfg.fonds}　{year} 年度　{opinion} {len(rows)} 件",
                         REVIEW_COLUMNS, rows, REVIEW_WIDTHS, footer="审核人签字：　　　　　　审核日期："))
    return out


def handover_sheet(arc: Archive, year: int, n: int, size: int) -> list[Sheet]:
    """The 电子档案移交与接收登记表 (the items of the form we found), filled where the program knows them."""
    rows = [["交接工作名称", f"{arc.cfg.agency_name}（全宗号 {arc.cfg.fonds}）{year} 年度文书档案移交"],
            ["内容描述", "文书档案，电子文件及其元数据（JSON、XML），在线/离线移交包（BagIt，SHA-256 校验）"],
            ["移交电子档案数量", f"{n} 件"], ["移交数据量", f"{size / 1e9:.3f} GB"],
            ["载体起止顺序号", "见 文件目录.xml 顺序号"], ["移交载体类型、规格", "（由移交单位填写）"],
            ["准确性检验", ""], ["完整性检验", ""], ["可用性检验", ""], ["安全性检验", ""], ["载体外观检验", ""],
            ["数字摘要", "SHA-256，见 manifest-sha256.txt 与 tagmanifest-sha256.txt"]]
    return [Sheet("移交与接收登记表", "电子档案移交与接收登记表", arc.cfg.agency_name, ("项目", "内容"), rows, (24, 80),
                  footer="移交单位 填表人（签名）：　　　审核人（签名）：　　　单位（印章）：\n"
                         "接收单位 填表人（签名）：　　　审核人（签名）：　　　单位（印章）：")]


def catalog_xml(items: list[Planned], names: dict[int, str]) -> bytes:
    """文件目录.XML: one <文件> per record with the eight items the 存储结构 names, in its order."""
    root = ET.Element("文件目录")
    for i, p in enumerate(items):
        f = ET.SubElement(root, "文件")
        values = (str(i + 1), p.row["archival_code"], p.row["issuer"] or "", p.row["title"] or "",
                  date8(p.row["date"]), p.row["secrecy"] or "", names.get(p.row["id"], ""), p.row["note"] or "")
        for tag, v in zip(CATALOG_FIELDS, values):
            ET.SubElement(f, tag).text = bounds.clean_text(v)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def explanation(arc: Archive, year: int, n: int) -> str:
    """说明文件.TXT: what the package is, who made it, what reads it."""
    now = display.local_time(catalog.now(), arc.cfg.tz)
    return "\n".join([
        "说明文件",
        f"载体（移交包）编号：{arc.cfg.fonds}-WS-{year}-移交",
        f"保管单位（移交单位）：{arc.cfg.agency_name}（全宗号 {arc.cfg.fonds}）",
        f"制作单位：{arc.cfg.agency_name}",
        "载体检查单位：（由接收档案馆填写）",
        f"内容：{year} 年度文书档案 {n} 件及其元数据、文件目录、移交清单、开放审核表",
        f"制作时间：{now}",
        "载体类型：BagIt 移交包（文件夹，可刻录光盘或在线传输），校验算法 SHA-256",
        "存储结构：说明文件.txt；文件目录.xml；电子档案/年度/类别/（以档号命名的电子文件）；其他/（移交清单、"
        "开放审核表、移交与接收登记表、开放审核.json、元数据规范说明）；records/（每件一份 JSON 与 XML 元数据）；"
        "text/（全文）",
        "读取所需软硬件环境：能阅读 PDF、OFD、DOCX 与 UTF-8 文本、XML 的通用计算机；"
        "电子表格软件（XLSX）；BagIt 校验工具（可选）",
        "", ])


def export(arc: Archive, year: int, out: Path, progress=None) -> dict:
    """Write the 移交包 of ``year`` at ``out`` and record the transfer (not yet 已移交: that is ``confirm``)."""
    from archive.export.package import export_package

    year = bounds.check_year(year)
    if not is_due(arc, year):
        raise TransferError(f"{year} 年度的档案 {due_from(year, arc.cfg).isoformat()} 起才到移交期限"
                            f"（[transfer] years = {arc.cfg.transfer.years}）")
    items = [p for p in plan(arc, year) if not p.transferred and not p.open_transfer]
    if not items:
        raise TransferError(f"{year} 年度没有待移交的档案（已移交或已导出的不再导出）")
    missing = [p for p in items if not p.review]
    if missing:
        codes = "、".join(p.row["archival_code"] for p in missing[:5])
        raise TransferError(f"{len(missing)} 件尚未开放审核（{codes}{'等' if len(missing) > 5 else ''}）：请先用 "
                            f"archive transfer review 审核，未生成移交包")
    files_dir = f"电子档案/{year}/{CATEGORY}"
    names: dict[int, str] = {}

    def write_lists(stage: Path, rows) -> None:
        by_id = {p.row["id"]: p for p in items}
        for rec in sorted((stage / "records").glob("*.json")):
            r = json.loads(rec.read_text(encoding="utf-8"))
            if r.get("file") and r.get("id") in by_id:
                names[r["id"]] = r["file"]
        (stage / "说明文件.txt").write_text(explanation(arc, year, len(items)), encoding="utf-8")
        (stage / "文件目录.xml").write_bytes(catalog_xml(items, names))
        other = stage / "其他"
        other.mkdir()
        for ext in ("xlsx", "pdf"):
            catalogue.write(list_sheets(arc, year, items, names), other / f"移交清单.{ext}")
            catalogue.write(review_sheets(arc, year, items), other / f"开放审核表.{ext}")
        size = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file())
        for ext in ("xlsx", "pdf"):
            catalogue.write(handover_sheet(arc, year, len(items), size), other / f"电子档案移交与接收登记表.{ext}")
        reviews = {p.row["archival_code"]: {k: p.review[k] for k in (
            "openness", "control_reason", "secrecy_change", "disclosure", "decided_by", "decided_at", "note")}
            for p in items}
        (other / "开放审核.json").write_text(json.dumps(reviews, ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")
        (other / "元数据规范说明.txt").write_text(
            "records/ 中每件一份 JSON（符合 record.schema.json）与 XML（命名空间 urn:wenshu-archive:record:1）；"
            "开放审核.json 以档号为键，记开放审核意见、控制理由、密级变更情况、政府信息公开情况、审核人与审核时间。\n",
            encoding="utf-8")

    ids = {p.row["id"] for p in items}
    summary = export_package(arc, year, out, progress, only=ids, files_dir=files_dir, extra=write_lists,
                             info={"Transfer-Records": str(len(items))})
    import bagit

    oxum = bagit.Bag(str(out)).info.get("Payload-Oxum")
    who = catalog.actor()
    with arc.change(who, "移交导出") as tx:
        tid = gateway.add_transfer(tx.conn, {"year": year, "path": str(Path(out).resolve()), "records": len(ids),
                                             "payload_oxum": oxum, "exported_at": catalog.now(), "exported_by": who},
                                   sorted(ids))
        catalog.append_event(tx.conn, "transfer-export", None, {"transfer": tid, "year": year, "records": len(ids),
                                                                "path": str(Path(out).resolve()), "oxum": oxum})
    return {"transfer": tid, "year": year, "records": summary.records, "files": summary.files,
            "bytes": summary.bytes, "path": str(out)}


# ---- the receipt ------------------------------------------------------------------------------------------
def confirm(arc: Archive, receipt: Path, transfer_id: int | None = None) -> dict:
    """The 档案馆's receipt for an exported transfer: its records become 已移交. The receipt is not stored;
    its name and SHA-256 are recorded (the paper or scanned 登记表 is kept by the agency)."""
    receipt = Path(receipt)
    if receipt.is_symlink() or not receipt.is_file():
        raise TransferError(f"回执 {receipt} 不存在或不是普通文件（符号链接不被跟随）")
    size = receipt.stat().st_size
    if size == 0 or size > MAX_RECEIPT:
        raise TransferError(f"回执 {receipt} 为空或过大（{size} 字节）：请给出档案馆签收的移交与接收登记表")
    digest = sha256_file(receipt)
    conn = arc.conn
    open_ = [t for t in gateway.transfers(conn) if not t["confirmed_at"]]
    if transfer_id is None:
        if not open_:
            raise TransferError("没有待接收的移交（先用 archive transfer export 生成移交包）")
        if len(open_) > 1:
            raise TransferError("有多次移交待接收（" + "、".join(f"第 {t['id']} 次（{t['year']} 年度）" for t in open_)
                                + "）：请用 --transfer 编号 指定")
        transfer_id = open_[0]["id"]
    who = catalog.actor()
    with arc.change(who, "移交接收确认") as tx:
        t = gateway.transfer(tx.conn, transfer_id)
        if t is None:
            raise TransferError(f"没有第 {transfer_id} 次移交（archive transfer list 可查看）")
        if t["confirmed_at"]:
            raise TransferError(f"第 {transfer_id} 次移交已于 {t['confirmed_at'][:10]} 确认接收")
        ts = catalog.now()
        gateway.confirm(tx.conn, transfer_id, at=ts, by=who, receipt_name=receipt.name, receipt_sha256=digest)
        ids = gateway.items(tx.conn, transfer_id)
        for doc_id in ids:
            catalog.append_event(tx.conn, "transfer", doc_id, {"transfer": transfer_id, "receipt": receipt.name,
                                                               "receipt_sha256": digest})
    return {"transfer": transfer_id, "records": len(ids), "receipt": receipt.name, "receipt_sha256": digest}


def transfers(arc: Archive) -> list[dict]:
    return gateway.transfers(arc.conn)


def state_of(conn, doc_id: int) -> str | None:
    """已移交 (when, which transfer) for a record page, or None."""
    t = gateway.transferred(conn, [doc_id]).get(doc_id)
    return f"已移交档案馆（第 {t['transfer']} 次移交，{t['confirmed_at'][:10]}）" if t else None


# ---- a package imported into another archive (archive import package) ------------------------------------
REVIEW_KEYS = ("openness", "control_reason", "secrecy_change", "disclosure", "decided_by", "decided_at", "note")
MAX_REVIEWS_FILE = 50 * 1024 * 1024


def read_reviews(path: Path) -> dict[str, dict]:
    """The 开放审核 a 移交包 carries (其他/开放审核.json): 档号 -> its values, every one checked before anything is
    imported (a package with a bad one is refused whole, like any other problem of the package)."""
    path = Path(path)
    where = f"移交包的开放审核文件 {path.name}"
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_REVIEWS_FILE:
        raise PackageError(f"{where} 是符号链接、不是普通文件或过大，未导入任何记录")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise PackageError(f"{where} 不是有效的 JSON（{e}），未导入任何记录") from None
    if not isinstance(data, dict):
        raise PackageError(f"{where} 应为以档号为键的对象，未导入任何记录")
    out = {}
    for code, rv in data.items():
        if not isinstance(rv, dict):
            raise PackageError(f"{where}：{code} 的开放审核不是对象，未导入任何记录")
        values = {k: (bounds.clean_text(str(rv[k]))[:200] if rv.get(k) is not None else None) for k in REVIEW_KEYS}
        if values["openness"] not in OPENNESS or values["disclosure"] not in DISCLOSURE \
                or not values["decided_by"] or not values["decided_at"] or not values["secrecy_change"]:
            raise PackageError(f"{where}：{code} 的开放审核不完整或取值无效，未导入任何记录")
        out[str(code)] = values
    return out


def import_reviews(arc: Archive, reviews: dict[str, dict], imported: list[dict], source: str) -> int:
    """Keep the package's 开放审核 with the records just imported, as the transferring unit decided them."""
    by_code = {r["archival_code"]: r["id"] for r in imported if r.get("archival_code")}
    n = 0
    with arc.change(catalog.actor(), "导入开放审核") as tx:
        for code, values in reviews.items():
            if code in by_code:
                gateway.set_review(tx.conn, by_code[code], values)
                catalog.append_event(tx.conn, "transfer-review", by_code[code], {**values, "imported": source})
                n += 1
    return n


def reviews_of(arc: Archive, ids: list[int]) -> dict[int, dict]:
    return gateway.reviews(arc.conn, ids)
