"""List and detail pages issue a bounded number of queries, whatever the size.

Each page is measured with 10 objects of every kind and again with 1,000: the
count must not grow, and it stays under a fixed ceiling.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import DirectoryObject
from policies.models import (
    AccessRequirement,
    AccessRequirementGroup,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    IPsecClient,
    IPsecPolicy,
    Policy,
    Server,
    ServerAddress,
)
from policies.services import local_policy_name
from tests.policies.factories import DOMAIN_SID, SourceFactory

pytestmark = pytest.mark.django_db

CEILING = 40


class Population:
    """Grows every kind of policy object to a given count, in bulk."""

    def __init__(self):
        self.size = 0
        self.source = SourceFactory()
        self.big = Server.objects.create(name="BIG", era=Era.ADVANCED)
        self.big_local = Policy.objects.create(
            name=local_policy_name("BIG"), era=Era.ADVANCED, local_server=self.big
        )
        self.shared = Policy.objects.create(
            name="Shared", era=Era.ADVANCED, precedence=1
        )
        self.shared.servers.add(self.big)
        self.bypass = BypassRule.objects.create(policy=self.shared, name="Bypass")
        self.ipsec = IPsecPolicy.objects.create(name="Isolation")
        self.ipsec.servers.add(self.big)
        self.requirement = AccessRequirement.objects.create(
            server=self.big, name="Share"
        )

    def grow(self, size):
        numbers = range(self.size, size)
        servers = Server.objects.bulk_create(
            Server(name=f"S{n:05d}", era=Era.ADVANCED) for n in numbers
        )
        Policy.objects.bulk_create(
            Policy(name=local_policy_name(s.name), era=Era.ADVANCED, local_server=s)
            for s in servers
        )
        ServerAddress.objects.bulk_create(
            ServerAddress(
                server=s, address=f"10.1.{n // 250}.{n % 250 + 1}", prefix_length=24
            )
            for n, s in zip(numbers, servers, strict=True)
        )
        ServerAddress.objects.bulk_create(
            ServerAddress(
                server=self.big,
                address=f"10.2.{n // 250}.{n % 250 + 1}",
                prefix_length=24,
            )
            for n in numbers
        )
        policies = Policy.objects.bulk_create(
            Policy(name=f"P{n:05d}", era=Era.ADVANCED, precedence=n + 2)
            for n in numbers
        )
        Policy.servers.through.objects.bulk_create(
            Policy.servers.through(policy=p, server=self.big) for p in policies
        )
        FirewallRule.objects.bulk_create(
            FirewallRule(
                policy=self.big_local, name=f"R{n:05d}", protocol="tcp", ports="80"
            )
            for n in numbers
        )
        FirewallRule.objects.bulk_create(
            FirewallRule(
                policy=self.shared, name=f"R{n:05d}", protocol="tcp", ports="81"
            )
            for n in numbers
        )
        BypassRule.objects.bulk_create(
            BypassRule(policy=p, name="Bypass") for p in policies
        )
        DirectoryObject.objects.bulk_create(
            DirectoryObject(
                source=self.source,
                kind="group",
                guid=f"guid-{n}",
                sid=f"{DOMAIN_SID}-{10000 + n}",
                dn=f"CN=G{n},DC=corp",
                dn_key=f"cn=g{n},dc=corp",
                name=f"G{n}",
                lookup_name=f"g{n}",
            )
            for n in numbers
        )
        BypassEntry.objects.bulk_create(
            BypassEntry(rule=self.bypass, sid=f"{DOMAIN_SID}-{10000 + n}", name=f"G{n}")
            for n in numbers
        )
        IPsecPolicy.objects.bulk_create(IPsecPolicy(name=f"I{n:05d}") for n in numbers)
        IPsecClient.objects.bulk_create(
            IPsecClient(
                policy=self.ipsec, sid=f"{DOMAIN_SID}-{10000 + n}", name=f"G{n}"
            )
            for n in numbers
        )
        AccessRequirement.objects.bulk_create(
            AccessRequirement(server=s, name="Share") for s in servers
        )
        AccessRequirementGroup.objects.bulk_create(
            AccessRequirementGroup(
                requirement=self.requirement,
                sid=f"{DOMAIN_SID}-{10000 + n}",
                name=f"G{n}",
            )
            for n in numbers
        )
        self.size = size


PAGES = {
    "index": lambda p: reverse("policies:index"),
    "server_list": lambda p: reverse("policies:server_list"),
    "server_detail": lambda p: p.big.get_absolute_url(),
    "policy_list": lambda p: reverse("policies:policy_list"),
    "policy_detail": lambda p: p.shared.get_absolute_url(),
    "firewallrule_list": lambda p: reverse("policies:firewallrule_list"),
    "firewallrule_detail": lambda p: FirewallRule.objects.first().get_absolute_url(),
    "bypassrule_list": lambda p: reverse("policies:bypassrule_list"),
    "bypassrule_detail": lambda p: p.bypass.get_absolute_url(),
    "ipsecpolicy_list": lambda p: reverse("policies:ipsecpolicy_list"),
    "ipsecpolicy_detail": lambda p: p.ipsec.get_absolute_url(),
    "accessrequirement_list": lambda p: reverse("policies:accessrequirement_list"),
    "accessrequirement_detail": lambda p: p.requirement.get_absolute_url(),
    "server_edit": lambda p: reverse("policies:server_update", args=[p.big.pk]),
    "bypassrule_edit": lambda p: reverse(
        "policies:bypassrule_update", args=[p.bypass.pk]
    ),
    "changelog": lambda p: reverse("changelog"),
}


def count_queries(client, url):
    client.get(url)  # warm per-process caches (content types, the session)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_pages_issue_the_same_queries_with_10_and_1000_objects(
    editor_client, django_assert_max_num_queries
):
    population = Population()
    population.grow(10)
    urls = {page: build(population) for page, build in PAGES.items()}
    small = {page: count_queries(editor_client, url) for page, url in urls.items()}

    population.grow(1000)
    large = {}
    for page, url in urls.items():
        with django_assert_max_num_queries(CEILING):
            editor_client.get(url)
        large[page] = count_queries(editor_client, url)

    assert large == small
