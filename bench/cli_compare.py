"""What the command line says, before and after a refactor (issue 21: behaviour unchanged).

Builds a fresh archive in a temporary folder from the bundled config.toml and samples/ (the README's quick
start), then runs 40-odd representative commands, each in a real process (``python -m archive --config …``),
one after another on that archive: the watcher's single pass, list, show, search (words, 发文字号 in several
spellings, fields), stats, verify, review, confirm, exclude, edit, attach/detach, reclassify, the exports,
open, backup/restore, a catalogue import's dry run, usage errors, a missing file, some --help pages. Each
command's argv, exit code, stdout and stderr are written to a JSON file, with what legitimately varies from
run to run put in a fixed form: the temporary folder, times and dates of today, durations, checksums of files
that hold times (the catalog, a backup).

    python bench/cli_compare.py -o /work/cli_before.json         # on the tree before the change
    python bench/cli_compare.py -o /work/cli_after.json          # on the tree after it
    python bench/cli_compare.py --compare /work/cli_before.json /work/cli_after.json   # exit 1 on any difference

The commands run with no terminal (stdin empty unless a command is given lines), 80 columns and the caller's
locale; run both sides on the same machine and day.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, argv after --config, stdin). "{W}" is the work folder. Order matters: later commands see the
# changes earlier ones made.
COMMANDS: list[tuple[str, list[str], str | None]] = [
    ("help", ["--help"], None),
    ("help search", ["search", "--help"], None),
    ("help confirm", ["confirm", "--help"], None),
    ("help export package", ["export", "package", "--help"], None),
    ("watch --once", ["watch", "--once"], None),
    ("watch --once again (empty inbox)", ["watch", "--once", "--json"], None),
    ("list", ["list"], None),
    ("list --json", ["list", "--json"], None),
    ("list pending", ["list", "--status", "待定"], None),
    ("list 2022 permanent", ["list", "--year", "2022", "--retention", "永久", "--json"], None),
    ("show 1", ["show", "1"], None),
    ("show 2 --json", ["show", "2", "--json"], None),
    ("show by archival code", ["show", "Z109-WS·2022-D30-YWK-0002"], None),
    ("show by doc number", ["show", "示档发〔2022〕1号"], None),
    ("show not filed", ["show", "3", "--json"], None),
    ("show missing", ["show", "999"], None),
    ("search words", ["search", "档案"], None),
    ("search words --json", ["search", "档案", "--json"], None),
    ("search docno 〔〕", ["search", "示政发〔2022〕2号", "--json"], None),
    ("search docno []", ["search", "[2022]2号", "--json"], None),
    ("search docno 年", ["search", "2022年2号", "--json"], None),
    ("search docno short", ["search", "〔2022〕2号"], None),
    ("search field", ["search", "title:台风", "--json"], None),
    ("search fields AND", ["search", "title:档案 AND year:2022", "--json"], None),
    ("search filters", ["search", "值班", "--year", "2023", "--retention", "10年", "--json"], None),
    ("search nothing", ["search", "没有这样的词语"], None),
    ("stats", ["stats"], None),
    ("stats --json", ["stats", "--json"], None),
    ("verify", ["verify"], None),
    ("verify --json", ["verify", "--json"], None),
    ("rules", ["rules"], None),
    ("review", ["review"], None),
    ("review --json", ["review", "--json"], None),
    ("review -i skip", ["review", "-i"], "s\n"),
    ("edit pending", ["edit", "8", "--doc-number", "某科函〔2023〕8号", "--pages", "2", "--reason", "补录文号", "--json"],
     None),
    ("show edited", ["show", "8"], None),
    ("edit no reason", ["edit", "8", "--title", "新题名"], None),
    ("confirm", ["confirm", "8", "--retention", "10年", "--org", "BGS", "--json"], None),
    ("confirm again", ["confirm", "8", "--retention", "10年", "--org", "BGS"], None),
    ("attach", ["attach", "1", "{W}/附件.txt", "--role", "附件", "--reason", "补充附件", "--json"], None),
    ("show after attach", ["show", "1"], None),
    ("detach", ["detach", "1", "2", "--reason", "附加错误", "--json"], None),
    ("review after detach", ["review", "--json"], None),
    ("exclude", ["exclude", "9", "--reason", "无需归档", "--json"], None),
    ("exclude not pending", ["exclude", "1", "--reason", "x"], None),
    ("reclassify", ["reclassify", "6", "--retention", "30年", "--reason", "重新鉴定", "--json"], None),
    ("reclassify unchanged", ["reclassify", "6", "--retention", "30年", "--reason", "再次"], None),
    ("export catalog csv", ["export", "catalog", "--year", "2022", "-o", "{W}/目录2022.csv", "--json"], None),
    ("export catalog xlsx", ["export", "catalog", "--year", "2023", "-o", "{W}/目录2023.xlsx"], None),
    ("export catalog exists", ["export", "catalog", "--year", "2022", "-o", "{W}/目录2022.csv"], None),
    ("export package", ["export", "package", "--year", "2022", "-o", "{W}/移交包", "--json"], None),
    ("export stamp", ["export", "stamp", "1", "-o", "{W}/盖章.pdf"], None),
    ("open", ["open", "1", "-o", "{W}/取出", "--json"], None),
    ("open again", ["open", "1", "-o", "{W}/取出"], None),
    ("backup", ["backup", "-o", "{W}/备份.tar"], None),
    ("restore", ["restore", "{W}/备份.tar", "--to", "{W}/恢复"], None),
    ("restore into a non-empty folder", ["restore", "{W}/备份.tar", "--to", "{W}/恢复"], None),
    ("import catalog --dry-run", ["import", "catalog", "{W}/旧目录.csv", "--dry-run", "--json"], None),
    ("import catalog missing file", ["import", "catalog", "{W}/没有.xlsx"], None),
    ("ingest missing file", ["ingest", "{W}/没有这个文件.pdf"], None),
    ("usage: bad integer", ["list", "--year", "zz"], None),
    ("usage: no such command", ["frobnicate"], None),
    ("usage: no such option", ["export", "catalog", "--zz"], None),
    ("usage: missing argument", ["show"], None),
    ("usage: confirm nothing", ["confirm", "--retention", "永久"], None),
    ("list after all", ["list", "--json"], None),
    ("verify after all", ["verify", "--json"], None),
]

OLD_CATALOG = [  # a small catalogue from an old system (Chinese column names), for the dry run
    {"档号": "Z109-WS·2018-Y-BGS-0001", "题名": "示例县档案局关于印发年度工作要点的通知", "文号": "示档发〔2018〕1号",
     "责任者": "示例县档案局", "日期": "20180105", "页数": "3", "保管期限": "永久", "机构": "BGS"},
    {"档号": "Z109-WS·2018-D30-YWK-0001", "题名": "示例县人民政府关于档案工作的批复", "文号": "示政函〔2018〕7号",
     "责任者": "示例县人民政府", "日期": "20180312", "页数": "2", "保管期限": "30年", "机构": "YWK"},
    {"档号": "Z109-WS·2018-D30-YWK-0001", "题名": "档号重复的一件", "文号": "", "责任者": "示例县档案局",
     "日期": "20181301", "页数": "x", "保管期限": "30年", "机构": "YWK"},
]


def build(work: Path) -> None:
    """The README's quick start in ``work``: config.toml beside an inbox holding the samples."""
    shutil.copy(ROOT / "config.toml", work / "config.toml")
    (work / "inbox").mkdir()
    for f in sorted((ROOT / "samples").iterdir()):
        if f.is_file() and f.suffix != ".py":
            shutil.copy(f, work / "inbox" / f.name)
    (work / "附件.txt").write_text("示例县档案局\n档案管理办法附件：档案分类方案\n2022年1月1日\n", encoding="utf-8")
    with open(work / "旧目录.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(OLD_CATALOG[0]))
        w.writeheader()
        w.writerows(OLD_CATALOG)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR") and not k.startswith("ARCHIVE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env["PYTHONHASHSEED"] = "0"
    return env


_TODAY = dt.date.today()
_PATTERNS: list[tuple[re.Pattern, str]] = [
    # times: ISO (2026-12-07T18:01:02.123+08:00), with a space, compact, and HH:MM:SS alone
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), "<TIME>"),
    (re.compile(r"\b\d{8}T\d{6}\b"), "<TIME>"),
    (re.compile(r"(?<![\d:])\d{2}:\d{2}:\d{2}(?![\d:])"), "<TIME>"),
    # durations, rates, and the size of a transfer package (its metadata holds times written to the microsecond)
    (re.compile(r'"(seconds|elapsed|[a-z_]*per_second)": [0-9.]+'), r'"\1": <N>'),
    (re.compile(r'"bytes": [0-9]+'), '"bytes": <N>'),
    (re.compile(r"\d+(\.\d+)?\s*(秒|毫秒|分钟|s\b|ms\b)"), "<DURATION>"),
    (re.compile(r"\d+(\.\d+)?\s*(件|个文件)/(秒|分钟)"), "<RATE>"),
]
_TODAY_FORMS = {_TODAY.isoformat(): "<TODAY>", _TODAY.strftime("%Y%m%d"): "<TODAY>",
                f"{_TODAY.year}年{_TODAY.month}月{_TODAY.day}日": "<TODAY>"}


