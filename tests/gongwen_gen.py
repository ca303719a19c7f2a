"""Varied, realistic 公文 for the example agency (示例县档案局), as lines in GB/T 9704 order.

Used by the pipeline and watcher tests and by samples/make_samples.py. Each document is distinct
(different number, title or date), so N generated documents have N different checksums.
"""

from __future__ import annotations

import random

# (issuer, 机关代字, 主送, title template, expected relation)
KINDS = [
    ("示例县档案局", "示档发", "局机关各科室", "示例县档案局关于印发《档案管理办法（第{n}次修订）》的决定"),
    ("示例县档案局", "示档发", "县直各单位", "示例县档案局关于开展第{n}批档案业务检查的通知"),
    ("示例县档案局", "示档", "示例县人民政府", "示例县档案局关于申请第{n}期档案馆馆舍建设经费的请示"),
    ("示例县档案局", "示档发", "局机关各科室", "示例县档案局关于第{n}周值班安排的通知"),
    ("示例县人民政府", "示政发", "各乡镇人民政府，县直各单位", "示例县人民政府关于加强第{n}批重点档案保护工作的通知"),
    ("示例县人民政府", "示政发", "各乡镇人民政府", "示例县人民政府关于做好第{n}号台风防御工作的通知"),
    ("示例县人民政府办公室", "示政办发", "县直各单位", "示例县人民政府办公室关于做好安全生产大检查（第{n}批）工作的通知"),
    ("示例县财政局", "示财函", "示例县档案局", "示例县财政局关于商请提供第{n}批档案资料的函"),
    ("示例县档案馆", "示档馆", "示例县档案局", "示例县档案馆关于第{n}批档案接收进馆情况的报告"),
    ("某某科技有限公司", "", "示例县档案局", "某某科技有限公司关于第{n}期数字化项目的函"),
]

BODY = [
    "为深入贯彻落实《中华人民共和国档案法》，进一步规范全县档案管理工作，推进文书档案电子化，现将有关事项通知如下。",
    "一、提高思想认识。各单位要充分认识档案工作的重要性，切实加强组织领导，明确分管领导和具体工作人员。",
    "二、规范整理归档。严格按照归档范围和保管期限表做好文件材料的收集、整理和归档，做到齐全完整、分类准确。",
    "三、加强安全保管。落实防火、防盗、防潮、防虫等措施，确保档案实体和信息安全。",
    "四、强化监督检查。县档案局将适时组织检查，对工作不力的单位予以通报。",
]


def gongwen_lines(i: int, kind: int | None = None, year: int | None = None, rng: random.Random | None = None) -> list[str]:
    rng = rng or random.Random(i)
    kind = i % len(KINDS) if kind is None else kind
    issuer, code, recipients, title = KINDS[kind]
    year = year or 2018 + (i % 6)
    month, day = 1 + (i * 7) % 12, 1 + (i * 11) % 28
    lines = [f"{issuer}文件"]
    if code:
        lines.append(f"{code}〔{year}〕{i + 1}号")
    lines += [title.format(n=i + 1), f"{recipients}："]
    lines += rng.sample(BODY, k=3)
    # kind 5 is the table's 不归档 example: since issue 26 a superior's notice is excluded only as a 阅件 or by the
    # table's own conditions, here 第四条's 供工作参考的抄件 (R02)
    lines += [issuer, f"{year}年{month}月{day}日", "（此件仅供参考）" if kind == 5 else "（此件公开发布）"]
    return lines


SECRET = ["000123", "秘密★1年", "特急", "示例县人民政府文件", "示政发〔2022〕99号",
          "示例县人民政府关于某专项工作的通知", "县直各单位：", "请按要求办理。", "示例县人民政府", "2022年3月1日"]
