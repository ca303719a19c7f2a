"""A year of 公文 for the 定期整理归档 tests (tests/test_filing.py, bench/filing_bench.py): small TXT files in
GB/T 9704 order that the example config.toml classifies into several 年度-保管期限-机构 groups.

Two groups are written by hand, with the order a person gives them (``EXPECTED``): 永久-办公室 with 请示/批复
pairs and two meetings' sets, 30年-业务指导科 with 转发 documents. Two groups are filled with distinct-dated
notices (expected in date order). A few documents of 2022, one 请示 whose 批复 comes in 2023, two 待定 letters,
and late arrivals of 2022 (补充归档). Every document carries a short key in ``Doc.key``; its title is unique.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

BODY = ["为进一步规范档案管理工作，现将有关事项通知如下。", "一、提高思想认识，切实加强组织领导。",
        "二、严格按照归档范围和保管期限表做好文件材料的收集、整理和归档。", "三、落实防火、防盗、防潮措施。"]
US, GOV, GOV_OFFICE = "示例县档案局", "示例县人民政府", "示例县人民政府办公室"


@dataclass
class Doc:
    key: str
    issuer: str
    docno: str | None
    title: str
    date: dt.date
    recipients: str = "示例县档案局"
    body: tuple[str, ...] = ()
    printed: str | None = None  # 印发 line

    def lines(self) -> list[str]:
        out = [f"{self.issuer}文件"] + ([self.docno] if self.docno else []) + [self.title, f"{self.recipients}："]
        out += list(self.body or BODY[:3])
        out += [self.issuer, f"{self.date.year}年{self.date.month}月{self.date.day}日"]
        if self.printed:
            out.append(self.printed)
        return out

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.key}.txt"
        path.write_text("\n".join(self.lines()) + "\n", encoding="utf-8")
        return path


def d(month: int, day: int, year: int = 2023) -> dt.date:
    return dt.date(year, month, day)


def _ask(key, what, no, date):
    return Doc(key, US, f"示档〔{date.year}〕{no}号", f"示例县档案局关于申请{what}经费的请示", date, GOV)


def _reply(key, what, no, date, ask_no, ask_year=2023):
    return Doc(key, GOV, f"示政函〔{date.year}〕{no}号", f"示例县人民政府关于同意{what}经费的批复", date, US,
               (f"你局《关于申请{what}经费的请示》（示档〔{ask_year}〕{ask_no}号）收悉。经研究，同意所请。",
                "请严格按照有关规定使用经费，确保专款专用。"))


def _decide(key, what, no, date):
    return Doc(key, US, f"示档发〔{date.year}〕{no}号", f"示例县档案局关于印发《{what}》的决定", date, "局机关各科室")


def _meeting(key, nth, kind, no, date):
    return Doc(key, US, f"示档发〔2023〕{no}号", f"示例县档案局2023年第{nth}次局务会议{kind}", date, "局机关各科室")


def _check(key, nth, no, date):
    return Doc(key, US, f"示档发〔2023〕{no}号", f"示例县档案局关于开展第{nth}批档案业务检查的通知", date, "县直各单位")


def _superior(key, issuer, code, what, no, date):
    return Doc(key, issuer, f"{code}〔2023〕{no}号", f"{issuer}关于{what}的通知", date, "县直各单位",
               ("为做好档案工作，现就有关事项通知如下。", "各单位要高度重视，认真组织实施。"))


def _forward(key, of: Doc, no, date):
    return Doc(key, US, f"示档发〔2023〕{no}号", f"示例县档案局关于转发《{of.title}》的通知", date, "县直各单位",
               (f"现将《{of.title}》转发给你们，请认真贯彻执行。",))


# ---- the two groups written by hand -------------------------------------------------------------------
P3Q = _ask("P3q", "档案密集架购置", 40, d(12, 20, 2022))  # its 批复 comes in 2023
F0 = _superior("F0", GOV, "示政发", "开展档案安全检查", 12, d(3, 6))
G0 = _superior("G0", GOV_OFFICE, "示政办发", "做好档案开放审核工作", 33, d(8, 2))
HAND = [
    _reply("P3a", "档案密集架购置", 2, d(1, 9), 40, 2022),
    _ask("P1q", "档案馆馆舍维修", 3, d(2, 10)),
    _decide("D1", "档案库房管理规定", 5, d(3, 1)),
    _reply("P1a", "档案馆馆舍维修", 21, d(3, 20), 3),
    _meeting("M1j", "一", "决议", 8, d(4, 10)),
    _decide("D2", "档案鉴定工作规定", 9, d(4, 11)),
    _meeting("M1z", "一", "纪要", 10, d(4, 14)),
    _ask("P2q", "数字档案室建设项目", 14, d(5, 8)),
    _decide("D3", "电子文件归档管理办法", 15, d(5, 20)),
    _reply("P2a", "数字档案室建设项目", 40, d(6, 15), 14),
    _decide("D4", "档案借阅利用规定", 18, d(7, 3)),
    _meeting("M2j", "二", "决议", 24, d(9, 1)),
    _decide("D5", "档案保密管理规定", 25, d(9, 3)),
    _meeting("M2z", "二", "纪要", 26, d(9, 5)),
    _ask("P4q", "档案数字化加工项目", 30, d(11, 20)),
    _decide("D6", "档案安全应急预案管理办法", 31, d(12, 1)),
    _reply("P4a", "档案数字化加工项目", 88, d(12, 28), 30),
    F0,
    _check("T1", "一", 11, d(3, 8)),
    _forward("F1", F0, 13, d(3, 15)),
    G0,
    _check("T2", "二", 27, d(8, 10)),
    _forward("G1", G0, 29, d(8, 20)),
    _check("T3", "三", 35, d(10, 12)),
]
# the order a person gives each hand-made group (docs/domain.md: by 成文日期, one 事由 kept together)
EXPECTED = {
    ("Y", "BGS"): ["P3a", "P1q", "P1a", "D1", "M1j", "M1z", "D2", "P2q", "P2a", "D3", "D4", "M2j", "M2z", "D5",
                   "P4q", "P4a", "D6"],
    ("D30", "YWK"): ["F0", "F1", "T1", "G0", "G1", "T2", "T3"],
}


def fillers(year: int, n: int, seed: int) -> list[Doc]:
    """``n`` documents of ``year`` in two groups (10年-办公室 值班安排, 30年-办公室 一般性请示), each on a day of its own
    within its group."""
    rng = random.Random(seed)
    days = [dt.date(year, 1, 1) + dt.timedelta(k) for k in range(365 if year % 4 else 366)]
    duty = sorted(rng.sample(days, n // 2))
    general = sorted(rng.sample(days, n - n // 2))
    out = [Doc(f"W{year}-{i:03d}", US, f"示档发〔{year}〕{200 + i}号", f"示例县档案局关于第{i + 1}周值班安排的通知", day,
               "局机关各科室") for i, day in enumerate(duty)]
    out += [Doc(f"N{year}-{i:03d}", US, f"示档〔{year}〕{500 + i}号", f"示例县档案局关于调整第{i + 1}批办公设备的请示",
                day, GOV) for i, day in enumerate(general)]
    return out


PENDING = [Doc("X1", "某某科技有限公司", None, "某某科技有限公司关于数字化项目报价的函", d(6, 3), US),
           Doc("X2", "某某文化传媒公司", None, "某某文化传媒公司关于档案宣传片合作的函", d(10, 9), US)]
LATE_2022 = [_decide("L1", "档案工作年度考核办法", 45, d(12, 27, 2022)),
             Doc("L2", US, "示档发〔2022〕46号", "示例县档案局关于第60周值班安排的通知", d(12, 29, 2022), "局机关各科室")]


def year_of_documents(folder: Path, n_fillers: int = 290, seed: int = 25) -> dict[str, Doc]:
    """Write the two simulated years' documents into ``folder`` (not the late 2022 ones); returns them by key."""
    docs = HAND + [P3Q] + fillers(2023, n_fillers, seed) + fillers(2022, 30, seed + 1) + PENDING
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        doc.write(folder)
    return {doc.key: doc for doc in docs}


def arrival_order(folder: Path, seed: int = 7) -> list[Path]:
    """The files in a random order of arrival."""
    files = sorted(folder.glob("*.txt"))
    random.Random(seed).shuffle(files)
    return files