def normalise(text: str, work: Path, volatile: set[str]) -> str:
    for w in {str(work), str(work.resolve())}:
        text = text.replace(w, "<W>")
    for sha in volatile:
        text = text.replace(sha, "<SHA256-VOLATILE>")
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    for form, repl in _TODAY_FORMS.items():
        text = text.replace(form, repl)
    return text


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _volatile_hashes(work: Path) -> set[str]:
    """SHA-256 of the files the commands wrote that hold times of their own (catalog, backup, exports, stamped
    copies): their checksums differ from run to run although nothing else does. The documents filed (and
    their copies) are the same every run and keep theirs."""
    documents = {_sha256(f) for f in (ROOT / "samples").iterdir() if f.is_file()} | {_sha256(work / "附件.txt")}
    return {h for h in (_sha256(p) for p in work.rglob("*") if p.is_file() and not p.is_symlink())
            if h not in documents}


def run_all(work: Path) -> list[dict]:
    build(work)
    cfg = work / "config.toml"
    env = _env()
    results = []
    for name, argv, stdin in COMMANDS:
        argv = [a.replace("{W}", str(work)) for a in argv]
        full = [sys.executable, "-m", "archive", "--config", str(cfg), *argv]
        started = time.monotonic()
        p = subprocess.run(full, cwd=work, env=env, capture_output=True, timeout=900,
                           input=(stdin or "").encode("utf-8"))
        results.append({"name": name, "argv": ["archive", "--config", "<W>/config.toml", *argv], "stdin": stdin,
                        "returncode": p.returncode, "stdout": p.stdout.decode("utf-8", "replace"),
                        "stderr": p.stderr.decode("utf-8", "replace"),
                        "seconds": round(time.monotonic() - started, 2)})
    volatile = _volatile_hashes(work)
    for r in results:
        r["argv"] = [normalise(a, work, set()) for a in r["argv"]]
        r["stdout"] = normalise(r["stdout"], work, volatile)
        r["stderr"] = normalise(r["stderr"], work, volatile)
    return results


