"""Console user management (admin role): who may sign in and with which role."""

from django.contrib.auth import get_user_model
from django.views.generic import ListView

from fwconsole.roles import Role, RoleRequiredMixin


class UserListView(RoleRequiredMixin, ListView):
    required_role = Role.ADMIN
    template_name = "accounts/user_list.html"
    context_object_name = "users"

    def get_queryset(self):
        return get_user_model().objects.prefetch_related("groups").order_by("username")
