"""factory_boy builders for servers, policies, rules and directory principals."""

import uuid

import factory
from django.utils import timezone

from directory.models import DirectoryObject, DirectorySource
from policies.models import (
    AccessRequirement,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    IPsecPolicy,
    Policy,
    Server,
    ServerAddress,
)
from policies.services import local_policy_name

DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DirectorySource
        django_get_or_create = ("name",)

    name = "corp"
    base_dn = "DC=corp,DC=example,DC=test"
    domain_sid = DOMAIN_SID
    netbios_name = "CORP"


class PrincipalFactory(factory.django.DjangoModelFactory):
    """A directory account with a SID under the test domain."""

    class Meta:
        model = DirectoryObject

    source = factory.SubFactory(SourceFactory)
    kind = DirectoryObject.Kind.GROUP
    guid = factory.LazyFunction(lambda: str(uuid.uuid4()))
    sid = factory.Sequence(lambda n: f"{DOMAIN_SID}-{2000 + n}")
    name = factory.Sequence(lambda n: f"Group {n}")
    dn = factory.LazyAttribute(
        lambda o: f"CN={o.name},OU=Groups,DC=corp,DC=example,DC=test"
    )
    dn_key = factory.LazyAttribute(lambda o: o.dn.casefold())
    sam_account_name = factory.LazyAttribute(
        lambda o: f"{o.name}$" if o.kind == DirectoryObject.Kind.COMPUTER else o.name
    )
    lookup_name = factory.LazyAttribute(
        lambda o: o.sam_account_name.removesuffix("$").casefold()
    )
    last_seen_at = factory.LazyFunction(timezone.now)


class ServerFactory(factory.django.DjangoModelFactory):
    """A server with its local policy, as services.create_server makes one."""

    class Meta:
        model = Server
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"APP{n:04d}")
    fqdn = factory.LazyAttribute(lambda o: f"{o.name.lower()}.corp.example.test")
    era = Era.XP

    @factory.post_generation
    def local_policy(self, create, extracted, **kwargs):
        if create:
            Policy.objects.create(
                name=local_policy_name(self.name), era=self.era, local_server=self
            )


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServerAddress

    server = factory.SubFactory(ServerFactory)
    address = factory.Sequence(lambda n: f"10.20.{n // 250}.{n % 250 + 1}")
    prefix_length = 24


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    name = factory.Sequence(lambda n: f"Policy {n:04d}")
    era = Era.XP
    precedence = factory.Sequence(lambda n: n + 1)


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FirewallRule

    policy = factory.SubFactory(PolicyFactory)
    name = factory.Sequence(lambda n: f"Rule {n:04d}")
    kind = FirewallRule.Kind.PORT
    protocol = "tcp"
    ports = "445"
    scope = "*"


class BypassRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BypassRule

    policy = factory.SubFactory(PolicyFactory)
    name = factory.Sequence(lambda n: f"Bypass {n:04d}")


class BypassEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BypassEntry

    rule = factory.SubFactory(BypassRuleFactory)
    sid = factory.Sequence(lambda n: f"{DOMAIN_SID}-{5000 + n}")
    name = factory.Sequence(lambda n: f"FW-Group-{n}")


class IPsecPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IPsecPolicy

    name = factory.Sequence(lambda n: f"IPsec {n:04d}")


class AccessRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRequirement

    server = factory.SubFactory(ServerFactory)
    name = factory.Sequence(lambda n: f"Share {n:04d}")
