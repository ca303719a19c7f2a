"""Every rule of the bundled 归档范围和保管期限表 (config.toml's [[rules]]): a document it must decide and a near miss
it must not; the audit's cases of issue 26 (nothing excluded by the 主送 line, only by the 收文 registration); the
主送 groups matched by [agency] level and kinds; the receipt read from an OA 收文处理单."""

import pytest

from archive.classify import BY_GROUP, BY_NAME, RECEIPT_PENDING, addressed, classify, receipt_of, set_receipt
from archive.models import DocNumber
from tests.test_classify import GOV, OWN, OWN_NO, PEER, SUB, fields

READ, ACT = dict(receipt_kind="阅件"), dict(receipt_kind="办件")

A, X, P = "archived", "excluded", "pending"

# rule -> (must: fields, text), (must-not: fields, text, (status, rule_id) it gets instead)
RULE_CASES = {
    "R00": ((fields(**OWN, title="示例县档案局档案管理办法（征求意见稿）", doc_type="办法"), ""),
            (fields(**OWN, title="关于召开年度工作会议的通知（征求意见稿）", doc_type="通知"), "", (X, "R01"))),
    "R01": ((fields(**OWN, title="关于召开年度工作会议的通知（征求意见稿）", doc_type="通知"), ""),
            (fields(**OWN, title="示例县档案局关于档案安全的规定（送审稿）", doc_type="规定"), "", (A, "R00"))),
    "R02": ((fields(**GOV, title="关于做好防汛工作的通知"), "（此件仅供参考）防汛"),
            (fields(**GOV, title="关于做好防汛工作的通知", **ACT), "防汛", (A, "R25"))),
    "R10": ((fields(**OWN, doc_number=OWN_NO, title="示例县档案局关于印发档案管理办法的决定", doc_type="决定"), ""),
            (fields(**OWN, title="关于印发档案管理办法的通知", doc_type="通知"), "", (A, "R18"))),
    "R11": ((fields(**OWN, title="示例县档案局关于张三同志任免的通知"), ""),
            (fields(**OWN, title="示例县档案局关于张三同志参加培训的通知"), "", (A, "R17"))),
    "R12": ((fields(**OWN, title="示例县档案局局务会议纪要", doc_type="纪要"), ""),
            (fields(**OWN, title="关于局务会议室使用安排的通知", doc_type="通知"), "", (A, "R17"))),
    # the annex (四): the notice of our own 工作会议 is among its main documents, 永久 (issue 26, audit 2)
    "R12A": ((fields(**OWN, title="示例县档案局关于召开全县档案工作会议的通知"), ""),
             (fields(**OWN, title="关于2023年元旦放假安排的通知"), "", (A, "R17"))),
    "R13": ((fields(**OWN, title="示例县档案局2022年上半年工作总结", doc_type="总结"), ""),
            (fields(**OWN, title="示例县档案局2022年度工作总结", doc_type="总结"), "", (A, "R14"))),
    "R14": ((fields(**OWN, title="示例县档案局2022年度工作总结", doc_type="总结"), ""),
            (fields(**OWN, title="示例县档案局2022年第三季度工作计划", doc_type="计划"), "", (A, "R13"))),
    "R15": ((fields(**OWN, title="关于申请档案馆馆舍建设经费的请示", doc_type="请示"), ""),
            (fields(**OWN, title="关于上半年工作情况的报告", doc_type="报告"), "", (A, "R16"))),
    "R16": ((fields(**OWN, title="关于上半年工作情况的报告", doc_type="报告"), ""),
            (fields(**OWN, title="关于申请档案馆馆舍建设经费的请示", doc_type="请示"), "", (A, "R15"))),
    "R17": ((fields(**OWN, title="关于2023年元旦放假安排的通知"), ""),
            (fields(**OWN, title="关于召开全县档案工作会议的通知"), "", (A, "R12A"))),
    "R18": ((fields(**OWN, title="关于开展档案业务检查的通知"), ""),
            (fields(**OWN, title="关于同意某事项的复函", doc_type="函"), "", (A, "R19"))),
    "R19": ((fields(**OWN, title="关于同意某事项的复函", doc_type="函"), ""),
            (fields(**PEER, title="关于同意某事项的复函", doc_type="函", **ACT), "", (A, "R33"))),
    # a superior's 阅件 is excluded; the same document not registered is the clerk's, with both outcomes shown
    "R20": ((fields(issuer="示例县人民政府", recipients="各乡镇人民政府", title="关于做好防汛工作的通知", **READ), "防汛"),
            (fields(issuer="示例县人民政府", recipients="各乡镇人民政府", title="关于做好防汛工作的通知"), "防汛",
             (P, "R20"))),
    "R21": ((fields(issuer="河北省人民政府", recipients="县档案局", title="关于同意设立档案馆的批复", doc_type="批复"), ""),
            (fields(issuer="示例县人民政府", recipients="县档案局", title="关于同意调整值班时间的批复", doc_type="批复"), "",
             (A, "R22"))),
    "R22": ((fields(issuer="示例县人民政府", recipients="县档案局", title="关于同意调整值班时间的批复", doc_type="批复"), ""),
            (fields(issuer="示例县人民政府", recipients="县档案局", title="关于同意增加编制的批复", doc_type="批复"), "",
             (A, "R21"))),
    "R23": ((fields(issuer="示例市档案局", recipients="示例县档案局", title="关于印发档案工作规定的意见", doc_type="意见"), ""),
            (fields(issuer="示例市档案局", recipients="示例县档案局", title="关于印发档案工作要点的通知"), "档案", (A, "R24"))),
    # our own business is filed even when registered 阅件 (第七条、第八条 before 第四条's 不需办理)
    "R24": ((fields(**GOV, title="关于加强档案安全工作的通知", **READ), "做好档案工作"),
            (fields(**GOV, title="关于做好防汛工作的通知", **READ), "防汛", (X, "R20"))),
    "R25": ((fields(**GOV, title="关于做好防汛工作的通知", **ACT), "防汛"),
            (fields(**GOV, title="关于做好防汛工作的通知", **READ), "防汛", (X, "R20"))),
    "R30": ((fields(issuer="示例县财政局", recipients="示例县教育局", doc_type="函", title="关于报送预算的函", **READ), "预算"),
            (fields(issuer="示例县财政局", recipients="示例县教育局", doc_type="函", title="关于报送预算的函"), "预算",
             (P, "R30"))),
    "R31": ((fields(**PEER, doc_type="函", title="关于商请移交档案进馆的函"), "档案"),
            (fields(**PEER, doc_type="函", title="关于商请提供档案的函"), "提供档案", (A, "R32"))),
    "R32": ((fields(**PEER, doc_type="函", title="关于商请提供档案的函", **READ), "提供档案"),
            (fields(**PEER, doc_type="函", title="关于报送预算的函", **READ), "预算", (X, "R30"))),
    # addressed to us by name: without a registration it is filed as a 办件 would be (the lesser error)
    "R33": ((fields(**PEER, doc_type="函", title="关于报送预算的函"), "预算"),
            (fields(**PEER, doc_type="函", title="关于报送预算的函", **READ), "预算", (X, "R30"))),
    "R40": ((fields(**SUB, title="档案馆工作简报", doc_type=None), ""),
            (fields(**SUB, title="关于2022年工作的报告", doc_type="报告"), "", (A, "R42"))),
    "R41": ((fields(**SUB, title="关于申请馆舍建设经费的请示", doc_type="请示"), ""),
            (fields(**SUB, title="关于2022年工作的报告", doc_type="报告"), "", (A, "R42"))),
    "R42": ((fields(**SUB, title="关于2022年工作的报告", doc_type="报告"), ""),
            (fields(issuer="示例县档案馆", recipients="各乡镇档案室", title="关于2022年工作的报告", doc_type="报告"), "",
             (P, "R43"))),
    "R43": ((fields(issuer="示例县档案馆", recipients="各乡镇档案室", title="关于开放日的通知", **READ), ""),
            (fields(**SUB, title="关于开放日的通知", **ACT), "", (P, None))),
}


