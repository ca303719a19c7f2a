"""Every article the program cites is one docs/retention.md quotes (issue 26): a basis printed into a record (the
procedure's own 永久 documents, the table's rules), a printed table or a message must not name an article we have
not read. A cited article is a 第…条 on a line that names its law (8号令, 实施条例, 档案法, 13号令 …); the quoted
ones are the lines of retention.md's "Articles quoted" section."""

from __future__ import annotations

import re
import tomllib

from archive import appraisal
from conftest import ROOT

_NUM = "一二三四五六七八九十百零〇"
# the laws as the program and the docs write them, each mapped to one name; longest first so 档案法实施条例 is not 档案法
_LAWS = [
    (r"国家档案局令第\s*8\s*号|8号令", "8号令"),
    (r"国家档案局令第\s*13\s*号|13号令|机关档案管理规定", "13号令"),
    (r"档案法实施条例|实施条例|档案法实施办法|实施办法", "实施条例"),
    (r"档案法", "档案法"),
    (r"DA/T\s*\d+(?:-\d{4})?", None),  # a standard's clause is not an article (its own numbers)
]
_TOKEN = re.compile("|".join(f"(?P<l{i}>{rx})" for i, (rx, _) in enumerate(_LAWS)) + f"|(?P<art>第[{_NUM}]+条)")


def citations(text: str) -> set[tuple[str, str]]:
    """(law, 第X条) pairs in ``text``: each article belongs to the law last named before it on its line; an
    article on a line naming no law (第一条全部条件都满足的规则: the first rule) is not a citation."""
    out = set()
    for line in text.splitlines():
        law = None
        for m in _TOKEN.finditer(line):
            if m.group("art"):
                if law:
                    out.add((law, m.group("art")))
            else:
                i = next(int(k[1:]) for k, v in m.groupdict().items() if v and k != "art")
                law = _LAWS[i][1]
    return out


def quoted() -> set[tuple[str, str]]:
    doc = (ROOT / "docs" / "retention.md").read_text(encoding="utf-8")
    section = doc.split("## Articles quoted", 1)[1].split("\n## ", 1)[0]
    out = set()
    for line in section.splitlines():
        m = re.match(rf"- (\S+) (第[{_NUM}]+条)：“", line)
        if m:
            out.add((m.group(1), m.group(2)))
    return out


def _program_text() -> dict[str, str]:
    files = [p for ext in ("py", "toml", "html", "json") for p in (ROOT / "archive").rglob(f"*.{ext}")]
    out = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in files}
    out["config.toml"] = (ROOT / "config.toml").read_text(encoding="utf-8")
    return out


def test_the_docs_quote_articles_with_their_words():
    have = quoted()
    assert ("8号令", "第四条") in have and ("8号令", "第十二条") in have
    assert not any(law in ("13号令", "实施条例") for law, _ in have), "quoted only what we read"


def test_every_article_the_program_cites_is_quoted_in_retention_md():
    have, missing = quoted(), []
    for name, text in _program_text().items():
        for law, art in sorted(citations(text)):
            if (law, art) not in have:
                missing.append(f"{name}: {law} {art}")
    assert not missing, "cited but not quoted in docs/retention.md: " + "; ".join(missing)


def test_every_basis_printed_into_a_record_cites_only_quoted_articles():
    """The bases a record carries: the procedure's own documents (appraisal.BASIS) and every rule of the example
    and starter tables."""
    bases = [appraisal.BASIS]
    for path in (ROOT / "config.toml", ROOT / "archive" / "starter_config.toml"):
        text = re.sub(r"@[A-Z]+@", '"x"', path.read_text(encoding="utf-8"))  # the starter's placeholders
        bases += [r["basis"] for r in tomllib.loads(text).get("rules", [])]
    have = quoted()
    for b in bases:
        assert citations(b) <= have, b
    assert "第二十四条" not in appraisal.BASIS  # the 实施条例 article it cited says nothing of the kind


def test_the_reader_of_citations():
    assert citations("8号令 第三条、第八条及所附《文书档案保管期限表》：…") == {("8号令", "第三条"), ("8号令", "第八条")}
    assert citations("档案法实施条例 第二十四条：…") == {("实施条例", "第二十四条")}
    assert citations("规则从上往下逐条比对，第一条全部条件都满足的规则决定结果") == set()
    assert citations("依据国家档案局令第8号：第三条是应归档的") == {("8号令", "第三条")}
