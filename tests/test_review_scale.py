"""Issue 13, points 3 and 5: review at scale, the interactive review, local time, a record's history in
Chinese, and the pointer from an old 档号 — through the real command line in a subprocess, on a real archive
(text 公文 ingested by the pipeline)."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archive import pipeline
from archive import catalog, display
from archive.config import load_config
from archive.errors import ConfigError
from archive.session import open_archive
from conftest import ROOT, write_config
from gongwen_gen import gongwen_lines
from makedocs import make_text
from tests.clirun import run_config

TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?!:)")


def _undated(i: int, kind: int, rng: random.Random | None = None) -> str:
    return "\n".join(line for line in gongwen_lines(i, kind, 2021, rng=rng) if not line.endswith("日"))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """An archive whose records are all pending: ids 1-3 suggested by R10 (永久 BGS), 4-5 by R18 (30年 YWK),
    6-7 by R13 (10年 BGS) and sharing one 发文字号, 8 without any rule, 9 without rule and 年度."""
    folder = tmp_path_factory.mktemp("review_scale")
    write_config(folder)
    src = folder / "in"
    src.mkdir()
    files = [make_text(src / f"a{i}.txt", _undated(i, 0)) for i in range(3)]
    files += [make_text(src / f"b{i}.txt", _undated(i + 10, 1)) for i in range(2)]
    # two documents of one agency that carry the same 发文字号 (a numbering slip): another title, another text,
    # so two records (one 件 would be the same document again)
    first = _undated(20, 3, random.Random(100))
    head = first.splitlines()[:2]  # 版头 and the 发文字号
    other = head + ["示例县档案局关于第21周值班室卫生安排的通知", "局机关各科室：",
                    "会议室实行统一登记、统一调度，使用前一日向办公室预约，临时会议随到随排。",
                    "使用结束后关闭空调、灯光和投影设备，保持桌椅整洁，损坏设施及时报修并照价赔偿。",
                    "涉及外单位来访的会议，由承办科室负责引导和接待，不得占用档案库房走廊堆放物品。",
                    "本通知自印发之日起执行，原有规定与本通知不一致的，以本通知为准。", "示例县档案局"]
    files += [make_text(src / "c0.txt", first), make_text(src / "c1.txt", "\n".join(other))]
    files.append(make_text(src / "d.txt", "\n".join(gongwen_lines(5, 9, 2021))))
    files.append(make_text(src / "e.txt", _undated(6, 9)))
    arc = open_archive(load_config(folder / "config.toml"), create=True)
    for f in files:  # one by one, so the ids follow the list
        pipeline.ingest_file(arc, f)
    # a record is archived only with its 成文日期 (review._refuse_incomplete): a clerk's correction gives 1-8
    # theirs; they stay pending (no rule decided them), and 9 stays without 年度
    from archive.edit import edit

    for doc_id in range(1, 9):
        edit(arc, arc.resolve(str(doc_id)), {"date": "2021-03-01"}, reason="补录成文日期")
    rows = arc.conn.execute("SELECT id, status, rule_id, year FROM documents ORDER BY id").fetchall()
    arc.close()
    assert [r["status"] for r in rows] == ["pending"] * 9
    assert [r["rule_id"] for r in rows] == ["R10"] * 3 + ["R18"] * 2 + ["R13"] * 2 + [None, None]
    assert rows[8]["year"] is None
    return folder


@pytest.fixture
def lib(template, tmp_path) -> Path:
    folder = tmp_path / "lib"
    shutil.copytree(template, folder)
    return folder


def run(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run_config(folder / "config.toml", *args, input=stdin)


def rows(folder: Path) -> dict[int, dict]:
    arc = open_archive(load_config(folder / "config.toml"))
    try:
        return {r["id"]: dict(r) for r in arc.conn.execute("SELECT * FROM documents")}
    finally:
        arc.close()


def events(folder: Path, doc_id: int) -> list[dict]:
    arc = open_archive(load_config(folder / "config.toml"))
    try:
        return catalog.events_for(arc.conn, doc_id)
    finally:
        arc.close()


# ---- 3: confirm and exclude of many references ------------------------------------------------------
def test_confirm_many_refs_one_transaction_each_and_a_failure_does_not_stop_the_rest(lib):
    p = run(lib, "confirm", "1", "4-5", "9", "示档发〔2021〕3号", "--retention", "30年", "--org", "YWK")
    assert p.returncode == 1, p.stderr  # record 9 has no 年度: it fails, the others are archived
    after = rows(lib)
    assert [after[i]["status"] for i in (1, 3, 4, 5)] == ["archived"] * 4
    assert after[9]["status"] == "pending"
    assert after[1]["archival_code"] == "Z109-WS·2021-D30-YWK-0001"
    # the summary table names each record by its number, and says why the one failed
    assert re.search(r"│ 9 +│ 失败 ", p.stdout) and "缺少必备著录项" in p.stdout
    assert re.search(r"│ 4 +│ 已归档 │ Z109-WS·2021-D30-YWK-\d{4}", p.stdout)
    assert "共 5 件：已归档 4，失败 1" in p.stderr
    # one confirm event per record, each its own
    for i in (1, 3, 4, 5):
        assert [e["action"] for e in events(lib, i)] == ["ingest", "edit", "confirm"]  # edit: the fixture gave the 成文日期


def test_a_range_passes_over_records_that_are_not_pending(lib):
    assert run(lib, "confirm", "2", "--retention", "永久").returncode == 0
    p = run(lib, "confirm", "1-3", "--retention", "永久", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert (out["archived"], out["skipped"], out["failed"]) == (2, 1, 0)
    assert [r["id"] for r in out["results"]] == [1, 2, 3]
    assert out["results"][1]["result"] == "skipped"
    assert run(lib, "confirm", "5-2", "--retention", "永久").returncode == 1  # a backwards range is refused


def test_confirm_by_rule_takes_the_suggestion_of_each_record(lib):
    p = run(lib, "confirm", "--rule", "R18")
    assert p.returncode == 0, p.stderr
    after = rows(lib)
    assert [(after[i]["status"], after[i]["retention"], after[i]["org"]) for i in (4, 5)] == \
        [("archived", "D30", "YWK")] * 2
    assert all(after[i]["status"] == "pending" for i in (1, 2, 3, 6, 7, 8, 9))
    assert run(lib, "confirm", "--rule", "R99").returncode == 2  # no such rule in config.toml
    p = run(lib, "confirm", "--rule", "R18")
    assert p.returncode == 0 and "没有符合条件的待定文件" in p.stderr


def test_confirm_all_suggested_leaves_records_without_a_suggestion(lib):
    p = run(lib, "confirm", "--all-suggested", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["archived"] == 7
    after = rows(lib)
    assert {i for i, r in after.items() if r["status"] == "pending"} == {8, 9}
    assert [after[i]["archival_code"] for i in (6, 7)] == ["Z109-WS·2021-D10-BGS-0001", "Z109-WS·2021-D10-BGS-0002"]
    # nothing and something at once is refused
    assert run(lib, "confirm", "8", "--all-suggested").returncode == 2
    assert run(lib, "confirm").returncode == 2


def test_exclude_many_with_a_reason(lib):
    p = run(lib, "exclude", "8", "9", "--reason", "商业广告，不属归档范围")
    assert p.returncode == 0, p.stderr
    after = rows(lib)
    assert after[8]["status"] == after[9]["status"] == "excluded"
    detail = json.loads(events(lib, 9)[-1]["detail"])
    assert detail["reason"] == "商业广告，不属归档范围" and detail["after"]["status"] == "excluded"
    p = run(lib, "exclude", "--rule", "R13")
    assert p.returncode == 0 and rows(lib)[6]["status"] == "excluded"
    assert run(lib, "exclude", "8").returncode == 1  # already decided: one line, exit 1


def test_a_shared_doc_number_lists_the_records_and_asks_for_a_number(lib):
    p = run(lib, "confirm", "示档发〔2021〕21号", "--retention", "10年")
    assert p.returncode == 1
    assert re.search(r"│ 6 +│", p.stdout) and re.search(r"│ 7 +│", p.stdout)
    assert "请用记录号指定" in p.stderr and "Traceback" not in p.stderr
    assert rows(lib)[6]["status"] == rows(lib)[7]["status"] == "pending"  # nothing changed
    p = run(lib, "confirm", "7", "--retention", "10年")
    assert p.returncode == 0 and rows(lib)[7]["status"] == "archived"


def test_record_numbers_in_the_search_and_due_tables(lib):
    assert run(lib, "confirm", "1", "--retention", "10年", "--year", "2005").returncode == 0
    p = run(lib, "search", "档案管理办法")
    assert p.returncode == 0, p.stderr
    assert "记录号" in p.stdout.splitlines()[2]
    assert re.search(r"│ 2 +│ 待定 ", p.stdout)  # a pending record is found by its number
    p = run(lib, "audit", "--as-of", "2026-11-01")  # 2005 + 10 years: due
    assert p.returncode == 0, p.stderr
    assert "记录号" in p.stdout and re.search(r"│ 1 +│ 2005 ", p.stdout)
    p = run(lib, "list", "--status", "pending")
    assert re.search(r"│ 9 +│", p.stdout)


# ---- 3: the interactive review ---------------------------------------------------------------------
def test_review_walks_the_pending_records_from_piped_keys(lib):
    keys = ["y",  # 1: the suggestion (永久 BGS)
            "x", "重份",  # 2: excluded with a reason
            "s",  # 3: skipped
            "w",  # 4: not a key: asked again
            "",  # 4: Enter accepts (30年 YWK)
            "q"]  # 5 and later: left
    p = run(lib, "review", "-i", stdin="\n".join(keys) + "\n")
    assert p.returncode == 0, p.stderr
    after = rows(lib)
    assert (after[1]["status"], after[1]["retention"], after[1]["org"]) == ("archived", "Y", "BGS")
    assert after[2]["status"] == "excluded" and json.loads(events(lib, 2)[-1]["detail"])["reason"] == "重份"
    assert after[3]["status"] == "pending" and after[4]["status"] == "archived"
    assert all(after[i]["status"] == "pending" for i in range(5, 10))
    # the card shows the reading, the reasons and the suggestion
    for seen in ("待定 1/9", "记录号 1", "题名", "示档发〔2021〕1号", "示例县档案局", "页数",
                 "规则 R10 判定归档", "保管期限 永久", "机构 BGS", "无效的操作 “w”"):
        assert seen in p.stderr, seen
    assert "本次审核：归档 2，不归档 1，跳过 1，未审 5" in p.stderr
    assert re.search(r"│ 1 +│ 已归档 │ Z109-WS·2021-Y-BGS-0001", p.stdout)


def test_review_asks_what_a_record_lacks_and_end_of_input_stops(lib):
    # record 8 has no suggestion: the walk asks for the 保管期限 and the 机构; 9 lacks its 成文日期 too (asked
    # and corrected through archive edit, which gives the 年度); "e" corrects a field on the way
    keys = ["s"] * 7 + ["y", "5年", "10年", "", "e", "题目", "题名", "关于审核中更正题名的通知",
                        "y", "2020-05-01", "30年", "YWK"]
    p = run(lib, "review", "-i", stdin="\n".join(keys) + "\n")
    assert p.returncode == 0, p.stderr
    after = rows(lib)
    assert (after[8]["retention"], after[8]["org"], after[8]["archival_code"]) == \
        ("D10", "BGS", "Z109-WS·2021-D10-BGS-0001")
    assert after[9]["archival_code"] == "Z109-WS·2020-D30-YWK-0001"
    assert "保管期限 “5年” 无效" in p.stderr and "没有 “题目” 这一项" in p.stderr
    assert (after[9]["title"], after[9]["date"]) == ("关于审核中更正题名的通知", "2020-05-01")
    assert [e["action"] for e in events(lib, 9)][-3:] == ["edit", "edit", "confirm"]
    # input ends before any key: nothing is decided, and nothing is taken for Enter
    p = run(lib, "review", "-i", stdin="")
    assert p.returncode == 0 and "未审 7" in p.stderr
    assert run(lib, "review", "-i", "--json").returncode == 2


# ---- 5: local time, the history in Chinese, the old 档号 ------------------------------------------------
def test_times_in_local_time_and_json_keeps_iso(lib):
    assert run(lib, "confirm", "1", "--retention", "永久", "--reason", "重要制度").returncode == 0
    ts = events(lib, 1)[-1]["ts"]
    iso = dt.datetime.fromisoformat(ts)
    assert iso.utcoffset() is not None
    shanghai = iso.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    p = run(lib, "show", "1")
    assert p.returncode == 0, p.stderr
    assert shanghai in p.stdout and ts not in p.stdout
    assert "T" not in " ".join(TIME.findall(p.stdout))
    # JSON keeps the ISO form with its offset; the table shows the local wall clock
    assert run(lib, "user", "add", "王芳", "--role", "文书", "--password-stdin",
               stdin="Correct-horse-9\n").returncode == 0
    created = json.loads(run(lib, "user", "list", "--json").stdout)[0]["created_at"]
    assert dt.datetime.fromisoformat(created).utcoffset() is not None and "T" in created
    local = dt.datetime.fromisoformat(created).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert local.strftime("%Y-%m-%d %H:%M") in run(lib, "user", "list").stdout
    # another zone, set in config.toml
    text = (lib / "config.toml").read_text(encoding="utf-8")
    (lib / "config.toml").write_text(text.replace('timezone = "Asia/Shanghai"', 'timezone = "Asia/Urumqi"'),
                                     encoding="utf-8")
    urumqi = iso.astimezone(dt.timezone(dt.timedelta(hours=6))).strftime("%Y-%m-%d %H:%M")
    assert urumqi in run(lib, "show", "1").stdout


def test_an_unknown_timezone_is_one_chinese_line(tmp_path):
    path = write_config(tmp_path, **{'timezone = "Asia/Shanghai"': 'timezone = "Mars/Olympus"'})
    with pytest.raises(ConfigError, match="agency.timezone = 'Mars/Olympus' 不是已知的时区"):
        load_config(path)
    p = run_config(path, "list")
    assert p.returncode != 0 and p.stderr.count("\n") == 1 and "不是已知的时区" in p.stderr
    # the key may be left out: Asia/Shanghai
    path = write_config(tmp_path, **{'timezone = "Asia/Shanghai"': '# timezone = "Asia/Shanghai"'})
    assert load_config(path).timezone == "Asia/Shanghai"


def test_history_shows_reason_approver_and_hold_reason_in_chinese(lib):
    assert run(lib, "confirm", "5", "--retention", "10年", "--org", "YWK", "--reason", "业务检查").returncode == 0
    assert run(lib, "hold", "5", "--reason", "审计调阅").returncode == 0
    assert run(lib, "release", "5", "--reason", "审计结束").returncode == 0
    assert run(lib, "dispose", "5", "--approved-by", "张局长", "--reason", "仍有查考价值",
               "--retention", "30年").returncode == 0
    p = run(lib, "show", "5")
    assert p.returncode == 0, p.stderr
    history = p.stdout[p.stdout.index("处理记录"):]
    for seen in ("收集登记（待定）", "确认归档", "原因：业务检查", "冻结", "冻结原因：审计调阅", "解除冻结",
                 "解除原因：审计结束", "延期", "批准人：张局长", "保管期限 10年 → 30年", "状态 待定 → 归档"):
        assert seen in history, seen
    for english in ("ingest", "confirm", "hold", "release", "extend", "pending", "archived"):
        assert english not in history, english


def test_show_an_old_code_after_reclassify_points_to_the_new_one(lib):
    assert run(lib, "confirm", "1", "--retention", "30年", "--org", "BGS").returncode == 0
    old = rows(lib)[1]["archival_code"]
    assert run(lib, "reclassify", old, "--retention", "永久", "--reason", "属本机关重要制度").returncode == 0
    new = rows(lib)[1]["archival_code"]
    assert new != old
    p = run(lib, "show", old)
    assert p.returncode == 0, p.stderr
    assert f"档号 {old} 已于" in p.stderr and f"改为 {new}" in p.stderr and "属本机关重要制度" in p.stderr
    assert new in p.stdout  # the record as it is now
    assert json.loads(run(lib, "show", old, "--json").stdout)["archival_code"] == new
    # a command that changes something does not act on an old code: it says where it went
    p = run(lib, "hold", old, "--reason", "x")
    assert p.returncode == 1 and f"已改为 {new}" in p.stderr
    assert "找不到" in run(lib, "show", old.replace("0001", "0099")).stderr


# ---- the display module ------------------------------------------------------------------------------
def test_local_time_and_zone():
    assert display.local_time("2026-11-30T08:42:38+00:00", "Asia/Shanghai") == "2026-11-30 16:42"
    assert display.local_time("2026-11-30T08:42:38+00:00", "Asia/Shanghai", seconds=True) == "2026-11-30 16:42:38"
    assert display.local_time("2026-11-30T23:59:00+00:00", "Asia/Shanghai") == "2026-12-01 07:59"
    assert display.local_time("2026-11-30T08:42:38", "Asia/Shanghai") == "2026-11-30 08:42"  # no offset: as is
    assert display.local_time(None) == "" and display.local_time("不是时间") == "不是时间"
    with pytest.raises(ValueError):
        display.zone("Mars/Olympus")


def test_every_event_the_program_writes_has_a_chinese_name():
    """A new event kind without a name here would reach a clerk in English."""
    actions = set()
    for path in (ROOT / "archive").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        actions |= set(re.findall(r"append_event\(\s*\w+,\s*\"([a-z-]+)\"", text))
        actions |= set(re.findall(r"action=\"([a-z-]+)\"", text))
    actions |= {"ingest", "import", "duplicate", "failed", "refused", "backup", "restore"}  # passed as variables
    assert len(actions) > 15
    missing = sorted(a for a in actions if a not in display.EVENT_NAMES)
    assert not missing, missing
    assert display.event_name("ingest", {"status": "archived"}) == "收集归档"
    assert display.event_name("confirm", {"after": {"status": "excluded"}}) == "确认不归档"
    assert display.event_name("reclassify") == "改档" and display.event_name("destroy") == "销毁"
    # a correction's before/after (any declared field) reads by its label; bookkeeping columns stay quiet
    assert display.changes({"status": "pending", "item_no": None, "title": None},
                           {"status": "archived", "item_no": 3, "title": "关于X的通知"}) == "状态 待定 → 归档；题名 无 → 关于X的通知"


def test_review_on_a_real_terminal(lib):
    """On a terminal (a pseudo-terminal here) the keys are typed at the prompt."""
    import os
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command line on the terminal
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "archive", "--config", str(lib / "config.toml"),
                                  "review", "-i"])
    seen = b""

    def until(text: str) -> None:
        nonlocal seen
        while text.encode() not in seen:
            ready, _, _ = select.select([fd], [], [], 120)
            assert ready, f"no {text!r} on the terminal: {seen.decode(errors='replace')[-500:]}"
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk

    until("操作（")
    os.write(fd, b"y\r")
    until("已归档：记录 1")
    until("待定 2/9")
    os.write(fd, b"q\r")
    until("本次审核")
    until("用 archive review 查看")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    after = rows(lib)
    assert after[1]["status"] == "archived" and after[2]["status"] == "pending"
