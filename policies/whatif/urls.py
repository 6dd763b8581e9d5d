from django.urls import path

from policies.whatif import views

app_name = "whatif"

urlpatterns = [
    path("", views.WhatIfView.as_view(), name="query"),
]
