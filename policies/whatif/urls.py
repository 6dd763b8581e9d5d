from django.urls import path

from policies.whatif import views

app_name = "whatif"

urlpatterns = [
    path("", views.WhatIfView.as_view(), name="query"),
    path("suggestions/", views.SuggestionsView.as_view(), name="suggestions"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("who-can-reach/", views.WhoCanReachView.as_view(), name="who_can_reach"),
    path("what-can-reach/", views.WhatCanReachView.as_view(), name="what_can_reach"),
    path("impact/", views.ImpactView.as_view(), name="impact"),
]
