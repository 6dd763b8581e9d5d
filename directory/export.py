"""Directory data written out: CSV safe to open in a spreadsheet, terminal text.

Names come from the directory, so anyone who can create an account can put
``=HYPERLINK(...)`` in one; a cell that a spreadsheet would read as a formula
is prefixed with an apostrophe (the OWASP advice for CSV injection).
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value):
    """Return the value as text a spreadsheet shows literally."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, for streaming."""

    def write(self, value):
        return value


def csv_lines(header, rows):
    """Yield CSV lines: the header, then each row's cells made safe."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def terminal_text(value):
    """Return the value with control characters shown as escapes.

    A name with a newline or an ANSI escape must not forge lines or colours in
    a command's output.
    """
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
