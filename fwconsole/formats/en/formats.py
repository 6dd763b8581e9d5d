"""Date formats of the console: one unambiguous, sortable form on every page.

Django's English formats ("Dec. 4, 2026, 7:14 a.m.", "12/04/2026") would give
details, tables and history three different spellings of the same moment.
"""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "Y-m"
