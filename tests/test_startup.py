"""Start-up (issue 13 point 9): the command line imports only what a command needs. Checked by what is in
sys.modules of a real child process, never by a timing (bench/startup_bench.py prints the times)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.clirun import run_config
from tests.conftest import ROOT, write_config

NEVER_AT_START = ("onnxruntime", "rapidocr_onnxruntime", "pypdfium2", "pypdf", "openpyxl", "whoosh", "jsonschema",
                  "pydantic", "watchdog", "docx", "reportlab", "bagit", "starlette", "archive.pipeline",
                  "archive.extract.pdf", "archive.catalog", "archive.config")
NEVER_IN_SEARCH = ("onnxruntime", "rapidocr_onnxruntime", "pypdfium2", "pypdf", "openpyxl", "whoosh", "pydantic",
                   "watchdog", "docx", "reportlab", "bagit", "starlette", "archive.pipeline", "archive.extract.pdf")


def _loaded(code: str, names) -> list[str]:
    probe = (code + "\nimport json, sys\nsys.__stdout__.write('\\n@@' + json.dumps(sorted(m for m in sys.modules if "
             f"any(m == n or m.startswith(n + '.') for n in {tuple(names)!r}))))\n")
    r = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "@@" in r.stdout, r.stderr
    return json.loads(r.stdout.rsplit("@@", 1)[1])


def test_importing_the_command_line_loads_no_heavy_library():
    assert _loaded("import archive.cli", NEVER_AT_START) == []


def test_help_loads_no_heavy_library():
    code = "from archive.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert _loaded(code, NEVER_AT_START) == []


def test_a_search_loads_only_what_it_needs(tmp_path):
    cfg_path = write_config(tmp_path)
    r = subprocess.run([sys.executable, "-m", "archive", "--config", str(cfg_path), "init"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    code = ("from archive.cli import main\ntry:\n"
            f"    main(['--config', {str(cfg_path)!r}, 'search', '国发〔2019〕5号', '--limit', '5', '--year', '2019'])\n"
            "except SystemExit as e:\n    assert e.code in (0, None), e.code")
    assert _loaded(code, NEVER_IN_SEARCH) == []
    assert "archive.search" in _loaded(code, ("archive.search",)), "the probe does see what a search loads"


def test_plain_option_values_are_checked_as_before(tmp_path):
    """The quick conversion (archive/clifast.py) refuses what Typer refused, with the same Chinese line."""
    cfg_path = write_config(tmp_path)  # the conversion is the point, not the process: in this one
    assert run_config(cfg_path, "init").returncode == 0
    for args, expect in ((["list", "--limit", "0"], "应不小于 1"), (["list", "--limit", "abc"], "应为整数"),
                         (["search", "x", "--page", "-1"], "应不小于 1"), (["list", "--year", "二〇一九"], "应为整数")):
        r = run_config(cfg_path, *args)
        assert r.returncode == 2 and expect in r.stderr, (args, r.stderr)
    r = run_config(cfg_path, "list", "--limit", "3", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == [], r.stderr


def test_a_list_of_paths_is_converted_without_pydantic(tmp_path):
    """``archive ingest A B`` (a ``list[Path]`` argument; confirm's references and appraise's repeated options are
    lists of text) takes the quick conversion too:
    pydantic (a tenth of a second and more on every such command) is never imported, and the files arrive."""
    cfg_path = write_config(tmp_path)
    a, b = tmp_path / "甲.txt", tmp_path / "乙.txt"
    a.write_text("关于甲的通知\n", encoding="utf-8")
    b.write_text("关于乙的通知\n", encoding="utf-8")
    code = ("from archive.cli import main\ntry:\n"
            f"    main(['--config', {str(cfg_path)!r}, 'ingest', {str(a)!r}, {str(b)!r}, '--json'])\n"
            "except SystemExit as e:\n    assert e.code in (0, None), e.code")
    assert _loaded(code, ("pydantic", "typer._adapters")) == []
    r = run_config(cfg_path, "list", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 2, r.stderr

