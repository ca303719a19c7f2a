"""A quicker start for every command: plain option values without pydantic.

Typer (0.2x) converts every parameter's value through a pydantic TypeAdapter, and importing pydantic and
building those adapters took about a fifth of a second on each command, before any work
(bench/startup_bench.py). The values of our commands are almost all plain: text, a whole number, a flag, a
path with no checks asked for. Those are converted here the way Typer would convert them. Anything else,
or any value that would be refused (so that the message is Typer's own, in Chinese through clitext), goes
the usual way through pydantic.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, get_args, get_origin

_DIGITS = re.compile(r"[+-]?[0-9]+")


def _plain_path(info) -> bool:
    """A path option with no checks of its own (Typer's defaults)."""
    return (not info.exists and info.file_okay and info.dir_okay and not info.writable and info.readable
            and not info.resolve_path and not info.allow_dash and info.path_type is None
            and not getattr(info, "executable", False))


def _fast_value(annotation, info, value) -> tuple[bool, Any]:
    """(True, converted) when ``value`` is plain and valid for ``annotation``; (False, None) otherwise."""
    if annotation is str:
        if isinstance(value, str):
            try:
                value.encode("utf-8")  # a name in another encoding (surrogates): Typer says what is wrong
            except UnicodeEncodeError:
                return False, None
            return True, value
    elif annotation is bool:
        if isinstance(value, bool):
            return True, value
    elif annotation is int:
        if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool):
            if (info.min is not None and value < info.min) or (info.max is not None and value > info.max):
                return False, None  # out of range: Typer's message (or its clamp)
            return True, value
    elif annotation is Path and _plain_path(info):
        if isinstance(value, (str, Path)):
            try:
                os.stat(value)
            except (OSError, ValueError):
                return True, Path(value)  # not there: nothing to check
            if os.access(value, os.R_OK):
                return True, Path(value)
    return False, None


_PLAIN = (str, int, bool, Path)


def _plain_kind(annotation) -> bool:
    """A plain annotation, or a list of a plain one (``list[Path]``: ``archive ingest A B``)."""
    if annotation in _PLAIN:
        return True
    return get_origin(annotation) in (list, List) and len(get_args(annotation)) == 1 \
        and get_args(annotation)[0] in _PLAIN


def _fast_values(annotation, info, value) -> tuple[bool, Any]:
    """``_fast_value`` for a plain annotation; for a list, every item plain and valid (a list comes back, as
    Typer's adapter gives), else (False, None) and the whole value goes Typer's way."""
    if annotation in _PLAIN:
        return _fast_value(annotation, info, value)
    if not isinstance(value, (list, tuple)):
        return False, None
    item = get_args(annotation)[0]
    out = []
    for v in value:
        ok, converted = _fast_value(item, info, v)
        if not ok:
            return False, None
        out.append(converted)
    return True, out


def install() -> None:
    """Wrap Typer's runtime conversion: plain values here, the rest through Typer's pydantic adapters."""
    from typer import core
    from typer._coercion import RuntimeParam

    if getattr(core.build_runtime_param, "_archive_fast", False):
        return
    slow_build = core.build_runtime_param

    @dataclass(frozen=True)
    class _Plain(RuntimeParam):
        descriptor: Any = None
        fast: bool = True  # a plain value (or a list of them) is converted here; else always Typer's way

        def _coerce_value(self, value, param, ctx):
            if self.fast:
                ok, out = _fast_values(self.annotation, self.parameter_info, value)
                if ok:
                    return out
            slow = param.__dict__.get("_archive_slow")
            if slow is None:  # built (and pydantic imported) only when a value needs it
                slow = slow_build(self.descriptor)
                param.__dict__["_archive_slow"] = slow
            return slow._coerce_value(value, param, ctx)

    def build(descriptor):
        if descriptor.file_annotation is not None:
            return slow_build(descriptor)
        return _Plain(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation,
                      descriptor=descriptor, fast=descriptor.choices is None and _plain_kind(descriptor.annotation))

    build._archive_fast = True
    core.build_runtime_param = build
