"""Issue 13, point 4 (second half) and parts of point 8, through the real command in its own process:

- option values in Chinese as well as the English codes kept for scripts (archive/words.py), status names in
  Chinese inside messages;
- a library's error (TOML, jsonschema, BagIt, tar, openpyxl, zip) is one Chinese line through our error types;
- ``archive init`` writes a starter config.toml with Chinese comments, and never overwrites one;
- no output replaces an existing file without ``--force``;
- ``archive completion bash|zsh|fish``, and completion answers (a REF-taking command included) in real bash.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from archive import words
from archive.errors import ArchiveError, UsageError, library_reason, toml_reason
from tests.conftest import ROOT, write_config
from tests.clirun import run_config

VENV_BIN = Path(sys.executable).parent


def _cli(cfg: Path | None, *args, cwd: Path | None = None, env: dict | None = None):
    return run_config(cfg or None, *args, cwd=cwd, env=env, universal=False)


# English a library would print; none may reach the clerk
LIBRARY_ENGLISH = re.compile(r"Invalid|Expected|validation|expected|exists in manifest|not a zip|could not|"
                             r"unexpected end|\bBag\b|File is not|Traceback|Error\b|openpyxl|column \d", re.I)


def _one_line(r, code: int) -> str:
    """A failure the clerk sees as one Chinese line, no traceback, no library English."""
    lines = [x for x in r.stderr.splitlines() if x.strip() and not x.startswith("注意：")]
    assert len(lines) == 1 and lines[0].startswith("错误："), r.stderr
    assert r.returncode == code, (r.returncode, r.stderr)
    msg = lines[0]
    # paths and file names may hold anything; the rest must be free of the library's English
    text = re.sub(r"(/[^\s：（）]+)", " ", msg)
    assert not LIBRARY_ENGLISH.search(text.replace("BagIt", "")), msg
    return msg


@pytest.fixture(scope="module")
def filed(tmp_path_factory):
    """An archive with one archived record (a 请示 of our own, 2015) and one pending (a company's letter)."""
    tmp = tmp_path_factory.mktemp("words")
    cfg = write_config(tmp)
    src = tmp / "src"
    src.mkdir()
    shutil.copy(ROOT / "samples" / "05 档案局关于申请馆舍建设经费的请示.txt", src / "05.txt")
    shutil.copy(ROOT / "samples" / "08 科技公司来函.txt", src / "08.txt")
    r = _cli(cfg, "ingest", src, "--json")
    assert r.returncode == 0, r.stderr
    out = {Path(x["file"]).name: x for x in json.loads(r.stdout)}
    assert out["05.txt"]["outcome"] == "archived" and out["08.txt"]["outcome"] == "pending"
    return cfg, out["05.txt"], out["08.txt"]


def _copy(filed, tmp_path) -> Path:
    """A private copy of the filed archive, for commands that change it."""
    cfg = filed[0]
    shutil.copytree(cfg.parent, tmp_path / "a", ignore=shutil.ignore_patterns("src"))
    return tmp_path / "a" / "config.toml"


# ---- (4) the value words -------------------------------------------------------------------------------
def test_value_words_map_both_ways():
    for typed, code in (("待定", "pending"), ("已归档", "archived"), ("归档", "archived"), ("不归档", "excluded"),
                        ("已销毁", "destroyed"), ("pending", "pending"), ("ARCHIVED", "archived"),
                        ("待 定", "pending"), ("ｐｅｎｄｉｎｇ", "pending")):
        assert words.status(typed) == code, typed
        assert words.status_name(code) in words.STATUS_NAMES.values()
    for typed, code in (("延期", "extend"), ("续存", "extend"), ("延长", "extend"), ("extend", "extend"),
                        ("销毁", "destroy"), ("存疑", "doubtful")):
        assert words.decision(typed) == code, typed
    for typed, code in (("永久", "Y"), ("30年", "D30"), ("三十年", "D30"), ("定期30年", "D30"), ("３０年", "D30"),
                        ("10年", "D10"), ("十年", "D10"), ("Y", "Y"), ("D30", "D30"), ("d10", "D10")):
        assert words.retention(typed) == code, typed
    for typed, code in (("xlsx", "xlsx"), ("表格", "xlsx"), ("Excel", "xlsx"), ("文档", "docx"), ("PDF", "pdf"),
                        (".csv", "csv")):
        assert words.table_format(typed) == code, typed
    assert words.status(None) is None and words.retention(None) is None


@pytest.mark.parametrize("call,expect", [
    (lambda: words.status("zz"), "应为 待定、已归档、不归档、已销毁"),
    (lambda: words.status("已销毁", ("archived", "excluded", "pending")), "应为 已归档、不归档、待定"),
    (lambda: words.decision("作废"), "应为 销毁、延期"),
    (lambda: words.retention("长期"), "2006 年以前的期限，现行期限只有 永久、30年、10年"),
    (lambda: words.retention("半永久"), "应为 永久、30年、10年"),
    (lambda: words.table_format("doc"), "应为 xlsx、docx、pdf、csv"),
])
def test_a_wrong_value_is_one_chinese_line_with_the_chinese_values(call, expect):
    with pytest.raises(UsageError) as e:
        call()
    assert expect in str(e.value)
    assert not re.search(r"pending|archived|excluded|destroyed|extend", str(e.value)), str(e.value)


def test_help_shows_the_chinese_values():
    for argv, shown in ((("list", "--help"), "待定 / 已归档 / 不归档 / 已销毁"),
                        (("reclassify", "--help"), "已归档 / 不归档 / 待定"),
                        (("dispose", "--help"), "[默认：延期]"),
                        (("show", "--help"), "{记录}")):
        r = _cli(None, *argv)
        assert r.returncode == 0 and shown in r.stdout, r.stdout
        assert not re.search(r"\b(pending|archived|excluded|destroyed|extend|ref)\b", r.stdout), r.stdout


def test_chinese_and_english_values_select_the_same_records(filed):
    cfg, archived, pending = filed
    for zh, en in (("待定", "pending"), ("已归档", "archived"), ("不归档", "excluded")):
        a, b = _cli(cfg, "list", "--status", zh, "--json"), _cli(cfg, "list", "--status", en, "--json")
        assert a.returncode == b.returncode == 0, a.stderr + b.stderr
        assert json.loads(a.stdout) == json.loads(b.stdout)
    ids = [x["id"] for x in json.loads(_cli(cfg, "list", "--status", "待定", "--json").stdout)]
    assert ids == [pending["id"]]
    found = json.loads(_cli(cfg, "search", "馆舍", "--status", "已归档", "--json").stdout)
    assert [x["id"] for x in found] == [archived["id"]]
    assert json.loads(_cli(cfg, "search", "馆舍", "--status", "待定", "--json").stdout) == []
    ret = archived["archival_code"].split("-")[2]  # Y / D30 / D10 inside the 档号
    name = {"Y": "永久", "D30": "30年", "D10": "10年"}[ret]
    assert [x["id"] for x in json.loads(_cli(cfg, "list", "--retention", name, "--json").stdout)] == [archived["id"]]
    r = _cli(cfg, "list", "--status", "作废")
    assert "应为 待定、已归档、不归档、已销毁" in _one_line(r, 2)


def test_status_names_in_messages_are_chinese(filed, tmp_path):
    cfg = _copy(filed, tmp_path)
    _, archived, pending = filed
    r = _cli(cfg, "confirm", pending["id"], "--retention", "三十年", "--org", "BGS", "--year", "2015")
    assert r.returncode == 0, r.stderr
    assert "状态 待定 → 已归档" in r.stderr and "保管期限 无 → 30年" in r.stderr, r.stderr
    r = _cli(cfg, "reclassify", pending["id"], "--status", "不归档", "--reason", "核对后不属归档范围")
    assert r.returncode == 0, r.stderr
    assert "状态 已归档 → 不归档" in r.stderr, r.stderr
    r = _cli(cfg, "confirm", archived["id"], "--retention", "永久")
    msg = _one_line(r, 1)
    assert "不是待定状态（现为已归档）" in msg
    assert not re.search(r"pending|archived|excluded", r.stderr), r.stderr
    r = _cli(cfg, "dispose", pending["id"], "--decision", "续存", "--retention", "永久", "--approved-by", "王局长",
             "--reason", "仍有查考价值")
    assert "状态为不归档，只有已归档的记录可以处置" in _one_line(r, 1)
    r = _cli(cfg, "dispose", archived["id"], "--decision", "销毁", "--approved-by", "王局长", "--reason", "x")
    assert "销毁须按鉴定程序进行" in _one_line(r, 1)
    r = _cli(cfg, "dispose", archived["id"], "--decision", "作废", "--approved-by", "王局长", "--reason", "x")
    assert "--decision “作废” 无效" in _one_line(r, 2)


def test_format_in_chinese(filed, tmp_path):
    cfg = filed[0]
    out = tmp_path / "目录"
    r = _cli(cfg, "export", "catalog", "--year", filed[1]["year"], "--format", "表格", "-o", out)
    assert r.returncode == 0, r.stderr
    assert zipfile.is_zipfile(out)  # an xlsx, whatever the name says


# ---- (4) library errors -----------------------------------------------------------------------------------
def test_toml_syntax_error_names_line_and_column(tmp_path):
    cfg = write_config(tmp_path, **{'name = "示例县档案局"': "name = 示例县档案局"})
    line = next(i for i, x in enumerate(cfg.read_text(encoding="utf-8").splitlines(), 1)
                if x.startswith("name = 示例县档案局"))
    msg = _one_line(_cli(cfg, "list"), 2)
    assert f"不是有效的 TOML，第 {line} 行第 8 列：值无效" in msg and "name = 示例县档案局" in msg, msg
    cfg.write_text('[agency]\nname = "x"\n[agency]\n', encoding="utf-8")
    assert "第 3 行第 8 列：同一个键或表写了两次：[agency]" in _one_line(_cli(cfg, "list"), 2)
    cfg.write_text('[agency\n', encoding="utf-8")
    assert "表名缺少右方括号" in _one_line(_cli(cfg, "list"), 2)
    cfg.write_bytes("[agency]\nname = \"示例\"\n".encode("gb18030"))
    assert "不是 UTF-8 编码" in _one_line(_cli(cfg, "list"), 2)


def test_every_tomllib_message_has_a_chinese_reason():
    for src in ('a = ', 'a = 1 2', 'a', '[a', '[[a]', 'a = "x', 'a = [1', 'a = {b = 1', 'a = 1\na = 2',
                'a = 1979-13-45', 'a = "\\q"', 'a = "\x01"', '= 1', 'a = {b = 1, b = 2}'):
        with pytest.raises(tomllib.TOMLDecodeError) as e:
            tomllib.loads(src)
        reason = toml_reason(e.value)
        assert not re.search(r"[A-Za-z]{3,}", reason.replace("name", "")), (src, str(e.value), reason)


def test_schema_errors_are_chinese(tmp_path):
    cfg = write_config(tmp_path, **{"supervisors_min = 2 ": "supervisors_min = 1 ", "settle_seconds = 2.0": "settle_seconds = -1"})
    msg = _one_line(_cli(cfg, "list"), 2)
    assert "appraisal.supervisors_min = 1：应不小于 2" in msg and "watch.settle_seconds = -1：应不小于 0" in msg, msg
    assert "minimum" not in msg


def test_mapping_file_toml_error(filed, tmp_path):
    cfg = filed[0]
    (tmp_path / "mapping.toml").write_text("[columns]\nDH = 档号\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("档号,题名\n", encoding="utf-8")
    msg = _one_line(_cli(cfg, "import", "catalog", tmp_path / "c.csv", "--map", tmp_path / "mapping.toml",
                         "--dry-run"), 1)
    assert "映射文件" in msg and "第 2 行第 6 列：值无效" in msg, msg


def test_bagit_errors_are_chinese(filed, tmp_path):
    cfg = filed[0]
    bag = tmp_path / "移交包"
    r = _cli(cfg, "export", "package", "--year", filed[1]["year"], "-o", bag)
    assert r.returncode == 0, r.stderr
    target = tmp_path / "b" / "config.toml"
    target.parent.mkdir()
    write_config(target.parent, **{'fonds = "Z109"': 'fonds = "Z109"'})
    # a payload file changed after the export
    payload = next(p for p in (bag / "data" / "records").glob("*.json"))
    data = payload.read_bytes()
    payload.write_bytes(data[:-1] + (b" " if data[-1:] != b" " else b"\n"))  # same size, other content
    msg = _one_line(_cli(target, "import", "package", bag), 1)
    assert "校验失败" in msg and "校验值不符" in msg and payload.name in msg, msg
    # a file the manifest does not list, and one it lists that is gone
    payload.unlink()
    (bag / "data" / "extra.txt").write_text("x", encoding="utf-8")
    msg = _one_line(_cli(target, "import", "package", bag), 1)
    assert "列在清单中，但文件不存在" in msg or "Payload-Oxum 不符" in msg, msg
    (bag / "bagit.txt").unlink()
    msg = _one_line(_cli(target, "import", "package", bag), 1)
    assert "不是有效的 BagIt 移交包：缺少 bagit.txt" in msg, msg
    assert not (target.parent / "store" / "catalog.sqlite").exists() or not sqlite3.connect(
        target.parent / "store" / "catalog.sqlite").execute("SELECT count(*) FROM documents").fetchone()[0]


def test_damaged_backups_are_one_chinese_line(filed, tmp_path):
    cfg = filed[0]
    good = tmp_path / "好.tar"
    assert _cli(cfg, "backup", "-o", good).returncode == 0
    data = good.read_bytes()
    cut = tmp_path / "截断.tar"
    cut.write_bytes(data[: len(data) // 2])
    empty = tmp_path / "空.tar"
    empty.write_bytes(b"")
    text = tmp_path / "文本.tar"
    text.write_text("这不是备份\n" * 200, encoding="utf-8")
    for f, expect in ((cut, "文件不完整（在中途截断）"), (empty, "文件是空的"), (text, "不是 tar 文件，或已损坏")):
        to = tmp_path / f"恢复-{f.stem}"
        msg = _one_line(_cli(None, "restore", f, "--to", to), 1)
        assert expect in msg and str(f.name) in msg, msg
        assert not to.exists() or not any(to.iterdir())
    with tarfile.open(good) as t:  # the good one still restores
        assert t.getmembers()


def test_excel_errors_are_chinese(filed, tmp_path):
    cfg = filed[0]
    fake = tmp_path / "目录.xlsx"
    fake.write_text("档号,题名\n", encoding="utf-8")
    msg = _one_line(_cli(cfg, "import", "catalog", fake, "--dry-run"), 1)
    assert "无法读取 Excel 文件" in msg and "读不出其中的 ZIP 压缩包" in msg, msg
    broken = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("hello.txt", "x")
    msg = _one_line(_cli(cfg, "import", "catalog", broken, "--dry-run"), 1)
    assert "无法读取 Excel 文件" in msg, msg
    msg = _one_line(_cli(cfg, "appraise", "--member", "甲", "--member", "乙", "--from", fake), 1)
    assert "无法读取鉴定表" in msg and "ZIP" in msg, msg


def test_library_reason_of_each_kind():
    import bagit
    import jsonschema

    with pytest.raises(zipfile.BadZipFile) as z:
        zipfile.ZipFile(__file__)
    assert "ZIP" in library_reason(z.value)
    v = jsonschema.Draft202012Validator({"type": "integer", "maximum": 3})
    assert library_reason(next(v.iter_errors(5))) == "（顶层） = 5：应不大于 3"
    e = bagit.BagValidationError("Bag validation failed", [bagit.FileMissing("data/a.pdf")])
    assert library_reason(e) == "有文件与清单不符（data/a.pdf 列在清单中，但文件不存在）"
    assert library_reason(ValueError("x")) is None
    assert isinstance(UsageError("x"), ArchiveError)


# ---- (8) archive init ---------------------------------------------------------------------------------------
def test_init_writes_a_starter_config_in_an_empty_folder(tmp_path):
    r = _cli(None, "init", "--agency", "某某县档案局", "--fonds", "Z001", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    cfg = tmp_path / "config.toml"
    text = cfg.read_text(encoding="utf-8")
    comments = [x for x in text.splitlines() if "#" in x]
    assert len(comments) > 40 and all(re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", x.split("#", 1)[1]) or not x.split("#", 1)[1].strip()
                                      for x in comments if x.lstrip().startswith("#"))
    raw = tomllib.loads(text)
    assert raw["agency"]["name"] == "某某县档案局" and raw["agency"]["fonds"] == "Z001"
    assert raw["agency"]["timezone"] == "Asia/Shanghai"
    assert raw["paths"] == {"inbox": "inbox", "store": "store"}
    assert len(raw["rules"]) >= 5 and {r["then"]["scope"] for r in raw["rules"]} == {"归档", "不归档"}
    assert {r["then"].get("retention") for r in raw["rules"]} >= {"永久", "30年", "10年"}
    assert (tmp_path / "store" / "catalog.sqlite").exists() and (tmp_path / "inbox").is_dir()
    # the starter config works: a document of our own is classified by its rules
    (tmp_path / "inbox" / "a.txt").write_text("某某县档案局文件\n某档〔2024〕1号\n某某县档案局关于档案工作的决定\n"
                                              "各单位：\n现决定如下。\n某某县档案局\n2024年3月2日\n", encoding="utf-8")
    r = _cli(None, "rules", cwd=tmp_path)
    assert r.returncode == 0 and "R10" in r.stdout, r.stderr
    # a second init leaves it alone, byte for byte
    before = cfg.read_bytes()
    r = _cli(None, "init", "--agency", "别的名字", cwd=tmp_path)
    assert r.returncode == 0 and "已存在，未改动" in r.stderr, r.stderr
    assert cfg.read_bytes() == before
    # --force: a new one, the old kept beside
    r = _cli(None, "init", "--force", "--fonds", "Z002", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    kept = list(tmp_path.glob("config.toml.*.bak"))
    assert len(kept) == 1 and kept[0].read_bytes() == before
    assert tomllib.loads(cfg.read_text(encoding="utf-8"))["agency"]["fonds"] == "Z002"


def test_init_with_a_bad_fonds_writes_nothing(tmp_path):
    msg = _one_line(_cli(None, "init", "--fonds", "Z-1", cwd=tmp_path), 2)
    assert "全宗号 “Z-1” 无效" in msg
    assert list(tmp_path.iterdir()) == []


def test_init_honours_config_option_and_env(tmp_path):
    where = tmp_path / "office" / "档案.toml"
    where.parent.mkdir()
    assert _cli(where, "init").returncode == 0
    assert where.exists() and (where.parent / "store").is_dir()
    env_cfg = tmp_path / "env.toml"
    assert _cli(None, "init", env={"ARCHIVE_CONFIG": str(env_cfg)}, cwd=tmp_path).returncode == 0
    assert env_cfg.exists()


# ---- (8) --force --------------------------------------------------------------------------------------------
def test_outputs_refuse_an_existing_file_without_force(filed, tmp_path):
    cfg = _copy(filed, tmp_path)
    cases = [
        ("export", "catalog", "--year", str(filed[1]["year"]), "-o", "{f}.xlsx"),
        ("export", "destruction", "-o", "{f}.xlsx"),
        ("verify", "-o", "{f}.csv"),
        ("audit", "-o", "{f}.xlsx"),
        ("rules", "-o", "{f}.csv"),
        ("backup", "-o", "{f}.tar"),
        ("import", "catalog", str(tmp_path / "c.csv"), "--dry-run", "--report", "{f}.csv"),
        ("appraise", "--member", "甲", "--member", "乙", "-o", "{f}.xlsx"),
        ("destroy", "1", "--supervisor", "甲", "--supervisor", "乙", "--method", "粉碎", "--place", "x", "-o", "{f}.xlsx"),
    ]
    (tmp_path / "c.csv").write_text("档号,题名,年度,保管期限\nZ109-WS·2015-Y-BGS-0099,题名,2015,永久\n", encoding="utf-8")
    for i, argv in enumerate(cases):
        target = tmp_path / f"已有{i}"
        argv = [a.replace("{f}", str(target)) for a in argv]
        out = Path(next(a for a in argv if str(target) in a))
        out.write_text("原有内容", encoding="utf-8")
        msg = _one_line(_cli(cfg, *argv), 1)
        assert msg == f"错误：输出文件已存在：{out}（如要覆盖，请加 --force）" or (
            argv[0] == "backup" and f"{out} 已存在" in msg and "--force" in msg), (argv, msg)
        assert out.read_text(encoding="utf-8") == "原有内容", argv
    # nothing was done: no appraisal, no destruction, no import
    conn = sqlite3.connect(cfg.parent / "store" / "catalog.sqlite")
    assert conn.execute("SELECT count(*) FROM appraisals").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
    conn.close()
    # with --force the file is replaced
    for argv, check in ((("export", "catalog", "--year", filed[1]["year"], "-o", tmp_path / "已有0.xlsx", "--force"),
                         zipfile.is_zipfile),
                        (("backup", "-o", tmp_path / "已有5.tar", "--force"), tarfile.is_tarfile),
                        (("rules", "-o", tmp_path / "已有4.csv", "--force"),
                         lambda p: "R10" in p.read_text(encoding="utf-8-sig"))):
        r = _cli(cfg, *argv)
        assert r.returncode == 0, r.stderr
        assert check(Path(argv[-2])), argv


# ---- (8) shell completion -----------------------------------------------------------------------------------
def test_completion_scripts():
    for shell in ("bash", "zsh", "fish"):
        r = _cli(None, "completion", shell)
        assert r.returncode == 0, r.stderr
        assert "archive" in r.stdout and "_ARCHIVE_COMPLETE" in r.stdout
    bash = _cli(None, "completion").stdout  # bash by default
    assert "complete -o default -F _archive_completion archive" in bash
    if shutil.which("bash"):
        assert subprocess.run(["bash", "-n"], input=bash.encode(), timeout=60).returncode == 0
    msg = _one_line(_cli(None, "completion", "tcsh"), 2)
    assert "不支持的 shell “tcsh”：应为 bash、zsh、fish" in msg


def _complete(words_: str, filed_cfg: Path | None = None) -> subprocess.CompletedProcess:
    """Press TAB after ``words_`` in a real bash that loaded ``archive completion bash``."""
    script = _cli(None, "completion", "bash").stdout
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}
    if filed_cfg:
        env["ARCHIVE_CONFIG"] = str(filed_cfg)
    prog = (f"{script}\nCOMP_WORDS=({words_}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1));"
            " _archive_completion archive; printf '%s\\n' \"${COMPREPLY[@]}\"")
    return subprocess.run(["bash", "-c", prog], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.skipif(not shutil.which("bash") or not (VENV_BIN / "archive").exists(), reason="needs bash and the entry point")
def test_completion_answers_in_bash(filed):
    cfg = filed[0]
    r = _complete("archive sh")
    assert r.returncode == 0 and r.stdout.split() == ["show"], r
    r = _complete("archive list --status ''")
    assert r.stdout.split() == ["待定", "已归档", "不归档", "已销毁"], r
    r = _complete("archive confirm 1 --retention 3")
    assert r.stdout.split() == ["30年"], r
    r = _complete("archive export ''")
    assert {"catalog", "stamp", "package", "destruction"} <= set(r.stdout.split()), r
    # REF-taking commands: no crash, no traceback, nothing guessed (the shell falls back to file names)
    for line in ("archive show ''", "archive show 示档〔2017〕", "archive open Z109-WS·2015", "archive hold ''",
                 "archive export stamp ''", "archive dispose 1 ''", "archive reclassify '\"abc'"):
        r = _complete(line, cfg)
        assert r.returncode == 0 and "Traceback" not in r.stderr and r.stderr.strip() == "", (line, r)
