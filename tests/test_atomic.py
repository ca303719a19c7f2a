"""archive.atomic: an output is written whole or not at all, and a failure is one line of the caller's type."""

import os

import pytest

from archive.atomic import atomic_dir, atomic_file
from archive.errors import BackupError, ExportError


def test_a_file_appears_whole_with_its_mode(tmp_path):
    out = tmp_path / "sub" / "目录.csv"
    with atomic_file(out) as tmp:
        assert tmp.parent == out.parent and tmp.name.startswith(".目录.csv.") and tmp.name.endswith(".part")
        tmp.write_text("甲", encoding="utf-8")
        assert not out.exists()
    assert out.read_text(encoding="utf-8") == "甲" and oct(out.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in out.parent.iterdir()] == ["目录.csv"]


def test_a_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "r.xlsx"
    out.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file(out) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert out.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


def test_a_disk_error_is_one_line_of_the_callers_type(tmp_path):
    with pytest.raises(BackupError, match=r"^无法写入备份文件 .*文件夹 .* 不存在") as e:
        with atomic_file(tmp_path / "none" / "b.tar", error=BackupError, make_parents=False,
                         message="无法写入备份文件 {path}（{reason}）：请检查磁盘空间和权限"):
            pass
    assert "\n" not in str(e.value) and not (tmp_path / "none").exists()
    with pytest.raises(ExportError, match="无法写入 .*a{b}.csv"):  # braces in a name are no format fields
        with atomic_file(tmp_path / "a{b}.csv") as tmp:
            raise OSError(28, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_private_stays_private_and_a_separate_tmp_dir(tmp_path):
    own = tmp_path / "tmp"
    own.mkdir()
    with atomic_file(tmp_path / "b.tar", mode=None, tmp_dir=own) as tmp:
        assert tmp.parent == own
        tmp.write_bytes(b"x")
    assert oct((tmp_path / "b.tar").stat().st_mode & 0o777) == "0o600" and list(own.iterdir()) == []


def test_a_folder_appears_whole_or_not_at_all(tmp_path):
    out = tmp_path / "bag"
    out.mkdir()  # an empty folder the caller accepted
    with atomic_dir(out) as stage:
        (stage / "data").mkdir()
        (stage / "data" / "a.txt").write_text("a")
        assert stage.parent == tmp_path and stage.name.startswith(".bag.") and not (out / "data").exists()
    assert (out / "data" / "a.txt").read_text() == "a"
    with pytest.raises(ValueError):
        with atomic_dir(tmp_path / "bag2") as stage:
            (stage / "x").write_text("x")
            raise ValueError
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bag"]
    with pytest.raises(ExportError, match="无法写入移交包"):  # a full folder is not replaced
        with atomic_dir(out, message="无法写入移交包 {path}：{reason}") as stage:
            (stage / "y").write_text("y")
    assert sorted(os.listdir(out)) == ["data"] and sorted(p.name for p in tmp_path.iterdir()) == ["bag"]
