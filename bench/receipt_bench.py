"""The share of 待定 on a simulated year of incoming documents, with and without the 收文 registration (issue 26).

A county archive bureau's year of incoming 公文 is simulated from a fixed mix (seeded, so the figures repeat):
superiors' notices to groups (各县（市、区）档案局, 各乡镇人民政府，县直各单位), 令 without 主送, copies (抄送) to us,
peers' 函 addressed to us or copied, subordinates' reports and 简报. Each is classified by the bundled table
(config.toml) two ways: with no 收文 mark at all, and with every document registered 阅件/办件 as an OA's 收文处理单
would. For comparison it counts what the rules before issue 26 did (R20/R30 excluded a superior's or peer's document
whose 主送 did not name us or a configured group): how many 办件 they excluded unseen. It prints how many are 待定, 归档, 不归档 and, for the unmarked year, how many of the 待定 a clerk settles with one key
(阅件/办件) and how many batches by suggestion (``archive receipt set --rule``) cover them.

    PYTHONPATH=. python bench/receipt_bench.py [--n 1200] [--seed 26]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.classify import RECEIPT_PENDING, classify, relation_of  # noqa: E402
from archive.config import load_config  # noqa: E402
from archive.models import DocNumber, GongwenFields  # noqa: E402

# (weight, issuer, recipients, cc, title, doc_type, text, share of 阅件 in the registration)
MIX = [
    (14, "示例县人民政府", "各乡镇人民政府，县直各单位", None, "关于做好{n}项重点工作的通知", "通知", "请各单位认真贯彻落实", 0.4),
    (10, "示例县人民政府办公室", "县直各单位", None, "关于印发{n}号工作方案的通知", "通知", "请结合实际认真执行", 0.5),
    (8, "示例县人民政府", "各乡镇人民政府", "示例县档案局", "关于做好第{n}号台风防御工作的通知", "通知", "请各乡镇做好防御", 0.8),
    (8, "示例市档案局", "各县（市、区）档案局", None, "关于开展第{n}批档案安全检查的通知", "通知", "请各县档案局开展自查", 0.1),
    (4, "示例市人民政府", None, None, "示例市人民政府令", "令", "第一条 为了规范管理", 0.9),
    (6, "中共示例县委员会", "各乡镇党委，县直各单位党组织", None, "关于开展第{n}次主题活动的通知", "通知", "请认真组织实施", 0.5),
    (3, "示例县人民政府", "示例县档案局", None, "关于同意调整第{n}项值班时间的批复", "批复", "同意", 0.0),
    (8, "示例县财政局", "县直各单位", None, "关于报送第{n}季度预算执行情况的通知", "通知", "请按时报送", 0.5),
    (5, "示例县财政局", "示例县档案局", None, "关于商请提供第{n}批资料的函", "函", "请予支持", 0.1),
    (4, "示例县教育局", "各学校", "示例县档案局", "关于第{n}期培训的通知", "通知", "请各学校参加", 0.9),
    (4, "示例县档案馆", "示例县档案局", None, "关于第{n}批档案接收进馆情况的报告", "报告", "现将情况报告如下", 0.0),
    (3, "示例县档案馆", "示例县档案局", None, "档案馆工作简报第{n}期", None, "本期要目", 1.0),
]


def year_of_documents(n: int, seed: int) -> list[tuple[GongwenFields, str, str]]:
    rng = random.Random(seed)
    weights = [m[0] for m in MIX]
    out = []
    for i in range(n):
        _, issuer, rec, cc, title, doc_type, text, read_share = rng.choices(MIX, weights)[0]
        f = GongwenFields(issuer=issuer, issuers=[issuer], recipients=rec, cc=cc, title=title.format(n=i + 1),
                          doc_type=doc_type, date=dt.date(2026, 1 + i % 12, 1 + i % 28))
        if doc_type == "令":
            f.doc_number = DocNumber(f"示例市人民政府令第{i + 1}号", "示例市人民政府令", None, i + 1, "order")
        out.append((f, text, "阅件" if rng.random() < read_share else "办件"))
    return out


def tally(docs, cfg, marked: bool):
    c, by_rule = Counter(), Counter()
    for f, text, kind in docs:
        f.receipt_kind = kind if marked else None
        v = classify(f, text, 2, cfg)
        c[v.status] += 1
        if v.status == "pending" and (v.reason or "").startswith(RECEIPT_PENDING):
            c["pending_receipt"] += 1
            by_rule[v.rule_id] += 1
    return c, by_rule


def old_exclusions(docs, cfg) -> tuple[int, int]:
    """(excluded by the old 主送 rule, of which registered 办件): R20/R30 before issue 26."""
    names = [cfg.agency_name, *cfg.aliases, *cfg.recipient_groups]
    out = act = 0
    for f, _, kind in docs:
        rec = "".join((f.recipients or "").split())
        to_us = bool(f.recipients) and any("".join(n.split()) in rec for n in names if n)
        if relation_of(f, cfg) in ("上级", "同级") and not to_us:
            out += 1
            act += kind == "办件"
    return out, act


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=26)
    args = ap.parse_args()
    cfg = load_config(ROOT / "config.toml")
    docs = year_of_documents(args.n, args.seed)
    print(f"一年收文（模拟）{args.n} 件，保管期限表 {ROOT / 'config.toml'}")
    for marked, label in ((False, "无收文阅办登记"), (True, "有收文阅办登记（收文处理单）")):
        c, by_rule = tally(docs, cfg, marked)
        n = args.n
        print(f"{label}：待定 {c['pending']} 件（{c['pending'] / n:.1%}），归档 {c['archived']}，不归档 {c['excluded']}")
        if not marked:
            old, act = old_exclusions(docs, cfg)
            print(f"  此前的规则（按主送判断）：不归档 {old} 件，其中收文登记为办件（须归档）的 {act} 件未经审核即被排除")
            print(f"  其中因未登记阅办而待定 {c['pending_receipt']} 件：逐件一键（r 阅件 / b 办件），"
                  f"或按建议分 {len(by_rule)} 批登记（" + "，".join(f"{k} {v} 件" for k, v in sorted(by_rule.items()))
                  + "）")


if __name__ == "__main__":
    main()
