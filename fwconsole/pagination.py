"""Bounds on the page size a list or the API may be asked for.

django-tables2 reads ``per_page`` (or ``<prefix>-per_page``) from the query
string into the table's paginator as is: ``?per_page=-1`` makes its page
count negative and raises EmptyPage while it tries to recover, a 500
(jieter/django-tables2#913); ``?per_page=100000000`` renders every row of a
directory of 50,000 machines in one page. No page of the console links a page
size, so a value outside the bounds is dropped and the table's own applies.
"""

from rest_framework.pagination import LimitOffsetPagination

from fwconsole.numbers import ascii_number

MAX_PAGE_SIZE = 500
MAX_API_LIMIT = 1000
PAGE_SIZE_PARAMETER = "per_page"


def _acceptable(value):
    size = ascii_number(value, len(str(MAX_PAGE_SIZE)))
    return size is not None and 1 <= size <= MAX_PAGE_SIZE


class PageSizeMiddleware:
    """Drop page sizes outside 1..MAX_PAGE_SIZE from the query string."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        unacceptable = [
            name
            for name, values in request.GET.lists()
            if name.endswith(PAGE_SIZE_PARAMETER)
            and not all(_acceptable(value) for value in values)
        ]
        if unacceptable:
            query = request.GET.copy()
            for name in unacceptable:
                del query[name]
            request.GET = query
        return self.get_response(request)


class ConsoleLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset pages, at most MAX_API_LIMIT objects a page.

    Without a bound, ?limit=100000000 serialises a whole directory in one
    answer; a larger limit gets MAX_API_LIMIT and the next link.
    """

    max_limit = MAX_API_LIMIT
