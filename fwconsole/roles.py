"""Console roles and the one place that enforces them.

Every view declares the role it needs: ``required_role`` for every method, and
optionally ``read_role`` for GET/HEAD/OPTIONS. ``RoleMiddleware`` refuses a view
that declares nothing, so a page added without protection fails closed (and the
role-matrix test names it). Roles are Django groups; a superuser is an admin.
"""

import enum
import logging

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Role(enum.IntEnum):
    """What a console user may do; each role includes the ones below it."""

    PUBLIC = 0
    VIEWER = 1
    EDITOR = 2
    ADMIN = 3

    @property
    def group_name(self):
        return self.name.lower()


CONSOLE_ROLES = (Role.VIEWER, Role.EDITOR, Role.ADMIN)


def user_role(user):
    """Return the highest role the user holds (Role.PUBLIC for none)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.PUBLIC
    if user.is_superuser:
        return Role.ADMIN
    cached = getattr(user, "_fwconsole_role", None)
    if cached is not None:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = max(
        (role for role in CONSOLE_ROLES if role.group_name in names),
        default=Role.PUBLIC,
    )
    user._fwconsole_role = role
    return role


def user_has_role(user, role):
    return user_role(user) >= role


def view_role(view_func, method):
    """Return the role a view declares for an HTTP method, or None."""
    view_class = getattr(view_func, "view_class", None) or getattr(
        view_func, "cls", None
    )
    holders = [view_func] + ([view_class] if view_class else [])
    for holder in holders:
        required = getattr(holder, "required_role", None)
        if required is None:
            continue
        read_role = getattr(holder, "read_role", None)
        if method in SAFE_METHODS and read_role is not None:
            return read_role
        return required
    return None


def is_api_view(view_func):
    # Imported here: DRF reads this module while rest_framework.views loads.
    from rest_framework.views import APIView

    view_class = getattr(view_func, "cls", None)
    return view_class is not None and issubclass(view_class, APIView)


class RoleMiddleware:
    """Refuse a request whose user lacks the role the view declares."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        required = view_role(view_func, request.method)
        if required is None:
            logger.error(
                "View %s declares no required_role; refusing %s",
                getattr(view_func, "__qualname__", view_func),
                request.path,
            )
            raise PermissionDenied("This page declares no role.")
        if required == Role.PUBLIC or is_api_view(view_func):
            # API views authenticate inside DRF (session or basic auth), so
            # RolePermission applies the same declaration there.
            return
        if not request.user.is_authenticated:
            # LoginRequiredMiddleware has already redirected page requests; an
            # API view marked login_not_required gets a plain 403 here.
            raise PermissionDenied("Sign in first.")
        if user_role(request.user) < required:
            raise PermissionDenied(f"This needs the {required.name.lower()} role.")
        return


class RoleRequiredMixin:
    """Class-based view mixin: set ``required_role`` (and ``read_role``)."""

    required_role = Role.VIEWER
    read_role = None


def role_required(role, read_role=None):
    """Mark a function view with the role it needs."""

    def decorate(view_func):
        view_func.required_role = role
        view_func.read_role = read_role
        return view_func

    return decorate


def public(view_func):
    """Mark a view as open to anonymous users (sign-in, health)."""
    view_func = login_not_required(view_func)
    view_func.required_role = Role.PUBLIC
    return view_func


class RolePermission(BasePermission):
    """DRF permission that applies the view's declared roles.

    The middleware has already enforced them for the request; this keeps the
    API correct when a view is called outside it (the schema generator, tests
    that build requests by hand).
    """

    def has_permission(self, request, view):
        required = getattr(view, "required_role", None)
        if required is None:
            return False
        if request.method in SAFE_METHODS and getattr(view, "read_role", None):
            required = view.read_role
        return user_role(request.user) >= required


class RoleAPIMixin:
    """Base for API views: DRF authenticates, RolePermission authorizes.

    Django's LoginRequiredMiddleware would redirect an API client that signs in
    with basic auth to the login page, so API views opt out of it here.
    """

    required_role = Role.VIEWER
    read_role = None

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        view.login_required = False
        return view


def role_context(request):
    """Template context: the user's role and shortcuts for edit controls."""
    role = user_role(getattr(request, "user", None))
    return {
        "user_role": role,
        "can_edit": role >= Role.EDITOR,
        "can_admin": role >= Role.ADMIN,
    }
