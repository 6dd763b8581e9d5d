"""What the what-if pages, the API, the command line and other apps read.

Every function works on the cached snapshot of the directory and the policies
(``policies.evaluator.current_snapshot``) unless one is passed in. Inputs are
typed names; bad input raises ``QueryError`` naming the field.

For the policy forms, ``impact_of_firewall_rule``, ``impact_of_bypass_rule``
and ``impact_of_membership`` preview an edit before it is saved.
"""

from directory.models import DirectoryObject
from policies.evaluator import (
    QueryError,
    build_query,
    current_snapshot,
    evaluate,
)
from policies.evaluator.changes import MembershipChange
from policies.evaluator.impact import (
    bypass_rule_impact,
    firewall_rule_impact,
    membership_impact,
)
from policies.evaluator.lookup import ExternalMachine, NotFound, find_machine
from policies.evaluator.query import (
    parse_address,
    parse_yes_no,
    resolve_server,
    resolve_service,
    resolve_user,
)
from policies.evaluator.reverse import what_can_reach, who_can_reach
from policies.evaluator.suggest import suggest
from policies.models import Server

SEARCH_LIMIT = 15
# No account name is longer (sAMAccountName: 256); longer text matches nothing
# and is not sent to the database as a pattern.
SEARCH_MAX_LENGTH = 256

QUERY_FIELDS = (
    "client",
    "ip",
    "user",
    "server",
    "service",
    "as_member",
    "not_member",
    "user_as_member",
    "user_not_member",
    "assume_ipsec",
    "other_client_era",
)


def _snapshot(snapshot):
    return snapshot if snapshot is not None else current_snapshot()


def run_query(*, snapshot=None, **inputs):
    """Answer one what-if query; return (Evaluation, Query)."""
    snapshot = _snapshot(snapshot)
    query = build_query(snapshot, **inputs)
    return evaluate(snapshot, query), query


def suggestions_for(*, snapshot=None, **inputs):
    """The smallest changes that would allow a query that is not allowed."""
    snapshot = _snapshot(snapshot)
    query = build_query(snapshot, **inputs)
    return suggest(snapshot, query)


def who_can_reach_server(
    *, server, service, user=None, assume_ipsec=None, snapshot=None
):
    """Every machine's verdict for one server and service (a ReachReport)."""
    snapshot = _snapshot(snapshot)
    info = resolve_server(snapshot, server)
    return who_can_reach(
        snapshot,
        info.server.pk,
        resolve_service(service),
        user_id=resolve_user(snapshot, user),
        assume_ipsec=parse_yes_no(assume_ipsec, "assume_ipsec"),
    )


def what_machine_can_reach(
    *, client=None, ip=None, user=None, assume_ipsec=None, snapshot=None
):
    """Every server and port range the client can (or may) reach."""
    snapshot = _snapshot(snapshot)
    client_id = external = None
    if client:
        try:
            found = find_machine(snapshot, client)
        except NotFound as error:
            raise QueryError("client", str(error)) from None
        if isinstance(found, ExternalMachine):
            external = found
        else:
            client_id = found.account.pk
    elif not ip:
        raise QueryError("client", "Give a client machine or an IP address.")
    user_id = resolve_user(snapshot, user)
    return what_can_reach(
        snapshot,
        client_id,
        ip=parse_address(ip),
        user_id=user_id,
        assume_ipsec=parse_yes_no(assume_ipsec, "assume_ipsec"),
        external=external,
    )


def impact_of_firewall_rule(rule, *, delete=False, snapshot=None):
    """Preview saving (or deleting) a FirewallRule, saved or not: an Impact."""
    return firewall_rule_impact(_snapshot(snapshot), rule, delete=delete)


def impact_of_bypass_rule(rule, entries=None, *, delete=False, snapshot=None):
    """Preview saving a BypassRule with its full proposed list of BypassEntry
    objects (or deleting it): an Impact."""
    return bypass_rule_impact(_snapshot(snapshot), rule, entries, delete=delete)


def impact_of_membership(member, group, *, add=True, snapshot=None):
    """Preview a machine or user joining (or leaving) a group: an Impact."""
    change = MembershipChange(member.pk, group.pk, add)
    return membership_impact(_snapshot(snapshot), change)


def search_accounts(kind, text, *, limit=SEARCH_LIMIT):
    """Accounts whose name starts with the typed text, for type-ahead.

    A plain parameterised database query on the stored, case-folded names;
    the text is never put into an LDAP filter.
    """
    text = (text or "").strip().casefold()
    # No stored name holds a NUL (and PostgreSQL refuses one in a query).
    if not text or "\x00" in text:
        return []
    queryset = DirectoryObject.objects.filter(kind=kind, deleted_at__isnull=True)
    if kind == DirectoryObject.Kind.COMPUTER:
        queryset = queryset.filter(lookup_name__startswith=text.removesuffix("$"))
    else:
        queryset = queryset.filter(lookup_name__startswith=text)
    return list(queryset.select_related("source").order_by("lookup_name", "pk")[:limit])


def search_servers(text, *, limit=SEARCH_LIMIT):
    """Servers whose name starts with the typed text."""
    text = (text or "").strip()
    if not text or "\x00" in text:
        return []
    return list(Server.objects.filter(name__istartswith=text).order_by("name")[:limit])
