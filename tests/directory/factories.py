"""factory_boy builders for directory sources, objects, membership and runs.

Objects get consistent identities: a GUID, a SID under the source's domain SID,
a DN under the source's base DN and the case-folded keys the sync writes.
"""

import uuid

import factory
from django.utils import timezone
from ldap3.utils.dn import escape_rdn

from directory.ldap.dn import dn_key
from directory.models import (
    DirectoryObject,
    DirectorySource,
    Membership,
    MembershipChange,
    ObjectChange,
    SyncLogEntry,
    SyncRun,
)

DOMAIN_SID = "S-1-5-21-1004336348-1177238915-682003330"


class DirectorySourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DirectorySource
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"corp{n}")
    kind = DirectorySource.Kind.ACTIVE_DIRECTORY
    server_urls = "ldaps://dc1.corp.example.test"
    bind_dn = "CN=svc-fwconsole,OU=Service,DC=corp,DC=example,DC=test"
    base_dn = "DC=corp,DC=example,DC=test"
    domain_sid = DOMAIN_SID
    dns_domain = "corp.example.test"
    netbios_name = "CORP"


class DirectoryObjectFactory(factory.django.DjangoModelFactory):
    """A directory object; use the Computer/User/Group factories below."""

    class Meta:
        model = DirectoryObject

    class Params:
        container = "OU=Workstations"

    source = factory.SubFactory(DirectorySourceFactory)
    kind = DirectoryObject.Kind.COMPUTER
    guid = factory.LazyFunction(lambda: str(uuid.uuid4()))
    sid = factory.LazyAttributeSequence(
        lambda o, n: f"{o.source.domain_sid or DOMAIN_SID}-{1100 + n}"
    )
    name = factory.Sequence(lambda n: f"OBJ{n:05d}")
    dn = factory.LazyAttribute(
        lambda o: f"CN={escape_rdn(o.name)},{o.container},{o.source.base_dn}"
    )
    dn_key = factory.LazyAttribute(lambda o: dn_key(o.dn))
    sam_account_name = factory.LazyAttribute(lambda o: o.name)
    lookup_name = factory.LazyAttribute(
        lambda o: o.sam_account_name.removesuffix("$").casefold()
    )
    when_changed = factory.LazyFunction(timezone.now)


class ComputerFactory(DirectoryObjectFactory):
    kind = DirectoryObject.Kind.COMPUTER
    name = factory.Sequence(lambda n: f"WS{n:05d}")
    sam_account_name = factory.LazyAttribute(lambda o: f"{o.name}$")
    dns_host_name = factory.LazyAttribute(
        lambda o: f"{o.name.casefold()}.{o.source.dns_domain or 'example.test'}"
    )
    operating_system = "Windows 11 Enterprise"
    operating_system_version = "10.0 (22631)"
    user_account_control = 4096
    primary_group_id = 515


class UserFactory(DirectoryObjectFactory):
    class Params:
        container = "OU=People"

    kind = DirectoryObject.Kind.USER
    name = factory.Sequence(lambda n: f"user{n:05d}")
    display_name = factory.LazyAttribute(lambda o: f"User {o.name}")
    user_principal_name = factory.LazyAttribute(
        lambda o: f"{o.name}@{o.source.dns_domain or 'example.test'}"
    )
    user_account_control = 512
    primary_group_id = 513


class GroupFactory(DirectoryObjectFactory):
    class Params:
        container = "OU=Groups"

    kind = DirectoryObject.Kind.GROUP
    name = factory.Sequence(lambda n: f"Group-{n:05d}")
    group_type = -2147483646
    group_scope = DirectoryObject.GroupScope.GLOBAL


class MembershipFactory(factory.django.DjangoModelFactory):
    """A resolved direct edge; pass member=None with member_dn for the others."""

    class Meta:
        model = Membership

    group = factory.SubFactory(GroupFactory)
    member = factory.SubFactory(
        ComputerFactory, source=factory.SelfAttribute("..group.source")
    )
    member_dn = factory.LazyAttribute(lambda o: o.member.dn if o.member else "")
    member_key = factory.LazyAttribute(
        lambda o: o.member.dn_key if o.member else dn_key(o.member_dn)
    )
    member_sid = factory.LazyAttribute(lambda o: o.member.sid if o.member else "")
    via = Membership.Via.MEMBER
    state = Membership.State.RESOLVED


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    source = factory.SubFactory(DirectorySourceFactory)
    trigger = SyncRun.Trigger.MANUAL
    status = SyncRun.Status.SUCCEEDED
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(
        lambda o: None if o.status in SyncRun.ACTIVE_STATUSES else timezone.now()
    )
    progress = factory.LazyAttribute(
        lambda o: 100 if o.status == SyncRun.Status.SUCCEEDED else 0
    )


class SyncLogEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncLogEntry

    run = factory.SubFactory(SyncRunFactory)
    level = "INFO"
    message = factory.Sequence(lambda n: f"step {n}")


class MembershipChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipChange

    run = factory.SubFactory(SyncRunFactory)
    group = factory.SubFactory(
        GroupFactory, source=factory.SelfAttribute("..run.source")
    )
    member = factory.SubFactory(
        ComputerFactory, source=factory.SelfAttribute("..run.source")
    )
    member_dn = factory.LazyAttribute(lambda o: o.member.dn if o.member else "")
    via = Membership.Via.MEMBER
    change = MembershipChange.Change.ADDED


class ObjectChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ObjectChange

    run = factory.SubFactory(SyncRunFactory)
    obj = factory.SubFactory(
        ComputerFactory, source=factory.SelfAttribute("..run.source")
    )
    change = ObjectChange.Change.CREATED


def create_many(factory_class, count, **fields):
    """Build ``count`` objects with the factory and insert them in one query."""
    objects = factory_class.build_batch(count, **fields)
    return factory_class._meta.model.objects.bulk_create(objects)
