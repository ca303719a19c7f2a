"""Shell completion for the ``archive`` command: the script a shell loads, and the answers it asks for.

``archive completion bash`` prints a script; the shell then runs ``archive`` with ``_ARCHIVE_COMPLETE`` set
each time TAB is pressed, and Typer answers with the commands and options that fit. The app is built with
``add_completion=False`` (no English ``--install-completion`` options in every help page), so the answering
side is switched on here, only when a shell asks. A REF, a query or a path is not guessed: the shell falls
back to file names (bash ``-o default``), and nothing is opened, read or locked.
"""

from __future__ import annotations

import os

from archive.errors import UsageError

PROG = "archive"
COMPLETE_VAR = "_ARCHIVE_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish), for ``eval`` or a completion folder."""
    from typer._completion_shared import get_completion_script

    shell = (shell or "").strip().lower()
    if shell not in SHELLS:
        raise UsageError(f"不支持的 shell “{shell}”：应为 {'、'.join(SHELLS)}")
    return get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)


def how_to_load(shell: str) -> str:
    """One Chinese line: where the script goes so that every new terminal has it."""
    return {"bash": '载入方法：在 ~/.bashrc 中加一行 eval "$(archive completion bash)"，然后打开新的终端',
            "zsh": '载入方法：在 ~/.zshrc 中 compinit 之后加一行 eval "$(archive completion zsh)"，然后打开新的终端',
            "fish": "载入方法：archive completion fish > ~/.config/fish/completions/archive.fish，然后打开新的终端",
            }[shell.strip().lower()]


def asked() -> bool:
    """A shell is asking for completions (``_ARCHIVE_COMPLETE`` is set): switch the answering side on."""
    if not os.environ.get(COMPLETE_VAR):
        return False
    from typer._completion_classes import completion_init

    completion_init()
    _offer_value_words()
    return True


def option_values(name: str | None) -> list[str]:
    """The Chinese values an option takes (archive/words.py), offered first on TAB: ``--status 待定``."""
    from archive import retention, words

    return {"status": list(words.STATUS_NAMES.values()), "retention": list(retention.NAMES.values()),
            "decision": ["延期"], "fmt": list(words.FORMAT_NAMES)}.get(name or "", [])


def _offer_value_words() -> None:
    """Options with a fixed set of values (--status, --retention, --decision, --format) complete to them."""
    import typer.core

    cls = typer.core.TyperOption
    if getattr(cls, "_archive_values", False):
        return
    original = cls.shell_complete

    def shell_complete(self, ctx, incomplete):
        values = option_values(self.name)
        if values:
            return [typer.core.CompletionItem(v) for v in values if v.startswith(incomplete)]
        return original(self, ctx, incomplete)

    cls.shell_complete = shell_complete
    cls._archive_values = True
