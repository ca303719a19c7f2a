"""Classification by the example config's 归档范围和保管期限表 (fields built by hand: this tests the table)."""

import datetime as dt

import pytest

from archive.classify import addressed_to_us, classify, relation_of
from archive.models import DocNumber, GongwenFields


def fields(**kw) -> GongwenFields:
    base = dict(title="关于加强档案安全工作的通知", doc_type="通知", date=dt.date(2022, 8, 28))
    base.update(kw)
    if "issuer" in base and "issuers" not in base and base["issuer"]:
        base["issuers"] = base["issuer"].split("、")
    return GongwenFields(**base)


OWN_NO = DocNumber("示档发〔2022〕3号", "示档发", 2022, 3)


@pytest.mark.parametrize("f,text,expect", [
    # 本机关
    (fields(issuer="示例县档案局", doc_number=OWN_NO, title="示例县档案局关于印发档案管理办法的决定", doc_type="决定"),
     "", ("archived", "Y", "BGS", "R10")),
    (fields(issuer="示例县档案局", title="示例县档案局关于张三同志任免的通知"), "", ("archived", "Y", "BGS", "R11")),
    (fields(issuer="示例县档案局", title="示例县档案局2022年度工作总结", doc_type="总结"), "", ("archived", "Y", "BGS", "R13")),
    (fields(issuer="示例县档案局", title="关于申请档案馆馆舍建设经费的请示", doc_type="请示"), "", ("archived", "Y", "BGS", "R14")),
    (fields(issuer="示例县档案局", title="关于上半年工作情况的报告", doc_type="报告"), "", ("archived", "D30", "BGS", "R15")),
    (fields(issuer="示例县档案局", title="关于2023年元旦放假安排的通知"), "", ("archived", "D10", "BGS", "R16")),
    (fields(issuer="示例县档案局", title="关于开展档案业务检查的通知"), "", ("archived", "D30", "YWK", "R17")),
    (fields(issuer="示例县档案局", title="关于同意某事项的复函", doc_type="函"), "", ("archived", "D30", "BGS", "R18")),
    # our number alone makes it ours, even when the issuer line was not read
    (fields(issuer=None, doc_number=OWN_NO, title="关于同意某事项的复函", doc_type="函"), "", ("archived", "D30", "BGS", "R18")),
    # 上级
    (fields(issuer="示例县人民政府", recipients="各乡镇人民政府，县直各部门"), "做好档案工作", ("archived", "D30", "YWK", "R23")),
    (fields(issuer="示例县人民政府", recipients="各乡镇人民政府"), "做好档案工作", ("excluded", None, None, "R20")),
    (fields(issuer="河北省人民政府", recipients="县档案局", title="关于同意设立档案馆的批复", doc_type="批复"), "", ("archived", "Y", "BGS", "R21")),
    (fields(issuer="示例市档案局", recipients="示例县档案局", title="关于印发档案工作规定的意见", doc_type="意见"), "", ("archived", "Y", "YWK", "R22")),
    (fields(issuer="示例县人民政府办公室", recipients="县直各单位", title="关于做好防汛工作的通知"), "防汛", ("archived", "D10", "BGS", "R24")),
    # 同级
    (fields(issuer="示例县财政局", recipients="示例县档案局", doc_type="函", title="关于商请提供档案的函"), "提供档案", ("archived", "D30", "YWK", "R31")),
    (fields(issuer="示例县财政局", recipients="示例县档案局", doc_type="函", title="关于报送预算的函"), "预算", ("archived", "D10", "BGS", "R32")),
    (fields(issuer="示例县财政局", recipients="示例县教育局", doc_type="函"), "", ("excluded", None, None, "R30")),
    # 下级
    (fields(issuer="示例县档案馆", title="档案馆工作简报", doc_type=None), "", ("excluded", None, None, "R40")),
    (fields(issuer="示例县档案馆", title="关于2022年工作的报告", doc_type="报告"), "", ("archived", "D30", "YWK", "R41")),
    # drafts are never archived, whoever wrote them
    (fields(issuer="示例县档案局", title="示例县档案局档案管理办法（征求意见稿）", doc_type="办法"), "", ("excluded", None, None, "R01")),
])
def test_example_table(cfg, f, text, expect):
    c = classify(f, text, 3, cfg)
    assert (c.status, c.retention, c.org, c.rule_id) == expect, c
    if c.rule_id:
        assert c.basis and "8号令" in c.basis


def test_no_rule_means_pending_with_a_reason(cfg):
    c = classify(fields(issuer="某某科技有限公司"), "", 1, cfg)
    assert c.status == "pending" and c.relation == "其他" and "没有规则" in c.reason
    c = classify(fields(issuer=None, issuers=[]), "", 1, cfg)
    assert c.status == "pending" and "未识别发文机关" in c.reason


def test_archived_needs_date_and_title(cfg):
    c = classify(fields(issuer="示例县档案局", date=None, title="示例县档案局关于印发办法的决定", doc_type="决定"), "", 1, cfg)
    assert c.status == "pending" and c.rule_id == "R10" and "成文日期" in c.reason
    # an excluded document needs neither
    c = classify(fields(issuer="示例县人民政府", recipients="各乡镇", date=None), "", 1, cfg)
    assert c.status == "excluded"


def test_relation_and_recipients(cfg):
    assert relation_of(fields(issuer="示例县档案局、示例县财政局", issuers=["示例县档案局", "示例县财政局"]), cfg) == "本机关"
    assert relation_of(fields(issuer="示例县财政局、示例县人民政府", issuers=["示例县财政局", "示例县人民政府"]), cfg) == "上级"
    assert relation_of(fields(issuer="国务院办公厅"), cfg) == "上级"
    assert relation_of(fields(issuer="中共示例县委员会"), cfg) == "上级"
    assert relation_of(fields(issuer="示 例 县 档 案 局"), cfg) == "本机关"
    assert addressed_to_us(fields(recipients="各乡镇人民政府，县直各单位"), cfg)
    assert addressed_to_us(fields(recipients="县档案局"), cfg)
    assert not addressed_to_us(fields(recipients="各乡镇人民政府"), cfg)
    assert not addressed_to_us(fields(recipients=None), cfg)


def test_rule_conditions_all_must_hold(tmp_path):
    from archive.config import load_config
    from tests.conftest import write_config

    text = (tmp_path / "x").parent  # noqa: F841 (keep tmp_path used)
    cfg = load_config(write_config(tmp_path, text="""
[agency]
name = "甲局"
fonds = "A1"
[paths]
[[rules]]
id = "P"
basis = "页数与文号"
when = { pages_min = 5, has_docno = true, issuer_any = ["乙"], docno_code = ["乙发"], text_any = ["关键"] }
then = { scope = "归档", retention = "10年" }
"""))
    dn = DocNumber("乙发〔2020〕1号", "乙发", 2020, 1)
    ok = fields(issuer="乙局", doc_number=dn)
    assert classify(ok, "关键内容", 5, cfg).status == "archived"
    assert classify(ok, "关键内容", 5, cfg).org is None  # no [orgs]: no 机构 segment
    assert classify(ok, "关键内容", 4, cfg).status == "pending"
    assert classify(ok, "内容", 5, cfg).status == "pending"
    assert classify(fields(issuer="乙局"), "关键内容", 5, cfg).status == "pending"
    assert classify(fields(issuer="丙局", doc_number=dn), "关键内容", 5, cfg).status == "pending"
