"""A page for every URL pattern of the console, as a fixture that the fuzz,
hostile-data, secrets, CSRF and browser tests share."""

import pytest
from django.urls import reverse

from tests.fwconsole import fuzz
from tests.fwconsole.test_role_matrix import (
    ROUTE_MODELS,
    ROUTES,
    sample_kwargs,
    view_model,
)


@pytest.fixture
def every_page(db):
    """A path for every URL pattern, with objects made for those that need them."""
    paths = []
    pk_by_model = {}
    for route in ROUTES:
        if not route.name or route.name in fuzz.SKIP_ROUTES:
            continue
        model = None
        if set(route.kwarg_names) == {"pk"}:
            model = ROUTE_MODELS.get(route.name, lambda: None)() or view_model(
                route.callback
            )
        if model in pk_by_model:
            kwargs = {"pk": pk_by_model[model]}
        else:
            try:
                kwargs = sample_kwargs(route) if route.kwarg_names else {}
            except pytest.fail.Exception:
                # The role matrix names what it cannot build; the crawler
                # still reaches such a page through the links to it.
                continue
            if model is not None:
                pk_by_model[model] = kwargs["pk"]
        paths.append(reverse(route.name, kwargs=kwargs))
    return paths
