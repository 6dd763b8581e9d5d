"""The role matrix: every URL pattern of the console, requested by an anonymous
visitor, a signed-in user without a role, a viewer, an editor and an admin,
with GET and POST, answers as the view's declared role says.

The patterns come from Django's resolver, walked recursively (namespaces, the
API router, format suffixes), so a page added later is in the matrix without
anyone listing it. A pattern whose URL needs arguments gets objects made by
the factories; one this module cannot build for fails with what to add.
"""

import dataclasses

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from directory.models import SyncRun
from fwconsole.roles import Role, is_api_view, user_role, view_role

METHODS = ("GET", "POST")

# (label, role given to a signed-in user); None is the anonymous visitor.
IDENTITIES = (
    ("anonymous", None),
    ("no-role", Role.PUBLIC),
    ("viewer", Role.VIEWER),
    ("editor", Role.EDITOR),
    ("admin", Role.ADMIN),
)

# Statuses a permitted GET may give besides 2xx, 3xx and 405 (POST-only views).
EXTRA_GET_STATUSES = {
    # The health endpoint answers 500 when the worker is down, as it is here.
    "health": {500},
}


@dataclasses.dataclass(frozen=True)
class Route:
    name: str | None
    pattern: str
    callback: object
    kwarg_names: tuple

    @property
    def label(self):
        arguments = ",".join(self.kwarg_names)
        return f"{self.name}({arguments})" if arguments else str(self.name)


def pattern_kwargs(pattern):
    # Both path() and re_path() patterns compile to a regex with named groups.
    return tuple(pattern.regex.groupindex)


def discover(resolver=None, prefix="", namespace=None, kwarg_names=()):
    """Yield every URL pattern under the resolver, with its full name."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        names = kwarg_names + pattern_kwargs(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from discover(entry, prefix + str(entry.pattern), inner, names)
            continue
        name = entry.name and ":".join(part for part in (namespace, entry.name) if part)
        yield Route(name, prefix + str(entry.pattern), entry.callback, names)


ROUTES = list(discover())


# ---------------------------------------------------------------------------
# Objects for URL arguments. A `pk` is built from the model the view declares
# (`model`, or `queryset.model`) unless ROUTE_MODELS names it; anything else
# needs an entry in ROUTE_SAMPLES.


def console_user():
    return get_user_model().objects.create_user("matrix-target", password="x")


def role_mapping():
    from fwconsole.models import RoleMapping

    return RoleMapping.objects.create(
        group_dn="CN=Firewall editors,OU=Groups,DC=corp,DC=example,DC=test",
        role=RoleMapping.Role.EDITOR,
    )


def model_builders():
    """Return {model: function that makes one}, from the suite's factories."""
    from directory import models as directory_models
    from policies import models as policy_models
    from tests.directory import factories as directory_factories
    from tests.policies import factories as policy_factories

    def source():
        # Refused at once, so a connection test in a request does not wait.
        return directory_factories.DirectorySourceFactory(
            server_urls="ldap://127.0.0.1:1"
        )

    return {
        get_user_model(): console_user,
        directory_models.DirectorySource: source,
        directory_models.DirectoryObject: directory_factories.ComputerFactory,
        directory_models.Computer: directory_factories.ComputerFactory,
        directory_models.User: directory_factories.UserFactory,
        directory_models.Group: directory_factories.GroupFactory,
        directory_models.SyncRun: directory_factories.SyncRunFactory,
        policy_models.Server: policy_factories.ServerFactory,
        policy_models.Policy: policy_factories.PolicyFactory,
        policy_models.FirewallRule: policy_factories.RuleFactory,
        policy_models.BypassRule: policy_factories.BypassRuleFactory,
        policy_models.IPsecPolicy: policy_factories.IPsecPolicyFactory,
        policy_models.AccessRequirement: policy_factories.AccessRequirementFactory,
    }


# Routes whose view does not say which model its pk names.
ROUTE_MODELS = {
    "api:directory-run-detail": lambda: SyncRun,
    "accounts:user_role": get_user_model,
    "accounts:user_deactivate": get_user_model,
    "accounts:user_reactivate": get_user_model,
}


def server_pk():
    from tests.policies import factories as policy_factories

    return policy_factories.ServerFactory().pk


def referenced_group():
    """A group on a server's bypass list: the dashboard lists only such groups."""
    from tests.directory import factories as directory_factories
    from tests.policies import factories as policy_factories

    group = directory_factories.GroupFactory()
    server = policy_factories.ServerFactory()
    rule = policy_factories.BypassRuleFactory(policy=server.local_policy)
    policy_factories.BypassEntryFactory(rule=rule, sid=group.sid, name=group.name)
    return {"pk": group.pk}


