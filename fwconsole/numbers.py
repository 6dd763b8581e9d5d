"""Whole numbers typed by people, read without the traps of ``int()``.

``int()`` also takes digits of other scripts ('٨' reads as 8) and raises its
own ValueError on a string of more than 4,300 digits. A number from a form, a
query string or a file is read here instead.
"""

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")


def ascii_number(text, max_digits):
    """Return the number ``text`` writes in ASCII digits, or None.

    None also when it has more than ``max_digits`` significant digits;
    leading zeros do not count.
    """
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    significant = text.lstrip("0") or "0"
    if len(significant) > max_digits:
        return None
    return int(significant)
