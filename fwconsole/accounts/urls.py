from django.urls import path

from fwconsole.accounts import views

app_name = "accounts"

urlpatterns = [
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/role/", views.UserRoleView.as_view(), name="user_role"),
    path(
        "users/<int:pk>/deactivate/",
        views.UserActiveView.as_view(active=False),
        name="user_deactivate",
    ),
    path(
        "users/<int:pk>/reactivate/",
        views.UserActiveView.as_view(active=True),
        name="user_reactivate",
    ),
    path(
        "role-mappings/", views.RoleMappingListView.as_view(), name="rolemapping_list"
    ),
    path(
        "role-mappings/<int:pk>/delete/",
        views.RoleMappingDeleteView.as_view(),
        name="rolemapping_delete",
    ),
]
