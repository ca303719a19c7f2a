"""Make real scans for the OCR tests: typeset lines with ``makedocs.make_pdf``, rasterise the pages
with pdftoppm (poppler-utils), and save them as PNG, JPEG, multi-page TIFF or an image-only PDF.

``rotate`` tilts each page by that many degrees, as a sheet fed slightly askew.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

try:
    from tests.makedocs import make_pdf
except ImportError:  # tests/ itself on sys.path (bench scripts)
    from makedocs import make_pdf


def scan_pages(lines: Sequence[str], *, lines_per_page: int = 22, dpi: int = 200, rotate: float = 0.0):
    """The pages of a typeset document as Pillow images (grey)."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        pdf = make_pdf(Path(tmp) / "src.pdf", lines, lines_per_page=lines_per_page)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(Path(tmp) / "p")], check=True)
        pages = []
        for png in sorted(Path(tmp).glob("p-*.png")):
            im = Image.open(png).convert("L")
            if rotate:
                im = im.rotate(rotate, resample=Image.BICUBIC, fillcolor=255)
            pages.append(im)
        return pages


def make_scan(path, lines: Sequence[str], *, lines_per_page: int = 22, dpi: int = 200,
              rotate: float = 0.0) -> Path:
    """A scan of ``lines`` in the format ``path``'s suffix names: .png, .jpg, .tif (all pages), .pdf
    (image-only, all pages). PNG and JPEG hold page 1 only."""
    path = Path(path)
    pages = scan_pages(lines, lines_per_page=lines_per_page, dpi=dpi, rotate=rotate)
    suffix = path.suffix.lower()
    if suffix == ".png":
        pages[0].save(path, dpi=(dpi, dpi))
    elif suffix in (".jpg", ".jpeg"):
        pages[0].save(path, "JPEG", quality=80, dpi=(dpi, dpi))
    elif suffix in (".tif", ".tiff"):
        pages[0].save(path, save_all=True, append_images=pages[1:], compression="tiff_deflate", dpi=(dpi, dpi))
    elif suffix == ".pdf":
        pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi))
    else:
        raise ValueError(suffix)
    return path
