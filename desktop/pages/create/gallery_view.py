"""The gallery grid: a list model over the gallery's files, thumbnails made off the UI thread as rows show.

The model holds only names, times and sizes; a row's icon is asked for when the view first paints
it (`thumbnail_wanted`), and arrives with `set_thumbnail` from a file-pool job, so a gallery of
thousands of images opens at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from engines.imagegen.gallery import THUMBNAIL_SIZE, GalleryItem

PathRole = Qt.ItemDataRole.UserRole
Index = QModelIndex | QPersistentModelIndex
GRID = 168  # pixels per cell: the icon and its margins
ICON = min(THUMBNAIL_SIZE, GRID - 16)


class GalleryModel(QAbstractListModel):
    thumbnail_wanted = Signal(Path)  # a row was shown whose thumbnail is not made yet

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[GalleryItem] = []
        self._icons: dict[Path, QIcon] = {}
        self._asked: set[Path] = set()
        self.placeholder = QIcon()

    def set_items(self, items: list[GalleryItem]) -> None:
        """The gallery as listed (newest first); icons of files that did not change are kept."""
        self.beginResetModel()
        before = {item.path: item.modified for item in self._items}
        same = {item.path for item in items if before.get(item.path) == item.modified}
        self._icons = {path: icon for path, icon in self._icons.items() if path in same}
        self._asked &= same
        self._items = list(items)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            icon = self._icons.get(item.path)
            if icon is None and item.path not in self._asked:
                self._asked.add(item.path)
                self.thumbnail_wanted.emit(item.path)
            return icon or self.placeholder
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return item.path.name
        if role == PathRole:
            return item.path
        return None

    def set_thumbnail(self, path: Path, thumbnail: Path | None) -> None:
        """A thumbnail made (None: the file cannot be shown; it keeps the placeholder)."""
        pixmap = QPixmap(str(thumbnail)) if thumbnail is not None else QPixmap()
        if pixmap.isNull():
            return
        self._icons[path] = QIcon(pixmap)
        for row, item in enumerate(self._items):
            if item.path == path:
                index = self.index(row)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def has_thumbnail(self, path: Path) -> bool:
        return path in self._icons

    def set_placeholder(self, symbol: QIcon, side: int) -> None:
        """The icon a cell shows until its thumbnail is made: `symbol` small, centred in a full-size square
        (a smaller icon would fix the cells' size and crop the thumbnails that follow)."""
        pixmap = QPixmap(side, side)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        small = side // 3
        symbol.paint(painter, QRect((side - small) // 2, (side - small) // 2, small, small))
        painter.end()
        self.placeholder = QIcon(pixmap)

    def path_at(self, row: int) -> Path | None:
        return self._items[row].path if 0 <= row < len(self._items) else None

    def row_of(self, path: Path) -> int:
        return next((row for row, item in enumerate(self._items) if item.path == path), -1)


class GalleryView(QListView):
    """Icon mode, cells of one size, wrapping with the width; Enter or a double-click opens an image."""

    open_requested = Signal(Path)

    def __init__(self, model: GalleryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(ICON, ICON))
        self.setGridSize(QSize(GRID, GRID))
        self.setSpacing(4)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName(self.tr("Gallery of images made"))
        self.activated.connect(self._open)

    def _open(self, index: QModelIndex) -> None:
        path = index.data(PathRole)
        if isinstance(path, Path):
            self.open_requested.emit(path)

    def current_path(self) -> Path | None:
        path = self.currentIndex().data(PathRole) if self.currentIndex().isValid() else None
        return path if isinstance(path, Path) else None
