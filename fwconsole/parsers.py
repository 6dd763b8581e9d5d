"""Request body parsers of the API."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class ConsoleJSONParser(JSONParser):
    """DRF's JSON parser, answering 400 to JSON nested too deep to read.

    Python's JSON decoder recurses once a level of nesting: a body of a
    hundred thousand '[' exhausts the stack and would be a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                "JSON parse error - the body is nested too deeply."
            ) from None
