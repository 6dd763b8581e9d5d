"""Lists behind the dashboard's numbers: a title, columns and rows of cells.

A listing holds its items (whatever the computation produced: a list, or a
queryset) and a ``render`` function that turns a slice of items into rows of
cells, so that a page renders (and looks names up for) only the rows it shows
and the CSV export renders in chunks. A cell is a plain value or a ``Link``;
the page renders links, the CSV writes their text. Every figure on the
dashboard is the length of one of these lists, so the number and the list
cannot disagree.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

CSV_CHUNK = 2000


@dataclass(frozen=True)
class Link:
    """A cell that links to the page of the thing it names."""

    text: object
    url: str = ""

    def __str__(self):
        return str(self.text)


def _as_rows(items):
    return [list(item) for item in items]


@dataclass
class Listing:
    """A list page: what it shows, its columns and its items."""

    title: str
    filename: str
    columns: tuple[str, ...]
    items: Sequence
    render: Callable = _as_rows
    description: str = ""

    def __len__(self):
        if hasattr(self.items, "count") and not isinstance(self.items, list):
            return self.items.count()
        return len(self.items)

    def rows(self, items):
        """Render a slice of items as rows of cells."""
        return self.render(list(items))

    def csv_rows(self):
        """Yield every row as plain values (link text for links), chunk by chunk."""
        total = len(self)
        for start in range(0, total, CSV_CHUNK):
            for row in self.rows(self.items[start : start + CSV_CHUNK]):
                yield [cell.text if isinstance(cell, Link) else cell for cell in row]
