from django.urls import path

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.DirectoryIndexView.as_view(), name="index"),
    path("sources/", views.SourceListView.as_view(), name="source_list"),
    path("sources/add/", views.SourceCreateView.as_view(), name="source_create"),
    path("sources/<int:pk>/", views.SourceDetailView.as_view(), name="source_detail"),
    path(
        "sources/<int:pk>/edit/", views.SourceUpdateView.as_view(), name="source_update"
    ),
    path(
        "sources/<int:pk>/delete/",
        views.SourceDeleteView.as_view(),
        name="source_delete",
    ),
    path("sources/<int:pk>/sync/", views.SourceSyncView.as_view(), name="source_sync"),
    path(
        "sources/<int:pk>/test-connection/",
        views.SourceTestConnectionView.as_view(),
        name="source_test_connection",
    ),
    path(
        "sources/<int:pk>/import/",
        views.SourceImportView.as_view(),
        name="source_import",
    ),
    path("computers/", views.ComputerListView.as_view(), name="computer_list"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("groups/", views.GroupListView.as_view(), name="group_list"),
    path("objects/<int:pk>/", views.ObjectDetailView.as_view(), name="object_detail"),
    path("runs/", views.RunListView.as_view(), name="run_list"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path(
        "runs/<int:pk>/progress/",
        views.RunProgressView.as_view(),
        name="run_progress",
    ),
    path("runs/<int:pk>/log/", views.RunLogView.as_view(), name="run_log"),
]
