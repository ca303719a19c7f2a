"""Click's and Typer's own texts in Chinese: help headings, usage lines, metavars, defaults and usage errors.

Why this mechanism. Typer 0.2x ships its own copy of Click (``typer._click``) whose texts are plain English
f-strings (``f"Error: {...}"``, ``f"Try '{command} {option}' for help."``, ``"Show this message and exit."``),
no longer routed through ``gettext``; older Typer uses the real ``click`` package, which does route them through
``gettext._``. A gettext catalogue would therefore translate nothing on the installed version, and rewriting each
module's ``_`` covers only part of it. What every version has in common is where a text leaves for the terminal:

* help and usage lines are built by ``HelpFormatter`` and leave through ``HelpFormatter.getvalue()``;
* usage errors leave through ``ClickException.show()`` (plain output) or ``format_message()`` (Typer's rich output);
* ``Aborted!``, ``Missing command.``, ``No such command`` and the help headings of Typer's own formatter pass
  through ``typer.core._`` (a gettext function), Typer's rich output takes its texts from ``typer.rich_utils``
  constants;
* the ``--help`` option's own help text is set where the option is made (``Command.get_help_option``), and
  Typer's rich panels take metavars and ranges from ``display_type_rich`` / ``_get_number_range_help_str``.

:func:`install` wraps exactly those points, on whichever Click Typer uses, and sends the text through
:func:`translate`, a table of English patterns (:data:`PATTERNS`) written against the final text, so it does not
matter whether the English came from an f-string or a gettext template. Our own texts are Chinese and are never
matched; option names (``--year``), file names and values the user typed pass through unchanged.

tests/test_chinese_cli.py runs every command's help and the usual usage errors through the real CLI and fails on
any English left; it also reads the texts of the installed Typer/Click source and fails loudly when a new version
brings a message this table does not know. Importing this module installs it (once); :func:`translate` is pure.
"""

from __future__ import annotations

import io
import re
import sys
import unicodedata
from typing import Callable

# ---- the table ---------------------------------------------------------------------------------------
# Metavar type names (Typer 0.2x: ``<int>``, ``<list[Path]>``; older Click: ``INTEGER``, ``TEXT``).
_TYPE_NAMES = {
    "str": "文本", "int": "整数", "float": "数", "bool": "是/否", "path": "路径", "Path": "路径",
    "file": "文件", "File": "文件", "dir": "目录", "directory": "目录", "datetime": "日期时间",
    "date": "日期", "UUID": "UUID", "int range": "整数", "float range": "数", "bytes": "文本",
    "TextIOWrapper": "文件", "BufferedReader": "文件", "BufferedWriter": "文件", "FileText": "文件",
    "FileBinaryRead": "文件", "FileTextWrite": "文件", "FileBinaryWrite": "文件",
}
_CLICK_TYPE_NAMES = {
    "TEXT": "文本", "INTEGER": "整数", "FLOAT": "数", "BOOLEAN": "是/否", "PATH": "路径", "FILENAME": "文件名",
    "FILE": "文件", "DIRECTORY": "目录", "UUID": "UUID", "INTEGER RANGE": "整数", "FLOAT RANGE": "数",
}
_KIND = {"option": "选项", "argument": "参数", "parameter": "参数", "command": "命令"}
_PATH_KIND = {"File": "文件", "Directory": "目录", "Path": "路径", "file": "文件", "directory": "目录",
              "path": "路径"}


def _metavar(m: re.Match) -> str:
    """``<int>`` -> ``<整数>``, ``<list[Path]>`` -> ``<路径…>``; a choice list of our own values is left alone."""
    inner = m.group(1)
    many = ""
    lm = re.fullmatch(r"list\[(.+)\]", inner)
    if lm:
        inner, many = lm.group(1), "…"
    parts = re.split(r"([|,])", inner)
    names = parts[::2]
    if not all(p in _TYPE_NAMES for p in names):
        return m.group(0) if not many else f"<{inner}…>"
    seps = parts[1::2] + [""]
    return "<" + "".join(_TYPE_NAMES[p] + ("|" if s else "") for p, s in zip(names, seps)) + many + ">"


