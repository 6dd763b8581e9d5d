from django.urls import path

from policies.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="home"),
    path("dashboard/sync-health/", views.SyncHealthView.as_view(), name="sync_health"),
    path("dashboard/exposure/", views.ExposureListView.as_view(), name="exposure_list"),
    path(
        "dashboard/exposure/servers/<int:pk>/bypass/",
        views.BypassMachinesView.as_view(),
        name="bypass_machines",
    ),
    path(
        "dashboard/exposure/servers/<int:pk>/exceptions/<slug:scope>/",
        views.ExceptionMachinesView.as_view(),
        name="exception_machines",
    ),
    path(
        "dashboard/exposure/servers/<int:pk>/open/",
        views.OpenMachinesView.as_view(),
        name="open_machines",
    ),
    path(
        "dashboard/exposure/any-scope/",
        views.AnyExceptionsView.as_view(),
        name="any_exceptions",
    ),
    path("dashboard/groups/", views.GroupListView.as_view(), name="group_list"),
    path(
        "dashboard/groups/<int:pk>/members/",
        views.GroupMembersView.as_view(),
        name="group_members",
    ),
    path(
        "dashboard/membership-changes/",
        views.MembershipChangeListView.as_view(),
        name="membership_changes",
    ),
    path(
        "dashboard/findings/<slug:slug>/",
        views.FindingListView.as_view(),
        name="finding_list",
    ),
    path(
        "dashboard/thresholds/",
        views.RiskThresholdsView.as_view(),
        name="thresholds",
    ),
    path(
        "dashboard/charts/exposure.json",
        views.ExposureChartView.as_view(),
        name="chart_exposure",
    ),
    path(
        "dashboard/charts/group-sizes.json",
        views.GroupSizeChartView.as_view(),
        name="chart_group_sizes",
    ),
    path(
        "dashboard/charts/findings.json",
        views.FindingsChartView.as_view(),
        name="chart_findings",
    ),
    path(
        "dashboard/charts/sync-health.json",
        views.SyncHealthChartView.as_view(),
        name="chart_sync_health",
    ),
]
