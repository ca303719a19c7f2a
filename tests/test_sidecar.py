"""The simple sidecar (issue 27, item 5): X.pdf with X.json beside it, the values an OA system declares."""

from __future__ import annotations

import json

import pytest

from archive import catalog, sidecar
from archive.models import GongwenFields
from archive.walk import walk
from makedocs import make_pdf
from tests.clirun import run_config

BODY = ["示例县人民政府办公室文件", "示政办发〔2026〕3号", "关于做好防汛工作的通知", "各乡镇人民政府：",
        "请做好防汛工作。", "示例县人民政府办公室", "2026年6月1日"]


def _side(path, obj):
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return path


def _ingest(cfg_path, *paths):
    return run_config(cfg_path, "ingest", *map(str, paths), "--json")


def _records(cfg_path):
    from archive.config import load_config
    from archive.session import open_archive

    arc = open_archive(load_config(cfg_path))
    try:
        return [dict(r) for r in catalog.all_records(arc.conn)]
    finally:
        arc.close()


def test_declared_values_are_preferred_and_the_disagreement_is_said(cfg_path, tmp_path):
    folder = tmp_path / "oa"
    folder.mkdir()
    make_pdf(folder / "X.pdf", BODY)
    _side(folder / "X.json", {"题名": "关于做好2026年防汛抗旱工作的通知", "文号": "示政办发〔2026〕3号",
                             "发文机关": "示例县人民政府办公室", "成文日期": "2026-06-02", "密级": "非密",
                             "阅件办件": "办件"})
    assert walk(folder) == [folder / "X.pdf"]  # the sidecar is read with its file, not taken in on its own
    r = _ingest(cfg_path, folder)
    assert r.returncode in (0, 1), r.stderr
    rows = _records(cfg_path)
    assert len(rows) == 1
    row = rows[0]
    assert row["title"] == "关于做好2026年防汛抗旱工作的通知" and row["date"] == "2026-06-02"
    warns = json.loads(row["warnings"] or "[]")
    assert any("声明的题名" in w for w in warns)
    assert row["receipt_kind"] == "办件"  # the 收文 registration the classification reads (issue 26)


def test_a_declared_secret_is_refused_and_a_declared_non_secret_weakens_nothing(cfg_path, tmp_path):
    folder = tmp_path / "oa"
    folder.mkdir()
    make_pdf(folder / "A.pdf", BODY)
    _side(folder / "A.json", {"密级": "秘密★1年"})
    r = _ingest(cfg_path, folder / "A.pdf")
    assert [x["outcome"] for x in json.loads(r.stdout)] == ["refused"], r.stderr
    assert _records(cfg_path) == []  # 涉密 by declaration: not stored
    # a file whose header reads 机密: the sidecar's 非密 does not clear it
    f = GongwenFields(secrecy="机密")
    sidecar.apply(sidecar.Declared(secrecy=None), f)
    assert f.secrecy == "机密"
    f = GongwenFields(secrecy="秘密")
    sidecar.apply(sidecar.Declared(secrecy="绝密"), f)
    assert f.secrecy == "绝密"


@pytest.mark.parametrize("content", [
    b"\xff\xfe not utf-8",
    b"[1, 2]",
    "{\"题名\": \"x\", \"来源\": \"y\"}".encode(),
    "{\"成文日期\": \"明天\"}".encode(),
    "{\"密级\": \"内部\"}".encode(),
    "{\"题名\": \"a\\u202eb\"}".encode(),
    b"{" * 100000,
])
def test_a_hostile_sidecar_fails_the_file_and_declares_nothing(tmp_path, content):
    side = tmp_path / "X.json"
    side.write_bytes(content)
    (tmp_path / "X.pdf").write_bytes(b"%PDF-1.4")
    f = GongwenFields(title="原题名")
    problem = sidecar.declare(tmp_path / "X.pdf", f)
    assert problem and "旁注文件" in problem
    assert f.title == "原题名"


def test_the_sidecar_leaves_the_inbox_with_its_file(cfg_path, cfg):
    from archive.config import load_config

    cfg.inbox.mkdir(parents=True, exist_ok=True)
    make_pdf(cfg.inbox / "Y.pdf", BODY)
    _side(cfg.inbox / "Y.json", {"题名": "关于做好防汛工作的通知", "阅件办件": "阅件"})
    r = run_config(cfg_path, "watch", "--once")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in cfg.inbox.rglob("*") if p.is_file()) == []
    moved = sorted(p.name for p in load_config(cfg_path).processed_dir.rglob("*") if p.is_file())
    assert moved == ["Y.json", "Y.pdf"]
    assert len(_records(cfg_path)) == 1  # the sidecar is no record of its own