def _range(m: re.Match) -> str:
    low, high = m.group("low"), m.group("high")
    if low and high:
        return f"{low} 到 {high}"
    return f"不小于 {low}" if low else f"不大于 {high}"


_R = re.compile
PATTERNS: list[tuple[re.Pattern, str | Callable[[re.Match], str]]] = [
    # help page
    (_R(r"^(\s*)Usage: ", re.M), r"\1用法："),
    (_R(r"\[OPTIONS\]"), "[选项]"),
    (_R(r"COMMAND \[ARGS\]\.\.\."), "命令 [参数]..."),
    (_R(r"^(\s*)Options:$", re.M), r"\1选项："),
    (_R(r"^(\s*)Arguments:$", re.M), r"\1参数："),
    (_R(r"^(\s*)Commands:$", re.M), r"\1命令："),
    (_R(r"^(\s*)(选项|参数|命令):$", re.M), r"\1\2："),
    (_R(r"Show this message and exit\."), "显示本帮助并退出。"),
    (_R(r"Show the version and exit\."), "显示版本并退出。"),
    (_R(r"Install completion for the current shell\."), "为当前 shell 安装命令补全。"),
    (_R(r"Show completion for the current shell, to copy it or customize the installation\."),
     "显示当前 shell 的命令补全脚本，可复制或自行安装。"),
    (_R(r"\[default: ([^\]]*)\]"), lambda m: "[默认：" + m.group(1).replace("; ", "；") + "]"),
    (_R(r"\[default: "), "[默认："),
    (_R(r"\[((?:默认|环境变量)：[^\]]*)\]"), lambda m: "[" + m.group(1).replace("; ", "；") + "]"),
    (_R(r"\[env var: "), "[环境变量："),
    (_R(r"\(env var: "), "（环境变量："),
    (_R(r"\benv var: "), "环境变量："),
    (_R(r"(?<=\[)default: "), "默认："),
    (_R(r"\[required\]"), "[必填]"),
    (_R(r"\(dynamic\)"), "（动态）"),
    (_R(r"\((?:DEPRECATED|deprecated)(?::\s*([^)]*))?\)\s*"), lambda m: f"（已停用{'：' + m.group(1) if m.group(1) else ''}）"),
    (_R(r"(-?\d+(?:\.\d+)?)<=x<=(-?\d+(?:\.\d+)?)"), r"\1 到 \2"),
    (_R(r"\bx>=(-?\d+(?:\.\d+)?)"), r"不小于 \1"),
    (_R(r"\bx<=(-?\d+(?:\.\d+)?)"), r"不大于 \1"),
    (_R(r"\bx>(-?\d+(?:\.\d+)?)"), r"大于 \1"),
    (_R(r"\bx<(-?\d+(?:\.\d+)?)"), r"小于 \1"),
    (_R(r"<([^<>\s][^<>]*)>"), _metavar),
    (_R(r"(?<=[\w\]] )(INTEGER RANGE|FLOAT RANGE|TEXT|INTEGER|FLOAT|BOOLEAN|PATH|FILENAME|FILE|DIRECTORY)\b"),
     lambda m: _CLICK_TYPE_NAMES[m.group(1)]),
    # errors: frame
    (_R(r"^Error: ", re.M), "错误："),
    (_R(r"Try '(.+?)' for help\.", re.M), r"请运行 \1 查看帮助。"),
    (_R(r"Aborted[!.]"), "已中止。"),
    (_R(r"^DeprecationWarning: The command '?(.+?)'? is deprecated\.", re.M), r"提示：命令 \1 已停用。"),
    # errors: which parameter
    (_R(r"No such option: (\S+)"), r"没有这个选项：\1"),
    (_R(r"No such option '(.+?)'\."), r"没有这个选项：\1。"),
    (_R(r" ?\(Possible options: (.+?)\)"), r"（您是不是要输入：\1）"),
    (_R(r"No such command:? '?(.+?)'?\.(?= |$)", re.M), r"没有这个命令：\1。"),
    (_R(r"(?:。?\.)? ?Did you mean (.+?)\?"), r"。您是不是要输入 \1？"),
    (_R(r"Missing command\."), "缺少命令。"),
    (_R(r"Missing (option|argument|parameter) ?(.*?)\.(?: |$)", re.M),
     lambda m: f"缺少{_KIND[m.group(1)]}{' ' + m.group(2) if m.group(2) else ''}。"),
    (_R(r"Missing parameter: (\S+)"), r"缺少参数：\1"),
    (_R(r"Choose from:"), "可选："),
    (_R(r"Invalid value for (.+?): "), r"\1 的值无效："),
    (_R(r"Invalid value: "), "值无效："),
    (_R(r"Option '(.+?)' requires an argument\."), r"选项 \1 后面需要一个值。"),
    (_R(r"Option '(.+?)' requires (\d+) arguments\."), r"选项 \1 后面需要 \2 个值。"),
    (_R(r"Option '(.+?)' does not take a value\."), r"选项 \1 后面不带值。"),
    (_R(r"Argument '(.+?)' takes (\d+) values\."), r"参数 \1 需要 \2 个值。"),
    (_R(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)"), r"多余的参数：\1"),
    (_R(r"Option '(.+?)' cannot be passed more than once\."), r"选项 \1 只能给一次。"),
    # errors: values
    (_R(r"(.+?) is not one of (.+?)\.$", re.M), r"\1 不是可选的值，可选：\2。"),
    (_R(r"\b(File|Directory|Path|file|directory|path) (.+?) does not exist\."),
     lambda m: f"{_PATH_KIND[m.group(1)]} {m.group(2)} 不存在。"),
    (_R(r"\b(File|Directory|Path|file|directory|path) (.+?) is a (file|directory)\."),
     lambda m: f"{_PATH_KIND[m.group(1)]} {m.group(2)} 是一个{_PATH_KIND[m.group(3)]}。"),
    (_R(r"\b(File|Directory|Path|file|directory|path) (.+?) is not (readable|writable|executable)\."),
     lambda m: f"{_PATH_KIND[m.group(1)]} {m.group(2)} "
               + {"readable": "不可读。", "writable": "不可写。", "executable": "不可执行。"}[m.group(3)]),
    (_R(r"\b(\S+) is not in the range (.+?)\.$", re.M), r"\1 不在 \2 的范围内。"),
    (_R(r"\b(\S+) is (?:smaller|larger) than the (?:minimum|maximum) valid value (\S+?)\.?$", re.M),
     r"\1 超出范围（界限 \2）。"),
    (_R(r"(.+?) is not a valid (.+?)\.$", re.M), lambda m: _not_valid(m.group(1), m.group(2))),
    (_R(r"Could not open file (.+?): (?:unknown error)?"), r"无法打开文件 \1："),
    (_R(r"\bunknown error\b"), "未知错误"),
    (_R(r"Value must be an iterable\."), "值应为一组值。"),
    (_R(r"The value you entered was invalid\."), "输入的值无效。"),
    (_R(r"\binvalid input\b"), "输入无效"),
    (_R(r"Repeat for confirmation"), "再输入一次以确认"),
    (_R(r"The two entered values do not match\.?"), "两次输入不一致。"),
    # pydantic messages Typer 0.2x passes on for a value it cannot convert
    (_R(r"Input should be a valid integer, unable to parse string as an integer"), "应为整数"),
    (_R(r"Input should be a valid integer, got a number with a fractional part"), "应为整数，不能带小数"),
    (_R(r"Input should be a valid integer"), "应为整数"),
    (_R(r"Input should be a finite number"), "应为有限的数"),
    (_R(r"Input should be a valid number, unable to parse string as a number"), "应为数"),
    (_R(r"Input should be a valid number"), "应为数"),
    (_R(r"Input should be a valid boolean, unable to interpret input"), "应为是或否（true / false）"),
    (_R(r"Input should be a valid boolean"), "应为是或否（true / false）"),
    (_R(r"Input should be a valid string"), "应为文本"),
    (_R(r"Input should be a valid (?:date|datetime)\b.*$", re.M), "应为日期（如 2022-01-01）"),
    (_R(r"Input should be a valid UUID.*$", re.M), "应为 UUID"),
    (_R(r"Input should be greater than or equal to (\S+)"), r"应不小于 \1"),
    (_R(r"Input should be less than or equal to (\S+)"), r"应不大于 \1"),
    (_R(r"Input should be greater than (\S+)"), r"应大于 \1"),
    (_R(r"Input should be less than (\S+)"), r"应小于 \1"),
    (_R(r"Input should be (.+)$", re.M), lambda m: "应为 " + re.sub(r" or ", " 或 ", m.group(1))),
    (_R(r"Value error, "), ""),
]

_VALID = {"integer": "整数", "int": "整数", "float": "数", "boolean": "是或否", "bool": "是或否", "UUID": "UUID",
          "str": "文本", "string": "文本", "Path": "路径", "path": "路径", "integer range": "整数"}


def _not_valid(value: str, what: str) -> str:
    return f"{_strip_value(value)} 不是有效的{_VALID.get(what, what)}。"


def _strip_value(value: str) -> str:
    return re.sub(r"\bValue (?=\S+$)", "值 ", value)


_EXACT = {  # gettext templates that are not a final text (Typer's and old Click's ``_()``)
    "Options": "选项", "Arguments": "参数", "Commands": "命令", "Error": "错误", "Usage": "用法",
    "required": "必填", "default: {default}": "默认：{default}", "env var: {var}": "环境变量：{var}",
    "(deprecated) ": "（已停用）", "[default: {}]": "[默认：{}]", "[env var: {}]": "[环境变量：{}]",
    "[required]": "[必填]", "No such command {name!r}.": "没有这个命令：{name}。", "Usage:": "用法：",
    "Try [blue]'{command_path} {help_option}'[/] for help.": "请运行 [blue]{command_path} {help_option}[/] 查看帮助。",
    "Did you mean {possibility}?": "您是不是要输入 {possibility}？",
    "(Possible options: {possibilities})": "（您是不是要输入：{possibilities}）",
}


def translate(text: str) -> str:
    """Click's and Typer's English inside ``text`` (a help page, a usage line, an error) in Chinese."""
    if not text:
        return text
    if text in _EXACT:
        return _EXACT[text]
    for pattern, repl in PATTERNS:
        text = pattern.sub(repl, text)
    return text


# ---- installing it ------------------------------------------------------------------------------------
HELP_TEXT = "显示本帮助并退出。"
_installed = False


def click_module():
    """The Click that Typer runs on: its own copy (Typer 0.2x) or the ``click`` package."""
    import typer.core

    return getattr(typer.core, "_click", None) or sys.modules.get("click") or __import__("click")


def _wrap_show(cls, echo, get_stderr) -> None:
    orig = cls.__dict__["show"]

    def show(self, file=None):
        buf = io.StringIO()
        orig(self, file=buf)
        echo(translate(buf.getvalue()), file=file if file is not None else get_stderr(), nl=False)

    show.__wrapped__ = orig
    cls.show = show


def _wrap_returning_text(cls, name: str) -> None:
    orig = cls.__dict__[name]

    def wrapper(self, *a, **kw):
        _patch_rich()  # Typer's rich error panel asks for the message after loading its module
        text = orig(self, *a, **kw)
        return translate(text) if isinstance(text, str) else text

    wrapper.__wrapped__ = orig
    setattr(cls, name, wrapper)


def display_width(text: str) -> int:
    """Terminal columns of ``text``: wide and full-width characters (汉字, ：) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
               for c in text)


def _wrap_formatter(cls) -> None:
    orig_usage, orig_dl = cls.write_usage, cls.write_dl

    def write_usage(self, prog, args="", prefix=None):
        return orig_usage(self, prog, translate(args), "用法：" if prefix is None else translate(prefix))

    def write_heading(self, heading):
        self.write(f"{'':>{self.current_indent}}{translate(heading.rstrip(':'))}：\n")

    def write_dl(self, rows, *a, **kw):
        return orig_dl(self, [(translate(first), translate(second)) for first, second in rows], *a, **kw)

    write_usage.__wrapped__, write_dl.__wrapped__ = orig_usage, orig_dl
    cls.write_usage, cls.write_heading, cls.write_dl = write_usage, write_heading, write_dl


def install() -> None:
    """Route Click's and Typer's own texts through :func:`translate` (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    import typer.core

    click = click_module()
    exceptions = sys.modules[click.__name__ + ".exceptions"]
    formatting = sys.modules[click.__name__ + ".formatting"]
    core = sys.modules[click.__name__ + ".core"]
    utils = sys.modules[click.__name__ + ".utils"]
    stderr = getattr(utils, "get_text_stream", None)
    get_stderr = (lambda: stderr("stderr")) if stderr else (lambda: sys.stderr)

    # help pages and usage lines: each piece translated before it is laid out (so the columns line up), the
    # finished page once more for anything written directly; widths counted in terminal columns (a Chinese
    # character takes two), not in characters
    _wrap_formatter(formatting.HelpFormatter)
    _wrap_returning_text(formatting.HelpFormatter, "getvalue")
    if hasattr(formatting, "term_len"):
        strip_ansi = getattr(sys.modules[click.__name__ + "._compat"], "strip_ansi", lambda s: s)
        formatting.term_len = lambda s: display_width(strip_ansi(s))
    # usage errors: the plain path (show) and Typer's rich path (format_message)
    bases = [sys.modules.get("typer.exceptions")]
    for obj in [*vars(exceptions).values(), *(vars(bases[0]).values() if bases[0] else ())]:
        if isinstance(obj, type) and issubclass(obj, BaseException):
            if "format_message" in obj.__dict__:
                _wrap_returning_text(obj, "format_message")
            if "show" in obj.__dict__:
                _wrap_show(obj, utils.echo, get_stderr)
    # the --help option's own text, whichever path renders it
    orig_help_option = core.Command.get_help_option

    def get_help_option(self, ctx):
        opt = orig_help_option(self, ctx)
        if opt is not None and getattr(opt, "help", None) == "Show this message and exit.":
            opt.help = HELP_TEXT
        return opt

    get_help_option.__wrapped__ = orig_help_option
    core.Command.get_help_option = get_help_option
    # gettext templates: "Aborted!", "Missing command.", section headings (Typer's core and old Click)
    modules = [typer.core] + [m for name, m in list(sys.modules.items())
                              if m is not None and name.startswith(click.__name__ + ".")]
    for mod in modules:
        if callable(getattr(mod, "_", None)):
            mod._ = translate
        if callable(getattr(mod, "ngettext", None)):
            mod.ngettext = lambda s, p, n: translate(s if n == 1 else p)
    # Typer's rich output, should a command ever turn it on: its texts are module constants, set once the
    # module is loaded (importing it up front would cost 80 ms at every start).
    _patch_rich()
    for cls in (typer.core.TyperCommand, typer.core.TyperGroup):
        _wrap_format_help(cls)
    for cls in (getattr(typer.core, n, None) for n in ("_TyperParameter", "TyperArgument", "TyperOption")):
        for name in ("display_type_rich", "_get_number_range_help_str"):
            if cls is not None and name in cls.__dict__:
                _wrap_returning_text(cls, name)
    # our arguments by their Chinese names in usage lines and error hints ({记录}, not {ref})
    from archive.words import install_argument_names

    install_argument_names(typer.core)


_RICH = {"ABORTED_TEXT": "已中止。", "ERRORS_PANEL_TITLE": "错误", "DEPRECATED_STRING": "（已停用）",
         "ARGUMENTS_PANEL_TITLE": "参数", "OPTIONS_PANEL_TITLE": "选项", "COMMANDS_PANEL_TITLE": "命令"}


def _patch_rich() -> None:
    rich_utils = sys.modules.get("typer.rich_utils")
    if rich_utils is None or getattr(rich_utils, "_archive_zh", False):
        return
    for name, value in list(vars(rich_utils).items()):
        if name.isupper() and isinstance(value, str) and value in _EXACT:
            setattr(rich_utils, name, _EXACT[value])
    for name, zh in _RICH.items():
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, zh)
    rich_utils._archive_zh = True


def _wrap_format_help(cls) -> None:
    orig = cls.__dict__.get("format_help")
    if orig is None:
        return

    def format_help(self, ctx, formatter):
        if getattr(self, "rich_markup_mode", None) is not None:
            try:
                import typer.rich_utils  # noqa: F401 - loaded by Typer right after this anyway
            except ImportError:
                pass
            _patch_rich()
        return orig(self, ctx, formatter)

    format_help.__wrapped__ = orig
    cls.format_help = format_help


install()
