import sqlite3

from archive import archival_code, catalog
from archive.archival_code import ArchivalCode


def test_format_with_and_without_org():
    assert str(ArchivalCode("Z109", 2022, "Y", "BGS", 1)) == "Z109-WS·2022-Y-BGS-0001"
    assert str(ArchivalCode("Z109", 2022, "D10", None, 7)) == "Z109-WS·2022-D10-0007"
    assert str(ArchivalCode("Z109", 2022, "D30", "YWK", 12345)) == "Z109-WS·2022-D30-YWK-12345"


def test_parse_accepts_what_people_type():
    want = ArchivalCode("Z109", 2022, "Y", "BGS", 1)
    for s in ("Z109-WS·2022-Y-BGS-0001", "Z109-WS-2022-Y-BGS-0001", "z109-ws2022-y-bgs-1",
              " Z109-WS.2022-Y-BGS-0001 ", "Z109-WS•2022-Y-BGS-0001"):
        assert archival_code.parse(s) == want, s
    assert archival_code.parse("Z109-WS·2022-D10-0007") == ArchivalCode("Z109", 2022, "D10", None, 7)
    assert archival_code.parse("国发〔2022〕1号") is None
    assert archival_code.parse("Z109-WS·2022-X-0001") is None


def test_item_numbers_are_sequences_per_year_retention_org_and_never_reused(tmp_path):
    conn = catalog.connect(tmp_path / "c.sqlite")
    def take(year, ret, org):
        conn.execute("BEGIN IMMEDIATE")
        code = archival_code.allocate(conn, "Z109", year, ret, org)
        conn.execute("COMMIT")
        return code.item_no
    assert [take(2022, "Y", "BGS") for _ in range(3)] == [1, 2, 3]
    assert take(2022, "Y", "YWK") == 1
    assert take(2022, "D10", "BGS") == 1
    assert take(2023, "Y", "BGS") == 1
    assert take(2022, "Y", None) == 1
    # a rolled-back allocation does not consume a number; a committed one is never handed out again
    conn.execute("BEGIN IMMEDIATE")
    archival_code.allocate(conn, "Z109", 2022, "Y", "BGS")
    conn.execute("ROLLBACK")
    assert take(2022, "Y", "BGS") == 4
    conn.close()
    conn2 = sqlite3.connect(tmp_path / "c.sqlite")
    assert conn2.execute("SELECT last_item FROM sequences WHERE year=2022 AND retention='Y' AND org='BGS'").fetchone()[0] == 4