def compare(a_path: Path, b_path: Path) -> int:
    """Print every difference between two runs; 1 when there is any."""
    a = {r["name"]: r for r in json.loads(a_path.read_text(encoding="utf-8"))["commands"]}
    b = {r["name"]: r for r in json.loads(b_path.read_text(encoding="utf-8"))["commands"]}
    differences = 0
    for name in [*a, *(n for n in b if n not in a)]:
        if name not in a or name not in b:
            print(f"== {name}: only in {a_path.name if name in a else b_path.name}")
            differences += 1
            continue
        for field in ("argv", "stdin", "returncode", "stdout", "stderr"):
            x, y = a[name].get(field), b[name].get(field)
            if x == y:
                continue
            differences += 1
            print(f"== {name}: {field} differs")
            if isinstance(x, str) and isinstance(y, str):
                sys.stdout.writelines(difflib.unified_diff(x.splitlines(True), y.splitlines(True),
                                                           str(a_path), str(b_path), n=2))
                print()
            else:
                print(f"   {a_path.name}: {x!r}\n   {b_path.name}: {y!r}")
    print(f"{len(a)} 与 {len(b)} 条命令比较：{differences} 处不同" if differences else
          f"{len(a)} 条命令的退出码、标准输出和标准错误完全相同")
    return 1 if differences else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", type=Path, help="write the runs to this JSON file")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("A.json", "B.json"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary archive (its path is printed)")
    args = ap.parse_args()
    if args.compare:
        return compare(*args.compare)
    if args.output is None:
        ap.error("-o or --compare")
    work = Path(tempfile.mkdtemp(prefix="cli-compare-"))
    try:
        results = run_all(work)
    finally:
        if args.keep:
            print(work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    doc = {"commands": [{k: v for k, v in r.items() if k != "seconds"} for r in results],
           "seconds": {r["name"]: r["seconds"] for r in results}}
    args.output.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(results)} commands → {args.output} ({sum(r['seconds'] for r in results):.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
