"""Click's and Typer's own texts reach the clerk in Chinese (archive/clitext.py).

Every command's and sub-command's ``--help`` (the command tree is walked, not listed) and the usual usage errors
go through the real entry point ``archive.cli.main``; a few also through ``python -m archive`` in a process of
their own. English in the output is sorted in two: words from Click/Typer (must be none) and words of our own
help texts, argument names and option values (must be none as well: ``test_own_help_and_values_are_chinese``).
The installed Click/Typer source is read as well, so a new version's untranslated message fails loudly here.
"""

from __future__ import annotations

import ast
import enum
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main

from archive import clitext
from archive.cli import app, main

ROOT = Path(__file__).resolve().parent.parent

# Words a clerk may see in English: product, format and standard names, and what a clerk types as it is.
ALLOWED = {
    "bagit", "ofd", "pdf", "docx", "doc", "wps", "rtf", "json", "csv", "xlsx", "xls", "xml", "txt", "png", "jpg",
    "tiff", "sha", "da", "gb", "utf", "toml", "excel", "whoosh", "tar", "argon2", "uuid", "shell", "ocr", "html",
    "http", "https", "url", "id", "a4", "api", "fts5", "sqlite", "ip", "cpu", "os", "gbt", "dat", "bigram",
    "libreoffice", "tesseract", "rapidocr", "pypdfium2", "chromium", "bash", "zsh", "fish",
}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['’][a-z]+)?")
# Pieces that are not words a clerk reads: option names, environment variables, file names, paths, codes.
NOT_WORDS = re.compile(
    r"(?<![\w-])--?[A-Za-z][\w-]*"          # --json, -o
    r"|\$[A-Z_]+"                            # $ARCHIVE_CONFIG
    r"|[\w./-]*\w\.(?:toml|sqlite|json|csv|xlsx|docx|pdf|ofd|tar|xml|txt|py)\b"  # config.toml
    r"|(?:\w+/)+\w*"                         # store/files/xx
    r"|\b[A-Z]\d+\b|\b\d+[A-Za-z]+\b"        # D30, 2022a
)


def command_tree():
    """(path, click command) for the root and every command and sub-command, walked from the Typer app."""
    root = typer.main.get_command(app)
    out, todo = [], [((), root)]
    while todo:
        path, cmd = todo.pop(0)
        out.append((path, cmd))
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            todo.append(((*path, name), sub))
    return out


TREE = command_tree()
LEAVES = [(p, c) for p, c in TREE if not getattr(c, "commands", None)]


def own_words() -> set[str]:
    """English words of our own texts: help strings, command and argument names, option names' parts."""
    words: set[str] = set()

    def add(text):
        for w in WORD.findall(NOT_WORDS.sub(" ", text or "")):
            words.add(w.lower())

    for path, cmd in TREE:
        for p in path:
            add(p)
        add(cmd.help)
        add(getattr(cmd, "short_help", None))
        for param in cmd.params:
            add(getattr(param, "help", None))
            add(param.name)
            add(getattr(param, "metavar", None))
    # our own messages (archive/*.py) name our English option values, e.g. 应为 archived / pending / ...
    for py in (ROOT / "archive").glob("*.py"):
        if py.name == "clitext.py":
            continue
        for s in re.findall(r"[\"']([^\"'\n]*[\u4e00-\u9fff][^\"'\n]*)[\"']", py.read_text(encoding="utf-8")):
            add(s)
    return words


OWN = own_words()


def english(text: str, typed: tuple[str, ...] = ()) -> tuple[set[str], set[str]]:
    """(Click/Typer English words, our own English words) in ``text``; what the user typed is not counted."""
    typed_words = {w.lower() for t in typed for w in WORD.findall(t)}
    framework, own = set(), set()
    for w in WORD.findall(NOT_WORDS.sub(" ", text)):
        low = w.lower()
        if len(w) < 2 or low in ALLOWED or low in typed_words or low == "archive":
            continue
        (own if low in OWN else framework).add(w)
    return framework, own


def run(capsys, *argv: str) -> tuple[int, str]:
    """The real entry point in this process: exit code, stdout + stderr."""
    os.environ.setdefault("COLUMNS", "120")
    code = 0
    try:
        main(list(argv))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    out = capsys.readouterr()
    return code, out.out + out.err


def _ids(items):
    return [" ".join(p) or "archive" for p, _ in items]


# ---- every help page -----------------------------------------------------------------------------------
def test_tree_is_walked():
    """The walk reaches sub-commands (export catalog, user add) and is not a hard-coded list."""
    names = {" ".join(p) for p, _ in TREE}
    assert {"", "ingest", "export", "export catalog", "import", "user", "user add"} <= names
    assert len(LEAVES) >= 30


@pytest.mark.parametrize("path,cmd", TREE, ids=_ids(TREE))
def test_help_has_no_click_english(capsys, path, cmd):
    code, text = run(capsys, *path, "--help")
    assert code == 0, text
    assert text.startswith("用法：archive"), text
    assert "显示本帮助并退出。" in text
    framework, _ = english(text, typed=path)
    assert not framework, f"Click/Typer English in `archive {' '.join(path)} --help`: {sorted(framework)}\n{text}"


def test_help_columns_line_up_with_chinese_metavars(capsys):
    """Chinese metavars count two columns each: the help texts of one list start in the same column."""
    _, text = run(capsys, "search", "--help")
    rows = [line for line in text.splitlines() if re.match(r"  --(year|retention|limit|help) ", line)]
    starts = {clitext.display_width(re.match(r"(\s*\S+(?: \S+)?\s+)", r).group(1)) for r in rows}
    assert len(rows) == 4 and len(starts) == 1, rows


# ---- usage errors ----------------------------------------------------------------------------------------
def _assert_chinese_error(text: str, typed: tuple[str, ...], expect: str):
    assert expect in text, text
    assert "错误：" in text and "Error" not in text, text
    framework, _ = english(text, typed)
    assert not framework, f"Click/Typer English: {sorted(framework)}\n{text}"


@pytest.mark.parametrize("path,cmd", TREE, ids=_ids(TREE))
def test_unknown_option(capsys, path, cmd):
    argv = (*path, "--zz-nope")
    code, text = run(capsys, *argv)
    assert code == 2, text
    _assert_chinese_error(text, argv, "没有这个选项：--zz-nope")
    assert "请运行 archive" in text and "--help 查看帮助。" in text


REQUIRED = [(p, c) for p, c in LEAVES if any(x.required for x in c.params)]


@pytest.mark.parametrize("path,cmd", REQUIRED, ids=_ids(REQUIRED))
def test_missing_argument_or_option(capsys, path, cmd):
    code, text = run(capsys, *path)
    assert code == 2, text
    _assert_chinese_error(text, path, "缺少")


def _is_int(opt) -> bool:
    desc = getattr(opt, "type_descriptor", None)  # Typer 0.2x
    return getattr(desc, "annotation", None) is int or getattr(getattr(opt, "type", None), "name", "") == "integer"


INTS = [(p, c, o) for p, c in LEAVES for o in c.params if o.param_type_name == "option" and _is_int(o)]


@pytest.mark.parametrize("path,cmd,opt", INTS, ids=[" ".join(p) + " " + o.opts[0] for p, _, o in INTS])
def test_bad_integer(capsys, path, cmd, opt):
    argv = (*path, opt.opts[0], "zz")
    code, text = run(capsys, *argv)
    assert code == 2, text
    _assert_chinese_error(text, argv, "应为整数")


def test_bad_integer_list_is_not_empty():
    assert len(INTS) >= 10, "found no integer options: the walk no longer sees their types"


@pytest.mark.parametrize("argv,expect", [
    (("zzexpor",), "没有这个命令：zzexpor"),
    (("expor",), "您是不是要输入 'export'"),
    (("export", "catalgo"), "您是不是要输入 'catalog'"),
    (("init", "zzextra"), "多余的参数：zzextra"),
    (("list", "--year"), "选项 --year 后面需要一个值"),
    (("search", "x", "--json=zz"), "选项 --json 后面不带值"),
    (("search", "x", "--limit", "0"), "应不小于 1"),
    (("search", "x", "--limit", "1.5"), "应为整数"),
    (("export", "catalog", "--year", "2020"), "缺少选项 '-o' / '--output'"),
    (("show",), "缺少参数"),
])
def test_typical_usage_errors(capsys, argv, expect):
    code, text = run(capsys, *argv)
    assert code == 2, text
    _assert_chinese_error(text, argv, expect)


def test_no_args_shows_chinese_help(capsys):
    for argv in ((), ("export",), ("user",)):
        code, text = run(capsys, *argv)
        assert text.startswith("用法：archive"), text
        assert not english(text, argv)[0], text


def test_real_process_entry_points(tmp_path):
    """``archive`` as a clerk starts it: the Chinese texts are installed by the entry point itself."""
    env = {**os.environ, "COLUMNS": "120", "PYTHONIOENCODING": "utf-8"}
    for argv, code, expect in ((["--help"], 0, "显示本帮助并退出。"),
                               (["export", "catalog", "--zz"], 2, "错误：没有这个选项：--zz"),
                               (["list", "--year", "zz"], 2, "'--year' 的值无效：应为整数")):
        p = subprocess.run([sys.executable, "-m", "archive", *argv], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=120)
        assert p.returncode == code, p.stderr
        text = p.stdout + p.stderr
        assert expect in text, text
        assert not english(text, tuple(argv))[0], text


# ---- Click/Typer texts our CLI does not reach today: a small Typer app through the same installed texts --
class Colour(str, enum.Enum):
    red = "red"
    blue = "blue"


mini = typer.Typer(rich_markup_mode=None)


@mini.command()
def pick(colour: Colour = typer.Option(..., "--colour"),
         src: Path = typer.Option(None, "--src", exists=True),
         n: int = typer.Option(1, "--n", min=1, max=9)) -> None:
    raise typer.Abort()


@mini.command()
def other() -> None:
    pass


def _mini(capsys, *argv):
    try:
        mini(list(argv), prog_name="archive")
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("argv,expect", [
    (("pick", "--colour", "green"), "不是可选的值"),
    (("pick", "--colour", "red", "--src", "/zz/nothere"), "不存在"),
    (("pick", "--colour", "red", "--n", "12"), "应不大于 9"),
    (("pick",), "缺少选项 '--colour'"),
])
def test_click_choice_path_and_range_errors(capsys, argv, expect):
    code, text = _mini(capsys, *argv)
    assert code == 2, text
    _assert_chinese_error(text, ("pick", "green", "zz", "nothere", "red", "blue"), expect)


def test_aborted_is_chinese(capsys):
    code, text = _mini(capsys, "pick", "--colour", "red")
    assert code == 1
    assert text.strip() == "已中止。", text


def test_choice_and_range_help(capsys):
    code, text = _mini(capsys, "pick", "--help")
    assert code == 0 and "[必填]" in text and "1 到 9" in text, text
    assert not english(text, ("pick", "red", "blue", "colour", "src"))[0], text


def test_rich_path_is_chinese_too(capsys):
    """Should a command turn Typer's rich output on, its panels and messages are Chinese as well."""
    rich_app = typer.Typer(rich_markup_mode="rich")
    rich_app.command("a")(pick)
    rich_app.command("b")(other)
    try:
        rich_app(["a", "--colour", "green"], prog_name="archive")
    except SystemExit:
        pass
    text = capsys.readouterr().err
    assert "错误" in text and "不是可选的值" in text, text
    assert not english(text, ("green", "red", "blue", "colour", "src", "a", "b"))[0], text
    try:
        rich_app(["a", "--help"], prog_name="archive")
    except SystemExit:
        pass
    text = capsys.readouterr().out
    for zh in ("用法：", "选项", "<整数>", "<路径>", "1 到 9", "[必填]", "显示本帮助并退出。"):
        assert zh in text, text
    assert not english(text, ("red", "blue", "colour", "src", "a", "b", "n"))[0], text


# ---- our own English: help texts, argument names and option values (archive/words.py) ------------------
COMMAND_WORDS = tuple(p for path, _ in TREE for p in path)  # typed as they are, like option names


def _own_left(text: str, typed: tuple[str, ...]) -> set[str]:
    """Our own English a clerk reads, beside command names and codes such as WS, BGS, T10, REF."""
    return {w for w in english(text, typed + COMMAND_WORDS)[1] if not re.fullmatch(r"[A-Z]{1,3}\d*", w)}


def test_own_help_and_values_are_chinese(capsys):
    """Every help page, and the error of a wrong --status, show our own texts in Chinese only: option values
    (待定, 已归档 …), argument names ({记录}, {检索词} …), help texts. Command and option names stay as typed."""
    leftovers = {}
    for path, _ in TREE:
        _, text = run(capsys, *path, "--help")
        own = _own_left(text, path)
        if own:
            leftovers[" ".join(path) or "archive"] = sorted(own)
    for argv in (("list", "--status", "zz"), ("search", "x", "--status", "zz"), ("list", "--status", "pending")):
        _, text = run(capsys, *argv)
        own = _own_left(text, argv)
        if own:
            leftovers[" ".join(argv)] = sorted(own)
    assert not leftovers, "English of our own still shown:\n" + "\n".join(f"  {k}: {v}" for k, v in leftovers.items())


# ---- a new Click/Typer version with a message the table does not know fails here -----------------------
MESSAGE_CALLS = {"fail", "echo", "secho", "_", "ngettext", "BadParameter", "UsageError", "NoSuchOption",
                 "BadOptionUsage", "BadArgumentUsage", "MissingParameter", "FileError", "ClickException"}
MESSAGE_NAMES = {"message", "msg", "hint", "suggest", "prefix", "confirmation_prompt"}
# Literals found by the scan that a clerk never sees (internal, or developer-facing).
NOT_SHOWN = {  # errors in how a program declares its parameters, raised before any clerk sees the CLI
    "Expected one list item type, got: {args}", "Invalid autocompletion callback parameters: {show_params}",
    "Too many CLI parameter callback function parameters",
}
# Plausible values for the fields of an f-string message (anything else becomes 'zz').
FIELDS = {"label": "Path", "param_type": "option", "param_hint": " '--zz'", "self.nargs": "2", "nargs": "2",
          "msg": "", "msg_extra": "", "loc": "'zz'", "self.param_type": "option"}


def _sample(node) -> str | None:
    """A literal's text with every f-string field as ``{expression}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
                       for v in node.values)
    return None


def framework_messages() -> set[str]:
    """User-facing message literals of the Click Typer runs on and of Typer's own modules."""
    click = clitext.click_module()
    folder = Path(inspect.getfile(click)).parent
    files = [*folder.glob("*.py")]
    tdir = Path(inspect.getfile(typer)).parent
    files += [tdir / n for n in ("core.py", "_coercion.py", "_param_types.py", "main.py") if (tdir / n).exists()]
    found: set[str] = set()
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            texts = []
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in MESSAGE_CALLS or (name == "ValueError" and f.name == "_param_types.py"):
                    texts += node.args[:1]
                texts += [k.value for k in node.keywords if k.arg in ("help", "message")]
            elif isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id in MESSAGE_NAMES for t in node.targets):
                    texts.append(node.value)
            elif isinstance(node, ast.FunctionDef) and node.name in ("format_message", "get_missing_message"):
                texts += [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
            for t in texts:
                s = _sample(t)
                if s and re.search(r"[A-Za-z]{2,}", s):
                    found.add(s)
    return found


def test_every_framework_message_has_a_translation():
    messages = framework_messages()
    assert len(messages) >= 15, "the scan found too few messages: the Click/Typer layout changed, look again"
    untranslated = []
    for m in sorted(messages):
        if m in NOT_SHOWN:
            continue
        text = clitext.translate(re.sub(r"\{([^{}]*)\}", lambda f: FIELDS.get(f.group(1), "'zz'"), m))
        framework = {w for w in WORD.findall(NOT_WORDS.sub(" ", text))
                     if len(w) > 1 and w.lower() not in ALLOWED | {"zz", "name", "param", "default", "var"}}
        if framework:
            untranslated.append(f"{m!r} -> {text!r}")
    assert not untranslated, ("Click/Typer messages with no Chinese in archive/clitext.py PATTERNS (add them, "
                              "or to NOT_SHOWN if a clerk can never see them):\n  " + "\n  ".join(untranslated))
