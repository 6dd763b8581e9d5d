from django.urls import path

from policies import views

app_name = "policies"


def crud(prefix, model, list_view, create, detail, update, delete):
    """The five pages of one model on a plural hyphenated path."""
    return [
        path(f"{prefix}/", list_view.as_view(), name=f"{model}_list"),
        path(f"{prefix}/add/", create.as_view(), name=f"{model}_create"),
        path(f"{prefix}/<int:pk>/", detail.as_view(), name=f"{model}_detail"),
        path(f"{prefix}/<int:pk>/edit/", update.as_view(), name=f"{model}_update"),
        path(f"{prefix}/<int:pk>/delete/", delete.as_view(), name=f"{model}_delete"),
    ]


urlpatterns = [
    path("", views.PoliciesIndexView.as_view(), name="index"),
    path(
        "principals/search/",
        views.PrincipalSearchView.as_view(),
        name="principal_search",
    ),
    path("export/", views.PolicyExportView.as_view(), name="policy_export"),
    path("import/", views.PolicyImportView.as_view(), name="policy_import"),
    path(
        "servers/<int:pk>/exports/<slug:export_format>/",
        views.ServerExportView.as_view(),
        name="server_export",
    ),
    *crud(
        "servers",
        "server",
        views.ServerListView,
        views.ServerCreateView,
        views.ServerDetailView,
        views.ServerUpdateView,
        views.ServerDeleteView,
    ),
    *crud(
        "policies",
        "policy",
        views.PolicyListView,
        views.PolicyCreateView,
        views.PolicyDetailView,
        views.PolicyUpdateView,
        views.PolicyDeleteView,
    ),
    *crud(
        "firewall-rules",
        "firewallrule",
        views.FirewallRuleListView,
        views.FirewallRuleCreateView,
        views.FirewallRuleDetailView,
        views.FirewallRuleUpdateView,
        views.FirewallRuleDeleteView,
    ),
    *crud(
        "bypass-rules",
        "bypassrule",
        views.BypassRuleListView,
        views.BypassRuleCreateView,
        views.BypassRuleDetailView,
        views.BypassRuleUpdateView,
        views.BypassRuleDeleteView,
    ),
    *crud(
        "ipsec-policies",
        "ipsecpolicy",
        views.IPsecPolicyListView,
        views.IPsecPolicyCreateView,
        views.IPsecPolicyDetailView,
        views.IPsecPolicyUpdateView,
        views.IPsecPolicyDeleteView,
    ),
    *crud(
        "access-requirements",
        "accessrequirement",
        views.AccessRequirementListView,
        views.AccessRequirementCreateView,
        views.AccessRequirementDetailView,
        views.AccessRequirementUpdateView,
        views.AccessRequirementDeleteView,
    ),
]