# Routes with other arguments: name -> function returning reverse() kwargs.
ROUTE_SAMPLES = {
    "accounts:rolemapping_delete": lambda: {"pk": role_mapping().pk},
    "dashboard:bypass_machines": lambda: {"pk": server_pk()},
    "dashboard:open_machines": lambda: {"pk": server_pk()},
    "dashboard:exception_machines": lambda: {"pk": server_pk(), "scope": "any"},
    "dashboard:group_members": referenced_group,
    "dashboard:finding_list": lambda: {"slug": "stale-members"},
    "policies:server_export": lambda: {"pk": server_pk(), "export_format": "xp-bypass"},
}


def view_model(callback):
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    model = getattr(view_class, "model", None)
    if model is None:
        model = getattr(getattr(view_class, "queryset", None), "model", None)
    return model


def sample_kwargs(route):
    """Make the objects a route's URL needs and return its reverse() kwargs."""
    wanted = set(route.kwarg_names)
    kwargs = {}
    if "format" in wanted:
        kwargs["format"] = "json"
        wanted.discard("format")
    if route.name in ROUTE_SAMPLES:
        kwargs.update(ROUTE_SAMPLES[route.name]())
        wanted -= set(kwargs)
    elif wanted == {"pk"}:
        model = ROUTE_MODELS[route.name]() if route.name in ROUTE_MODELS else None
        model = model or view_model(route.callback)
        builder = model_builders().get(model)
        if builder is None:
            pytest.fail(
                f"{route.label}: no way to make a {model or 'object'} for its pk; "
                "add the model to model_builders() or the route to ROUTE_MODELS "
                "in tests/fwconsole/test_role_matrix.py"
            )
        kwargs["pk"] = builder().pk
        wanted.discard("pk")
    if wanted:
        pytest.fail(
            f"{route.label}: no sample value for {sorted(wanted)}; add the route "
            "to ROUTE_SAMPLES in tests/fwconsole/test_role_matrix.py"
        )
    return kwargs


# ---------------------------------------------------------------------------
# Expected answers.


def refusal_problem(route, method, identity, user, response, login_url):
    """Return what is wrong with a response, given the declared role, or None."""
    required = view_role(route.callback, method)
    status = response.status_code
    location = response.get("Location", "")
    sent_to_sign_in = status == 302 and location.startswith(login_url)
    if required == Role.PUBLIC:
        if status in (401, 403):
            return f"public view refused with {status}"
        return None
    if identity == "anonymous":
        if is_api_view(route.callback):
            if status not in (401, 403):
                return f"API answered {status} to an anonymous client, not 401/403"
        elif not sent_to_sign_in:
            return f"answered {status} to an anonymous visitor, not a sign-in redirect"
        return None
    if user_role(user) < required:
        if status != 403:
            return f"answered {status}; the view needs {required.name.lower()}"
        return None
    if status in (401, 403) or sent_to_sign_in:
        return f"refused ({status}) although the view needs {required.name.lower()}"
    if method == "GET":
        allowed = status < 400 or status == 405
        if not allowed and status not in EXTRA_GET_STATUSES.get(route.name, ()):
            return f"GET answered {status}: the sample object does not fit the view"
    return None


# ---------------------------------------------------------------------------
# Tests.


def test_walk_reaches_nested_namespaces_and_the_api_router():
    names = {route.name for route in ROUTES}

    assert {"login", "health", "dashboard:home", "directory:index"} <= names
    assert "api:api-root" in names
    assert any(
        route.name.startswith("api:") and "pk" in route.kwarg_names
        for route in ROUTES
        if route.name
    )


def test_every_url_pattern_has_a_name():
    unnamed = [route.pattern for route in ROUTES if not route.name]

    assert unnamed == [], "name these patterns so that the matrix can build them"


def test_every_view_declares_a_role():
    undeclared = [
        f"{route.label} {method}"
        for route in ROUTES
        for method in METHODS
        if view_role(route.callback, method) is None
    ]

    assert undeclared == [], "views without required_role (fwconsole/roles.py)"


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=[route.label for route in ROUTES])
def test_route_answers_every_identity_as_its_role_declares(route, make_user, settings):
    settings.FWCONSOLE_HEALTH_PING_SECONDS = 0.1
    url = reverse(route.name, kwargs=sample_kwargs(route))
    login_url = reverse("login")
    users = {
        label: make_user(f"matrix-{label}", role) if role is not None else None
        for label, role in IDENTITIES
    }

    problems = []
    for method in METHODS:
        for label, _role in IDENTITIES:
            client = Client()
            if users[label] is not None:
                client.force_login(users[label])
            response = client.generic(method, url)
            problem = refusal_problem(
                route, method, label, users[label], response, login_url
            )
            if problem:
                problems.append(f"{method} {url} as {label}: {problem}")

    assert not problems, "\n".join(problems)
