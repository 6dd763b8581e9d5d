"""REST API of the what-if evaluator.

``POST /api/whatif/`` answers one query with the same JSON the command line
prints (``whatif --json``): verdict, summary, ordered rungs, facts. Bad input
(an unknown machine, a malformed port) gets 400 with the field and the
message, never a verdict. ``who-can-reach`` and ``what-can-reach`` answer the
reverse queries. Viewers may run all of them.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from fwconsole.roles import Role, RoleAPIMixin
from policies.evaluator import QueryError
from policies.whatif import selectors


class NameList(serializers.ListField):
    child = serializers.CharField(max_length=300)


class WhatIfQuerySerializer(serializers.Serializer):
    client = serializers.CharField(required=False, allow_blank=True, max_length=300)
    ip = serializers.CharField(required=False, allow_blank=True, max_length=64)
    user = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=300
    )
    server = serializers.CharField(max_length=300)
    service = serializers.CharField(max_length=300)
    assume_ipsec = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=10
    )
    as_member = NameList(required=False)
    not_member = NameList(required=False)
    user_as_member = NameList(required=False)
    user_not_member = NameList(required=False)
    other_client_era = serializers.BooleanField(required=False, default=False)
    suggestions = serializers.BooleanField(required=False, default=False)


class WhoCanReachSerializer(serializers.Serializer):
    server = serializers.CharField(max_length=300)
    service = serializers.CharField(max_length=300)
    user = serializers.CharField(required=False, allow_blank=True, max_length=300)
    assume_ipsec = serializers.CharField(
        required=False, allow_blank=True, max_length=10
    )


class WhatCanReachSerializer(serializers.Serializer):
    client = serializers.CharField(required=False, allow_blank=True, max_length=300)
    ip = serializers.CharField(required=False, allow_blank=True, max_length=64)
    user = serializers.CharField(required=False, allow_blank=True, max_length=300)
    assume_ipsec = serializers.CharField(
        required=False, allow_blank=True, max_length=10
    )


def _bad_input(serializer):
    field, messages = next(iter(serializer.errors.items()))
    return Response(
        {"field": field, "error": " ".join(_messages(messages))},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _messages(errors):
    """Flatten DRF's errors; a list field's are keyed by the bad item's index."""
    if isinstance(errors, dict):
        return [
            f"Item {index + 1}: {message}"
            for index, item_errors in errors.items()
            for message in _messages(item_errors)
        ]
    return [str(message) for message in errors]


def query_error(error):
    return Response(error.as_dict(), status=status.HTTP_400_BAD_REQUEST)


class WhatIfAPIView(RoleAPIMixin, APIView):
    """Evaluate one what-if query."""

    required_role = Role.VIEWER

    @extend_schema(request=WhatIfQuerySerializer, responses={200: dict, 400: dict})
    def post(self, request):
        serializer = WhatIfQuerySerializer(data=request.data)
        if not serializer.is_valid():
            return _bad_input(serializer)
        inputs = dict(serializer.validated_data)
        with_suggestions = inputs.pop("suggestions")
        try:
            evaluation, _ = selectors.run_query(**inputs)
            answer = evaluation.as_dict()
            if with_suggestions:
                answer["suggestions"] = [
                    s.as_dict() for s in selectors.suggestions_for(**inputs)
                ]
        except QueryError as error:
            return query_error(error)
        return Response(answer)


class WhoCanReachAPIView(RoleAPIMixin, APIView):
    """Every machine's verdict for one server and service, grouped by path."""

    required_role = Role.VIEWER

    @extend_schema(request=WhoCanReachSerializer, responses={200: dict, 400: dict})
    def post(self, request):
        serializer = WhoCanReachSerializer(data=request.data)
        if not serializer.is_valid():
            return _bad_input(serializer)
        try:
            report = selectors.who_can_reach_server(**serializer.validated_data)
        except QueryError as error:
            return query_error(error)
        return Response(
            {
                "server": report.server.name,
                "service": str(report.service),
                "counts": report.counts(),
                "paths": {
                    path: [row.account.label for row in rows]
                    for path, rows in report.by_path.items()
                },
                "machines": [
                    {
                        "machine": row.account.label,
                        "verdict": str(row.verdict),
                        "path": row.path,
                    }
                    for row in report.rows
                ],
            }
        )


class WhatCanReachAPIView(RoleAPIMixin, APIView):
    """Every server and port range a machine can (or may) reach."""

    required_role = Role.VIEWER

    @extend_schema(request=WhatCanReachSerializer, responses={200: dict, 400: dict})
    def post(self, request):
        serializer = WhatCanReachSerializer(data=request.data)
        if not serializer.is_valid():
            return _bad_input(serializer)
        try:
            reachable = selectors.what_machine_can_reach(**serializer.validated_data)
        except QueryError as error:
            return query_error(error)
        return Response(
            {
                "reachable": [
                    {
                        "server": item.server.name,
                        "service": item.label,
                        "verdict": str(item.verdict),
                        "path": item.path,
                        "reasons": list(item.reasons),
                    }
                    for item in reachable
                ]
            }
        )


urlpatterns = [
    path("whatif/", WhatIfAPIView.as_view(), name="whatif"),
    path(
        "whatif/who-can-reach/",
        WhoCanReachAPIView.as_view(),
        name="whatif_who_can_reach",
    ),
    path(
        "whatif/what-can-reach/",
        WhatCanReachAPIView.as_view(),
        name="whatif_what_can_reach",
    ),
]


def register(router):
    """This app has no viewsets; its API views are in ``urlpatterns``."""
