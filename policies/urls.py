from django.urls import path

from policies import views

app_name = "policies"

urlpatterns = [
    path("", views.PoliciesIndexView.as_view(), name="index"),
    path("servers/<int:pk>/", views.ServerDetailView.as_view(), name="server_detail"),
    path("policies/<int:pk>/", views.PolicyDetailView.as_view(), name="policy_detail"),
    path(
        "ipsec-policies/<int:pk>/",
        views.IPsecPolicyDetailView.as_view(),
        name="ipsecpolicy_detail",
    ),
]
