"""Console user management (admin role): who may sign in and with which role."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from fwconsole.accounts import selectors, services
from fwconsole.accounts.forms import LocalUserCreateForm, RoleForm, RoleMappingForm
from fwconsole.auth.mapping import ROLE_BY_NAME
from fwconsole.models import RoleMapping
from fwconsole.roles import Role, RoleRequiredMixin, user_role


def _errors_to_form(form, error):
    """Put a service's ValidationError on the form it came from."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class UserListView(RoleRequiredMixin, View):
    required_role = Role.ADMIN

    def get(self, request):
        page = Paginator(selectors.console_users(), 50).get_page(
            request.GET.get("page")
        )
        rows = [(user, selectors.role_of(user)) for user in page]
        return render(request, "accounts/user_list.html", {"page": page, "rows": rows})


class UserCreateView(RoleRequiredMixin, View):
    required_role = Role.ADMIN
    template_name = "accounts/user_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": LocalUserCreateForm()})

    def post(self, request):
        form = LocalUserCreateForm(request.POST)
        if form.is_valid():
            try:
                user = services.create_local_user(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                    role=ROLE_BY_NAME[form.cleaned_data["role"]],
                    actor=request.user,
                    request=request,
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, f"Local user {user.username} created.")
                return redirect("accounts:user_list")
        return render(request, self.template_name, {"form": form}, status=400)


class UserRoleView(RoleRequiredMixin, View):
    required_role = Role.ADMIN
    template_name = "accounts/user_role_form.html"

    def _context(self, user, form):
        return {
            "console_user": user,
            "form": form,
            "directory_account": getattr(user, "directory_account", None),
        }

    def get(self, request, pk):
        user = get_object_or_404(
            get_user_model().objects.select_related("directory_account"), pk=pk
        )
        current = user_role(user)
        initial = current.group_name if current != Role.PUBLIC else "viewer"
        form = RoleForm(initial={"role": initial})
        return render(request, self.template_name, self._context(user, form))

    def post(self, request, pk):
        user = get_object_or_404(
            get_user_model().objects.select_related("directory_account"), pk=pk
        )
        form = RoleForm(request.POST)
        if form.is_valid():
            try:
                changed = services.set_local_user_role(
                    user,
                    ROLE_BY_NAME[form.cleaned_data["role"]],
                    actor=request.user,
                    request=request,
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                if changed:
                    messages.success(
                        request,
                        f"{user.username} is now {form.cleaned_data['role']}.",
                    )
                return redirect("accounts:user_list")
        return render(
            request, self.template_name, self._context(user, form), status=400
        )


class UserActiveView(RoleRequiredMixin, View):
    """Deactivate or reactivate a console user (POST only)."""

    required_role = Role.ADMIN
    active = False

    def post(self, request, pk):
        user = get_object_or_404(get_user_model(), pk=pk)
        try:
            services.set_user_active(
                user, self.active, actor=request.user, request=request
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            state = "reactivated" if self.active else "deactivated"
            messages.success(request, f"{user.username} {state}.")
        return redirect("accounts:user_list")


class RoleMappingListView(RoleRequiredMixin, View):
    """AD groups mapped to console roles; an admin adds and removes them here."""

    required_role = Role.ADMIN
    template_name = "accounts/rolemapping_list.html"

    def _render(self, request, form, status=200):
        context = {
            "form": form,
            "mappings": selectors.console_mappings(),
            "settings_mappings": selectors.settings_mappings(),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, RoleMappingForm())

    def post(self, request):
        form = RoleMappingForm(request.POST)
        if form.is_valid():
            try:
                services.add_role_mapping(
                    group_dn=form.cleaned_data["group_dn"],
                    role=form.cleaned_data["role"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                    request=request,
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, "Role mapping added.")
                return redirect("accounts:rolemapping_list")
        return self._render(request, form, status=400)


class RoleMappingDeleteView(RoleRequiredMixin, View):
    required_role = Role.ADMIN

    def post(self, request, pk):
        mapping = get_object_or_404(RoleMapping, pk=pk)
        services.remove_role_mapping(mapping, actor=request.user, request=request)
        messages.success(
            request,
            "Role mapping removed; its members lose the role at their next sign-in.",
        )
        return redirect("accounts:rolemapping_list")