def test_every_rule_has_a_case(cfg):
    assert set(RULE_CASES) == {r.id for r in cfg.rules}


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_decides_its_document_and_not_its_near_miss(cfg, rule_id):
    (f, text), (g, gtext, other) = RULE_CASES[rule_id]
    rule = next(r for r in cfg.rules if r.id == rule_id)
    c = classify(f, text, 3, cfg)
    assert (c.status, c.rule_id) == ({"归档": A, "不归档": X}[rule.scope], rule_id), c
    d = classify(g, gtext, 3, cfg)
    assert (d.status, d.rule_id) == other, d


# ---- the audit's four cases (issue 26, Must show) ------------------------------------------------------------
CITY_NOTICE = dict(issuer="示例市档案局", recipients="各县（市、区）档案局", title="示例市档案局关于开展防汛安全检查的通知")
ORDER = dict(issuer="示例市人民政府", recipients=None, doc_type="令", title="示例市人民政府令",
             doc_number=DocNumber("示例市人民政府令第12号", "示例市人民政府令", None, 12, "order"))
COPIED = dict(issuer="示例县人民政府", recipients="各乡镇人民政府", cc="示例县档案局",
              title="关于做好秋冬季森林防火工作的通知")


def test_city_notice_to_every_county_bureau_is_not_excluded_without_a_read_mark(cfg):
    f = fields(**CITY_NOTICE)
    assert addressed(f, cfg) == BY_GROUP  # 各县（市、区）档案局 includes a 县 档案局
    c = classify(f, "请各县（市、区）于6月底前完成自查", 2, cfg)
    assert c.status == P and c.reason.startswith(RECEIPT_PENDING) and "如为阅件" in c.reason, c
    assert (c.retention, c.org) == ("D10", "BGS")  # the 办件 outcome is the suggestion a batch confirm takes
    assert classify(fields(**CITY_NOTICE, **READ), "", 2, cfg).status == X
    assert classify(fields(**CITY_NOTICE, **ACT), "", 2, cfg).status == A


