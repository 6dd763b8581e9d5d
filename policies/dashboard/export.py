"""CSV export of the dashboard's lists, safe to open in a spreadsheet.

Directory names and descriptions are data written by whoever can create an
account, so a name such as ``=HYPERLINK(...)`` must not become a formula: a
text cell a spreadsheet would read as one is prefixed with an apostrophe (the
OWASP advice against CSV injection). Numbers stay numbers.
"""

import csv

from django.http import StreamingHttpResponse

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
    yield writer.writerow([csv_cell(label) for label in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_response(filename, header, rows):
    """Return a streamed CSV download of the rows."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
