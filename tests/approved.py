"""What a destruction needs before it may run (issue 26): the table in force agreed and recorded in the catalog,
and a 鉴定小组 with its 档案 and 业务 sides. Tests of other subjects call these to reach a destruction."""

from __future__ import annotations

import datetime as dt

from archive import rules_table

GROUP = ["档案:档案员甲", "业务:办公室乙"]  # the two sides [appraisal] group_sides asks for by default


def approve_table(arc, on: dt.date = dt.date(2026, 1, 1)) -> dict:
    """Record the 档案主管部门's agreement of the table as the archive's config reads now."""
    return rules_table.approve(arc, by="示例县档案局", on=on, document="示档函〔2026〕3号")
