from django.urls import path

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.DirectoryIndexView.as_view(), name="index"),
    path("sources/<int:pk>/", views.SourceDetailView.as_view(), name="source_detail"),
    path("objects/<int:pk>/", views.ObjectDetailView.as_view(), name="object_detail"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
]
