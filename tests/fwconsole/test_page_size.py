"""A page size in the query string: within bounds it applies, outside it the
list's own page size does, and never a server error."""

import pytest
from django.urls import reverse

from fwconsole.pagination import MAX_PAGE_SIZE
from tests.directory.factories import ComputerFactory, GroupFactory
from tests.policies.factories import ServerFactory

pytestmark = pytest.mark.django_db

LISTS = (
    "directory:computer_list",
    "directory:user_list",
    "directory:group_list",
    "directory:run_list",
    "directory:source_list",
    "policies:server_list",
    "policies:policy_list",
    "policies:firewallrule_list",
)

UNACCEPTABLE = ("-1", "0", "9" * 5000, "٥", str(MAX_PAGE_SIZE + 1), "1e3")


@pytest.mark.parametrize("page_size", UNACCEPTABLE)
@pytest.mark.parametrize("url_name", LISTS)
def test_a_list_asked_for_an_unacceptable_page_size_shows_its_own(
    admin_client, url_name, page_size
):
    ServerFactory()
    ComputerFactory()

    response = admin_client.get(reverse(url_name), {"per_page": page_size})

    assert response.status_code == 200
    paginator = getattr(response.context["table"], "paginator", None)
    # The lists' own page sizes are 25 and 50.
    assert paginator is None or paginator.per_page in (25, 50)


def test_a_page_size_within_bounds_applies(admin_client):
    ComputerFactory.create_batch(3)

    response = admin_client.get(reverse("directory:computer_list"), {"per_page": 2})

    assert response.status_code == 200
    assert len(response.context["table"].page.object_list) == 2


def test_a_prefixed_page_size_of_a_detail_page_table_is_bounded(admin_client):
    group = GroupFactory()

    response = admin_client.get(
        reverse("directory:object_detail", args=[group.pk]),
        {"members-per_page": "-1", "history-per_page": "-5"},
    )

    assert response.status_code == 200


def test_the_api_answers_at_most_its_largest_page(viewer_client):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from fwconsole.pagination import MAX_API_LIMIT

    response = viewer_client.get("/api/directory/computers/", {"limit": "100000000"})
    paginator = response.renderer_context["view"].paginator
    asked = Request(APIRequestFactory().get("/", {"limit": "100000000"}))

    assert response.status_code == 200
    assert paginator.get_limit(asked) == MAX_API_LIMIT == 1000
