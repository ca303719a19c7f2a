"""Issue 12: one 20 MB text file must not take the main process's memory and minutes (it took 12 minutes and
2.9 GB before the extraction output was capped). Ingests such a file in this process (the extraction runs in
the worker child, as always) and prints the main process's time and peak memory.

    nice python bench/bench_big_text.py [MB] [max_text_chars]
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import pipeline
from archive.config import load_config  # noqa: E402
from archive.session import open_archive  # noqa: E402


def main() -> None:
    mb = float(sys.argv[1]) if len(sys.argv) > 1 else 20
    cap = sys.argv[2] if len(sys.argv) > 2 else None
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        text = (root / "config.toml").read_text(encoding="utf-8")
        if cap:
            text = text.replace("max_text_chars = 500000", f"max_text_chars = {cap}")
        (tmp / "config.toml").write_text(text, encoding="utf-8")
        rnd = random.Random(2)
        parts, n = ["示例县档案局文件\n示档〔2022〕9号\n示例县档案局关于档案工作的决定\n示例县人民政府：\n"], 0
        while n < mb * 1024 * 1024:
            line = "".join(chr(rnd.randint(0x4E00, 0x9FA5)) for _ in range(60)) + "。\n"
            parts.append(line)
            n += len(line.encode("utf-8"))
        parts.append("示例县档案局\n2022年3月2日\n")
        big = tmp / "big.txt"
        big.write_text("".join(parts), encoding="utf-8")
        size = big.stat().st_size
        del parts
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        arc = open_archive(load_config(tmp / "config.toml"), create=True)
        t0, c0 = time.perf_counter(), time.process_time()
        r = pipeline.ingest_file(arc, big)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kept = arc.conn.execute("SELECT length(text) FROM document_texts").fetchone()[0]
        arc.close()
    print(f"file {size / 1048576:.1f} MB -> {r.outcome}, date {r.record.get('date') if r.record else None}")
    print(f"text kept: {kept} characters")
    print(f"main process: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak / 1024:.0f} MB "
          f"(before the ingest {base / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
