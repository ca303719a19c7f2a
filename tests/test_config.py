
import pytest

from archive.config import load_config, name_matches
from archive.errors import ConfigError
from tests.conftest import write_config


def test_example_config_loads_with_full_table(cfg_path):
    cfg = load_config(cfg_path)
    assert cfg.fonds == "Z109"
    assert len(cfg.rules) >= 15
    # the table covers every relation, 不归档, and all three retention periods
    relations = {r for rule in cfg.rules for r in rule.when.get("relation", [])}
    assert {"本机关", "上级", "同级", "下级"} <= relations
    assert {r.retention for r in cfg.rules if r.scope == "归档"} == {"Y", "D30", "D10"}
    assert any(r.scope == "不归档" for r in cfg.rules)


def test_relative_paths_resolve_against_config_folder(tmp_path):
    cfg = load_config(write_config(tmp_path))
    assert cfg.inbox == (tmp_path / "inbox").resolve()
    assert cfg.store == (tmp_path / "store").resolve()
    assert cfg.processed_dir == tmp_path.resolve() / "processed"


@pytest.mark.parametrize("old,new,expect", [
    ('retention = "永久", org = "BGS" }', 'retention = "20年", org = "BGS" }', ["then.retention", "20年", "永久"]),
    ('fonds = "Z109"', 'fund = "Z109"', ["agency", "fund"]),
    ('scope = "归档", retention = "10年", org = "BGS" }', 'scope = "归档", org = "BGS" }', ["retention"]),
    ('relation = ["上级"], doc_type = ["批复"]', 'relation = ["领导"], doc_type = ["批复"]', ["relation", "领导"]),
    ('settle_seconds = 2.0', 'settle_seconds = "两秒"', ["settle_seconds", "数字"]),
])
def test_schema_errors_name_key_value_and_expectation(tmp_path, old, new, expect):
    path = write_config(tmp_path, **{old: new})
    with pytest.raises(ConfigError) as e:
        load_config(path)
    msg = str(e.value)
    assert str(path) in msg
    for part in expect:
        assert part in msg, msg
    assert e.value.exit_code == 2


def test_bad_regex_and_unknown_org_are_reported(tmp_path):
    path = write_config(tmp_path, **{'"^示例市"': '"^示例市("'})
    with pytest.raises(ConfigError, match=r"relations\.superior\[4\].*正则"):
        load_config(path)
    path = write_config(tmp_path, **{'retention = "永久", org = "BGS" }': 'retention = "永久", org = "XYZ" }'})
    with pytest.raises(ConfigError, match="XYZ.*不在 \\[orgs\\]"):
        load_config(path)


def test_toml_syntax_error_and_missing_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[agency\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是有效的 TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="找不到配置文件"):
        load_config(tmp_path / "nope.toml")


def test_env_variable_points_to_config(tmp_path, monkeypatch):
    path = write_config(tmp_path, **{'fonds = "Z109"': 'fonds = "A001"'})
    monkeypatch.setenv("ARCHIVE_CONFIG", str(path))
    assert load_config().fonds == "A001"


def test_name_matching_exact_or_regex():
    entries = ["示例县人民政府", "^示例市", "^.*省"]
    assert name_matches("示例县人民政府", entries)
    assert not name_matches("示例县人民政府办公室", entries)  # exact names are exact
    assert name_matches("示例市档案局", entries)
    assert name_matches("河北省人民政府", entries)
    assert not name_matches("示例县财政局", entries)
