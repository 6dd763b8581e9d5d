from django.urls import path

from fwconsole.accounts import views

app_name = "accounts"

urlpatterns = [
    path("users/", views.UserListView.as_view(), name="user_list"),
]
