"""REST API of the directory: sources (admin), objects, groups, runs, sync requests.

Everything is read-only except the request for a sync, which queues a run the
same way the source page's button does.
"""

import logging

from django.db.models import Count, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from directory import selectors, services
from directory.filters import DirectoryObjectFilter, GroupFilter, SyncRunFilter
from directory.models import (
    Computer,
    DirectorySource,
    Group,
    Membership,
    SyncRun,
    User,
)
from directory.serializers import (
    ComputerSerializer,
    DirectorySourceSerializer,
    GroupDetailSerializer,
    GroupSerializer,
    NestedMemberSerializer,
    SyncRequestSerializer,
    SyncRunDetailSerializer,
    SyncRunSerializer,
    UserSerializer,
)
from fwconsole.roles import Role, RoleAPIMixin

logger = logging.getLogger(__name__)


urlpatterns = []


class DirectorySourceViewSet(RoleAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Directory sources and their settings; the bind password is never given."""

    required_role = Role.ADMIN
    queryset = DirectorySource.objects.order_by("name")
    serializer_class = DirectorySourceSerializer
    filterset_fields = ("kind", "enabled")

    @extend_schema(
        request=SyncRequestSerializer,
        responses={202: SyncRunSerializer},
        summary="Queue a sync of the source",
        description="Returns the queued run, or the run already queued or "
        "running for this source.",
    )
    @action(detail=True, methods=["post"])
    def sync(self, request, *args, **kwargs):
        source = self.get_object()
        serializer = SyncRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        allow_shrink = serializer.validated_data["allow_shrink"]
        run = services.sync_request(
            source=source,
            trigger=SyncRun.Trigger.API,
            started_by=request.user,
            allow_shrink=allow_shrink,
        )
        logger.info(
            "Sync of %s requested through the API by %s: run %s is %s",
            source,
            request.user,
            run.pk,
            run.status,
        )
        body = SyncRunSerializer(run, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ObjectViewSetBase(RoleAPIMixin, viewsets.ReadOnlyModelViewSet):
    required_role = Role.VIEWER
    filterset_class = DirectoryObjectFilter

    def get_queryset(self):
        return self.model.objects.select_related("source").order_by("lookup_name", "pk")


class ComputerViewSet(ObjectViewSetBase):
    """Computer accounts, deleted ones included (``deleted_at`` set)."""

    model = Computer
    serializer_class = ComputerSerializer


class UserViewSet(ObjectViewSetBase):
    """User accounts, deleted ones included (``deleted_at`` set)."""

    model = User
    serializer_class = UserSerializer


class GroupViewSet(ObjectViewSetBase):
    """Groups; a group's own page lists its direct members, unresolved ones too."""

    model = Group
    filterset_class = GroupFilter

    def get_queryset(self):
        queryset = super().get_queryset().annotate(member_count=Count("member_links"))
        if self.action == "retrieve":
            edges = Membership.objects.select_related("member").order_by(
                "state", "member_key"
            )
            queryset = queryset.prefetch_related(Prefetch("member_links", edges))
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return GroupDetailSerializer
        if self.action == "nested_members":
            return NestedMemberSerializer
        return GroupSerializer

    @extend_schema(
        summary="Members at any depth, each with its chain up to the group",
        parameters=[
            OpenApiParameter(
                "transitive",
                OpenApiTypes.BOOL,
                description="false: direct members only (default true).",
            )
        ],
        responses=NestedMemberSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="members", filterset_class=None)
    def nested_members(self, request, *args, **kwargs):
        group = self.get_object()
        transitive = request.query_params.get("transitive", "true").lower() not in (
            "0",
            "false",
            "no",
        )
        rows = selectors.member_chains(group, transitive=transitive)
        page = self.paginate_queryset(rows)
        serializer = NestedMemberSerializer(page, many=True)
        return self.get_paginated_response(serializer.data)


class SyncRunViewSet(RoleAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Sync runs, newest first; a run's own answer carries its whole log."""

    required_role = Role.VIEWER
    filterset_class = SyncRunFilter

    def get_queryset(self):
        queryset = selectors.runs()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("log")
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return SyncRunDetailSerializer
        return SyncRunSerializer


def register(router):
    """Register this app's viewsets on the console's API router."""
    router.register(
        "directory/sources", DirectorySourceViewSet, basename="directory-source"
    )
    router.register(
        "directory/computers", ComputerViewSet, basename="directory-computer"
    )
    router.register("directory/users", UserViewSet, basename="directory-user")
    router.register("directory/groups", GroupViewSet, basename="directory-group")
    router.register("directory/runs", SyncRunViewSet, basename="directory-run")