def test_an_order_without_recipients_is_not_excluded(cfg):
    c = classify(fields(**ORDER), "第一条 为了……", 3, cfg)
    assert c.status != X and c.status == P, c


def test_a_notice_copied_to_us_asking_us_to_act(cfg):
    f = fields(**COPIED)
    assert addressed(f, cfg) is None  # only the 抄送 names us
    c = classify(f, "请县档案局做好防火期间档案安全工作", 2, cfg)
    assert c.status in (P, A), c  # 待定 or filed: never 不归档 unseen
    assert c.status == A and c.rule_id == "R24"  # it names our business (档案): filed, whatever the registration
    c = classify(f, "请各乡镇做好防火工作", 2, cfg)
    assert c.status == P and "如为办件，按规则 R25 归档" in c.reason
    assert classify(fields(**COPIED, **ACT), "请各乡镇做好防火工作", 2, cfg).status == A


def test_a_read_copy_the_table_excludes_is_excluded_with_its_reason(cfg):
    c = classify(fields(**COPIED, **READ), "请各乡镇做好防火工作", 2, cfg)
    assert (c.status, c.rule_id) == (X, "R20")
    assert "第四条" in c.basis and "不需本机关办理" in c.basis


def test_no_rule_excludes_by_the_recipient_line(cfg):
    for r in cfg.rules:
        if r.scope == "不归档":
            assert "recipient_self" not in r.when, r.id


# ---- 主送 groups, by [agency] level and kinds -----------------------------------------------------------------
@pytest.mark.parametrize("recipients,how", [
    ("示例县档案局", BY_NAME),
    ("县档案局", BY_NAME),
    ("各县（市、区）档案局", BY_GROUP),
    ("各县(市、区)档案局：", BY_GROUP),
    ("各乡镇人民政府，县直各单位", BY_GROUP),
    ("县直各部门", BY_GROUP),
    ("各县级档案主管部门", BY_GROUP),
    ("各级档案部门", BY_GROUP),
    ("各县（市、区）人民政府", None),
    ("各市（州）档案局", None),
    ("各乡镇人民政府", None),
    ("示例县财政局", None),
    (None, None),
])
def test_recipient_groups_by_level_and_kind(cfg, recipients, how):
    assert addressed(fields(recipients=recipients), cfg) == how


def test_without_level_a_group_is_not_taken_to_include_us(tmp_path):
    from archive.config import load_config
    from tests.conftest import write_config

    cfg = load_config(write_config(tmp_path, text='[agency]\nname = "甲局"\nfonds = "A1"\nkinds = ["档案局"]\n'
                                                  '[paths]\n[[rules]]\nid = "S"\nbasis = "b"\n'
                                                  'then = { scope = "归档", retention = "永久" }\n'))
    assert addressed(fields(recipients="各县（市、区）档案局"), cfg) is None


# ---- the receipt from an OA 收文处理单 ------------------------------------------------------------------------
@pytest.mark.parametrize("value,kind", [("阅件", "阅件"), ("传阅件", "阅件"), (" 办件 ", "办件"), ("承办件", "办件"),
                                        ("", None), ("急件", None), (None, None), (3, None)])
def test_receipt_of(value, kind):
    assert receipt_of(value) == kind


def test_set_receipt_from_a_sidecar(cfg):
    f = fields(**COPIED)
    assert set_receipt(f, {"阅办类型": "阅件"}) == "阅件" and f.receipt_kind == "阅件"
    assert classify(f, "", 2, cfg).status == X
    g = fields(**COPIED)
    assert set_receipt(g, {"receipt_kind": "不知道"}) is None and g.receipt_kind is None
    assert g.warnings and "不是阅件或办件" in g.warnings[0]
    assert classify(g, "", 2, cfg).status == P  # an unreadable mark is no mark: fail toward 待定
    assert set_receipt(fields(), {"title": "x"}) is None
