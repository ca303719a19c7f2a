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


OWN = dict(issuer="示例县档案局")
GOV = dict(issuer="示例县人民政府", recipients="县直各单位")
PEER = dict(issuer="示例县财政局", recipients="示例县档案局")
SUB = dict(issuer="示例县档案馆", recipients="示例县档案局")

# Every rule of the example table has a must and a must-not case in tests/test_classify_rules.py.


@pytest.mark.parametrize("rule_id,article", [
    ("R01", "第四条"), ("R02", "第四条"), ("R20", "第四条"), ("R30", "第四条"), ("R40", "第四条"), ("R43", "第四条"),
    ("R10", "第七条"), ("R11", "第七条"), ("R12", "第七条"), ("R14", "第七条"), ("R15", "第七条"), ("R21", "第七条"),
    ("R23", "第七条"), ("R31", "第七条"), ("R41", "第七条"),
])
def test_basis_cites_the_article_that_says_it(cfg, rule_id, article):
    rule = next(r for r in cfg.rules if r.id == rule_id)
    assert rule.basis.startswith("8号令") and article in rule.basis


def test_basis_of_every_rule_follows_the_text(cfg):
    for r in cfg.rules:
        # 第九条 and 第十条 say nothing about what is kept how long; 第八条 does not split 30/10 alone
        assert "第九条" not in r.basis and "第十条" not in r.basis, r
        if r.scope == "不归档":
            assert "第四条" in r.basis, r
        elif r.retention == "Y":
            assert "第七条" in r.basis, r
        else:
            assert "第八条" in r.basis and "保管期限表" in r.basis, r  # the 30/10 split is the annex's


@pytest.mark.parametrize("title", ["示例县档案局上半年工作总结", "示例县档案局第三季度工作计划", "示例县档案局3月工作要点"])
def test_work_plans_below_a_year_are_ten_years(cfg, title):
    c = classify(fields(**OWN, title=title), "", 2, cfg)
    assert (c.status, c.retention, c.rule_id) == ("archived", "D10", "R13"), c


