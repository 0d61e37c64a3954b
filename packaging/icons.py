"""Make every icon the installers need from one source image, resources/candeia.svg.

Qt renders the SVG (QSvgRenderer, offscreen: no display needed) to PNGs; Pillow packs them into the
Windows `.ico` and the macOS `.icns` (Pillow writes both on any OS, so icons build anywhere).
"""

from __future__ import annotations

import os
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "resources" / "candeia.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an .ico entry holds


def render_png(svg: Path, size: int, out: Path) -> Path:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])  # QPainter on images needs a Gui application
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"icons: cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out)):  # format from the .png suffix
        raise SystemExit(f"icons: cannot write {out}")
    return out


def make_icons(out_dir: Path, svg: Path = SOURCE) -> dict[str, Path]:
    """Write candeia-<size>.png for each size, candeia.png (256), candeia.ico and candeia.icns under out_dir."""
    from PIL import Image

    pngs = {size: render_png(svg, size, out_dir / f"candeia-{size}.png") for size in PNG_SIZES}
    largest = Image.open(pngs[1024])
    ico = out_dir / "candeia.ico"
    largest.save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES])
    icns = out_dir / "candeia.icns"
    largest.save(icns, format="ICNS")  # Pillow derives the 16..512@2x entries from the 1024 image
    png = out_dir / "candeia.png"
    png.write_bytes(pngs[256].read_bytes())
    return {"png": png, "ico": ico, "icns": icns, "svg": svg}


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/assets")
    for kind, path in make_icons(target).items():
        print(f"{kind}: {path}")
