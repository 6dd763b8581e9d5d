"""Numbers typed by people: ASCII digits only, bounded before int() sees them."""

import pytest

from fwconsole.numbers import ascii_number


@pytest.mark.parametrize(
    ("text", "max_digits", "expected"),
    [
        ("445", 5, 445),
        ("0", 3, 0),
        ("0" * 5000 + "8", 3, 8),
        ("1000", 3, None),
        ("9" * 5000, 5, None),
        ("٨", 3, None),
        ("-1", 3, None),
        (" 8", 3, None),
        ("", 3, None),
    ],
)
def test_reads_ascii_digits_within_the_bound_and_nothing_else(
    text, max_digits, expected
):
    assert ascii_number(text, max_digits) == expected