@pytest.mark.parametrize("f,text,expect", [
    # 本机关
    (fields(issuer="示例县档案局", doc_number=OWN_NO, title="示例县档案局关于印发档案管理办法的决定", doc_type="决定"),
     "", ("archived", "Y", "BGS", "R10")),
    (fields(issuer="示例县档案局", title="示例县档案局关于张三同志任免的通知"), "", ("archived", "Y", "BGS", "R11")),
    (fields(issuer="示例县档案局", title="示例县档案局2022年度工作总结", doc_type="总结"), "", ("archived", "Y", "BGS", "R14")),
    (fields(issuer="示例县档案局", title="关于申请档案馆馆舍建设经费的请示", doc_type="请示"), "", ("archived", "Y", "BGS", "R15")),
    (fields(issuer="示例县档案局", title="关于上半年工作情况的报告", doc_type="报告"), "", ("archived", "D30", "BGS", "R16")),
    (fields(issuer="示例县档案局", title="关于2023年元旦放假安排的通知"), "", ("archived", "D10", "BGS", "R17")),
    (fields(issuer="示例县档案局", title="关于开展档案业务检查的通知"), "", ("archived", "D30", "YWK", "R18")),
    (fields(issuer="示例县档案局", title="关于同意某事项的复函", doc_type="函"), "", ("archived", "D30", "BGS", "R19")),
    # our number alone makes it ours, even when the issuer line was not read
    (fields(issuer=None, doc_number=OWN_NO, title="关于同意某事项的复函", doc_type="函"), "", ("archived", "D30", "BGS", "R19")),
    # 上级
    (fields(issuer="示例县人民政府", recipients="各乡镇人民政府，县直各部门"), "做好档案工作", ("archived", "D30", "YWK", "R24")),
    (fields(issuer="示例县人民政府", recipients="各乡镇人民政府", receipt_kind="阅件"), "做好防汛工作",
     ("excluded", None, None, "R20")),
    (fields(issuer="河北省人民政府", recipients="县档案局", title="关于同意设立档案馆的批复", doc_type="批复"), "", ("archived", "Y", "BGS", "R21")),
    (fields(issuer="示例市档案局", recipients="示例县档案局", title="关于印发档案工作规定的意见", doc_type="意见"), "", ("archived", "Y", "YWK", "R23")),
    (fields(issuer="示例县人民政府办公室", recipients="县直各单位", title="关于做好防汛工作的通知", receipt_kind="办件"), "防汛",
     ("archived", "D10", "BGS", "R25")),
    # 同级
    (fields(issuer="示例县财政局", recipients="示例县档案局", doc_type="函", title="关于商请提供档案的函"), "提供档案", ("archived", "D30", "YWK", "R32")),
    (fields(issuer="示例县财政局", recipients="示例县档案局", doc_type="函", title="关于报送预算的函"), "预算", ("archived", "D10", "BGS", "R33")),
    (fields(issuer="示例县财政局", recipients="示例县教育局", doc_type="函", receipt_kind="阅件"), "",
     ("excluded", None, None, "R30")),
    # 下级
    (fields(issuer="示例县档案馆", title="档案馆工作简报", doc_type=None), "", ("excluded", None, None, "R40")),
    (fields(issuer="示例县档案馆", recipients="县档案局", title="关于2022年工作的报告", doc_type="报告"), "", ("archived", "D30", "YWK", "R42")),
    # drafts of general documents are not filed; drafts of our normative documents are (第四条)
    (fields(issuer="示例县档案局", title="关于召开会议的通知（修改稿）"), "", ("excluded", None, None, "R01")),
    (fields(issuer="示例县档案局", title="示例县档案局档案管理办法（征求意见稿）", doc_type="办法"), "", ("archived", "Y", "BGS", "R00")),
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
    c = classify(fields(issuer="示例县人民政府", recipients="各乡镇", date=None, receipt_kind="阅件"), "", 1, cfg)
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


def _agency_config(tmp_path, rules: str):
    """A config of agency 甲局 with these [[rules]] only."""
    from archive.config import load_config
    from tests.conftest import write_config

    return load_config(write_config(tmp_path, text='[agency]\nname = "甲局"\nfonds = "A1"\n[paths]\n' + rules))


def test_rule_conditions_all_must_hold(tmp_path):
    cfg = _agency_config(tmp_path, """
[[rules]]
id = "P"
basis = "页数与文号"
when = { pages_min = 5, has_docno = true, issuer_any = ["乙"], docno_code = ["乙发"], text_any = ["关键"] }
then = { scope = "归档", retention = "10年" }
""")
    dn = DocNumber("乙发〔2020〕1号", "乙发", 2020, 1)
    ok = fields(issuer="乙局", doc_number=dn)
    assert classify(ok, "关键内容", 5, cfg).status == "archived"
    assert classify(ok, "关键内容", 5, cfg).org is None  # no [orgs]: no 机构 segment
    assert classify(ok, "关键内容", 4, cfg).status == "pending"
    assert classify(ok, "内容", 5, cfg).status == "pending"
    assert classify(fields(issuer="乙局"), "关键内容", 5, cfg).status == "pending"
    assert classify(fields(issuer="丙局", doc_number=dn), "关键内容", 5, cfg).status == "pending"


def test_joint_document_main_issuer_or_co_issuer(cfg):
    # 8号令 第十一条: the 主办机关 (named first, its 发文字号 on the document) files the original
    assert relation_of(fields(issuer="示例县档案局、示例县财政局"), cfg) == "本机关"
    assert relation_of(fields(issuer="示例县财政局、示例县档案局"), cfg) == "本机关协办"
    assert relation_of(fields(issuer="示例县财政局、示例县档案局", doc_number=OWN_NO), cfg) == "本机关"
    # the example table has no rule for our copy of another's joint document: it is the clerk's to decide
    c = classify(fields(issuer="示例县财政局、示例县档案局", recipients="各乡镇"), "", 1, cfg)
    assert c.status == "pending" and c.relation == "本机关协办"


def test_co_issuer_rule_of_its_own(tmp_path):
    from archive.rules_table import describe

    cfg = _agency_config(tmp_path, """
[[rules]]
id = "J1"
basis = "8号令 第十一条：联合行文，其他机关将复制件归档"
when = { relation = ["本机关协办"] }
then = { scope = "归档", retention = "10年" }
[[rules]]
id = "S1"
basis = "本机关文件"
when = { relation = ["本机关"] }
then = { scope = "归档", retention = "永久" }
""")
    co = classify(fields(issuer="乙局、甲局"), "", 1, cfg)
    assert (co.status, co.rule_id, co.retention) == ("archived", "J1", "D10")
    own = classify(fields(issuer="甲局、乙局"), "", 1, cfg)
    assert (own.status, own.rule_id, own.retention) == ("archived", "S1", "Y")
    assert "协办" in describe({"relation": ["本机关协办"]})


def test_doubtful_date_goes_to_pending(cfg):
    f = fields(**OWN, doc_number=OWN_NO, title="示例县档案局关于印发档案管理办法的决定", doc_type="决定",
               doubtful_date="成文日期与发文字号年份不一致：成文日期为 2025-08-28，发文字号为 示档发〔2022〕3号")
    c = classify(f, "", 1, cfg)
    assert c.status == "pending" and c.rule_id == "R10" and "发文字号年份不一致" in c.reason
    f.doubtful_date = None
    assert classify(f, "", 1, cfg).status == "archived"
