"""Directory pages: overview, sources, objects and groups, sync runs."""

from directory.views.index import DirectoryIndexView
from directory.views.objects import (
    ComputerListView,
    GroupListView,
    ObjectDetailView,
    UserListView,
)
from directory.views.runs import (
    RunDetailView,
    RunListView,
    RunLogView,
    RunProgressView,
)
from directory.views.sources import (
    SourceCreateView,
    SourceDeleteView,
    SourceDetailView,
    SourceImportView,
    SourceListView,
    SourceSyncView,
    SourceTestConnectionView,
    SourceUpdateView,
)

__all__ = [
    "ComputerListView",
    "DirectoryIndexView",
    "GroupListView",
    "ObjectDetailView",
    "RunDetailView",
    "RunListView",
    "RunLogView",
    "RunProgressView",
    "SourceCreateView",
    "SourceDeleteView",
    "SourceDetailView",
    "SourceImportView",
    "SourceListView",
    "SourceSyncView",
    "SourceTestConnectionView",
    "SourceUpdateView",
    "UserListView",
]
