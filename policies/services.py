"""Writes to the policy tables. Every change goes through here.

Each function validates with the models' own checks (``full_clean``) before it
saves, runs in one transaction, and leaves history to django-auditlog, which
records the actor set by the request (AuditlogMiddleware), the API
(``auditlog.context.set_actor``) or the import command.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from policies.models import (
    LOCAL_POLICY_PREFIX,
    AccessRequirementGroup,
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    IPsecClient,
    Policy,
    Server,
    ServerAddress,
)

logger = logging.getLogger(__name__)

STATE_FIELDS = ("state_domain", "state_standard", "state_private", "state_public")


@dataclass(frozen=True)
class Principal:
    """A directory principal to store by SID, with the name it has now."""

    sid: str
    name: str = ""


def local_policy_name(server_name):
    return f"{LOCAL_POLICY_PREFIX}{server_name}"


def _save(obj, *, exclude=None):
    obj.full_clean(exclude=exclude)
    obj.save()
    return obj


def _assign(obj, fields):
    changed = False
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


# ---------------------------------------------------------------------------
# Servers


@transaction.atomic
def create_server(*, states=None, addresses=(), **fields):
    """Create a server, its local policy (holding ``states``) and addresses.

    ``addresses`` holds (address, prefix_length) pairs.
    """
    server = _save(Server(**fields))
    local = Policy(
        name=local_policy_name(server.name),
        era=server.era,
        local_server=server,
        description=f"Local settings of {server.name}.",
        **{name: value for name, value in (states or {}).items() if value},
    )
    _save(local)
    if addresses:
        set_server_addresses(server=server, addresses=addresses)
    logger.info("Created server %s (era %s)", server.name, server.era)
    return server


@transaction.atomic
def update_server(*, server, states=None, **fields):
    """Change a server's fields and its local firewall states.

    Changing the era re-checks every setting of the local policy against the
    new era and refuses while shared policies of the old era are linked.
    """
    old = Server.objects.select_for_update().get(pk=server.pk)
    _assign(server, fields)
    _save(server)

    local = ensure_local_policy(server=server)
    local_changes = dict(states or {})
    if server.name != old.name:
        local_changes["name"] = local_policy_name(server.name)
    if server.era != old.era:
        mismatched = server.policies.exclude(era=server.era)
        if mismatched.exists():
            names = ", ".join(sorted(mismatched.values_list("name", flat=True)))
            raise ValidationError(
                {"era": f"Unlink the {old.get_era_display()} policies first: {names}."}
            )
        local_changes["era"] = server.era
        for state in STATE_FIELDS:
            profile = state.removeprefix("state_")
            if profile not in server.profiles:
                local_changes[state] = ""
    if _assign(local, local_changes):
        _save(local)
    if server.era != old.era:
        _recheck_policy_contents(local, field="era")
    return server


def ensure_local_policy(*, server):
    """Return the server's local policy, creating it if it is missing."""
    try:
        return server.local_policy
    except Policy.DoesNotExist:
        return _save(
            Policy(
                name=local_policy_name(server.name),
                era=server.era,
                local_server=server,
                description=f"Local settings of {server.name}.",
            )
        )


@transaction.atomic
def delete_server(*, server):
    """Delete a server with its local policy, addresses and requirements."""
    logger.info("Deleting server %s", server.name)
    server.delete()


@transaction.atomic
def set_server_addresses(*, server, addresses):
    """Make the server's addresses exactly ``addresses`` ((address, prefix) pairs)."""
    wanted = {}
    for address, prefix_length in addresses:
        item = ServerAddress(
            server=server, address=address, prefix_length=prefix_length
        )
        item.full_clean(exclude=["server"], validate_unique=False)
        wanted[item.address] = item
    for existing in server.addresses.all():
        item = wanted.pop(existing.address, None)
        if item is None:
            existing.delete()
        elif existing.prefix_length != item.prefix_length:
            existing.prefix_length = item.prefix_length
            _save(existing)
    for item in wanted.values():
        _save(item)


# ---------------------------------------------------------------------------
# Generic children (addresses, listening programs, rules, authorization entries)


@transaction.atomic
def save_object(*, obj):
    """Validate and save one policy object that has no cross-row invariants."""
    if isinstance(obj, BypassRule):
        return save_bypass_rule(rule=obj)
    if isinstance(obj, Policy):
        return save_policy(policy=obj)
    if isinstance(obj, BypassEntry):
        return save_bypass_entry(entry=obj)
    return _save(obj)


@transaction.atomic
def delete_object(*, obj):
    """Delete one policy object, keeping the invariants of what remains."""
    if isinstance(obj, Policy) and obj.is_local:
        raise ValidationError(
            "A server's local policy goes with the server; delete the server."
        )
    if isinstance(obj, BypassEntry):
        rule = obj.rule
        remaining = [entry for entry in rule.entries.all() if entry.pk != obj.pk]
        rule.check_entries(remaining)
    obj.delete()


# ---------------------------------------------------------------------------
# Policies and their links to servers


@transaction.atomic
def save_policy(*, policy, servers=None, authorization=None):
    """Create or change a policy.

    ``servers`` replaces its links (shared policies); ``authorization``
    replaces its global IPsec authorization entries (dicts with sid, name,
    list_kind and deny, or AuthorizationEntry rows).
    """
    old_era = None
    if policy.pk:
        old_era = Policy.objects.filter(pk=policy.pk).values_list("era", flat=True)[0]
    _save(policy)
    if authorization is not None:
        _replace_entries(
            policy.authorization_entries.all(),
            [_as_authorization_entry(item) for item in authorization],
            parent_field="policy",
            parent=policy,
            key=lambda entry: (entry.sid, entry.list_kind, entry.deny),
        )
    if servers is not None:
        link_servers(policy=policy, servers=servers)
    if old_era is not None and old_era != policy.era:
        mismatched = policy.servers.exclude(era=policy.era)
        if mismatched.exists():
            raise ValidationError(
                {
                    "era": "Linked servers are of the other era: "
                    + ", ".join(str(server) for server in mismatched)
                }
            )
        _recheck_policy_contents(policy, field="era")
    return policy


@transaction.atomic
def delete_policy(*, policy):
    delete_object(obj=policy)


@transaction.atomic
def link_servers(*, policy, servers):
    """Make a policy (shared or IPsec) apply to exactly ``servers``.

    Each link added or removed is its own history entry naming the server, so
    the server's page lists it.
    """
    servers = list(servers)
    if isinstance(policy, Policy):
        if policy.is_local:
            raise ValidationError(
                {"servers": "A local policy applies to its own server only."}
            )
        others = [server for server in servers if server.era != policy.era]
        if others:
            raise ValidationError(
                {
                    "servers": f"{', '.join(str(s) for s in others)}: a "
                    f"{policy.get_era_display()} policy links only to servers "
                    "of that era."
                }
            )
    current = {server.pk: server for server in policy.servers.all()}
    wanted = {server.pk: server for server in servers}
    for pk in current.keys() - wanted.keys():
        policy._history_linked_server = pk
        policy.servers.remove(current[pk])
    for pk in wanted.keys() - current.keys():
        policy._history_linked_server = pk
        policy.servers.add(wanted[pk])
    policy._history_linked_server = None


def _recheck_policy_contents(policy, *, field):
    """Re-validate every row of a policy after its era changed."""
    children = [
        *policy.rules.all(),
        *policy.bypass_rules.all(),
        *policy.authorization_entries.all(),
    ]
    for child in children:
        if isinstance(child, BypassRule):
            child.pending_entries = list(child.entries.all())
        try:
            child.full_clean()
            for entry in getattr(child, "pending_entries", None) or ():
                entry.full_clean()
        except ValidationError as error:
            raise ValidationError(
                {
                    field: f"{child._meta.verbose_name} {child} does not fit the "
                    f"{policy.get_era_display()} era: " + " ".join(error.messages)
                }
            ) from None


# ---------------------------------------------------------------------------
# Bypass rules and their entries


@transaction.atomic
def save_bypass_rule(*, rule, entries=None):
    """Create or change a bypass rule; ``entries`` replaces its entries.

    ``entries`` holds BypassEntry objects (unsaved is fine) or dicts with sid,
    name, role and deny. The rule and its entries are checked as a whole:
    a later-era rule must authorize a computer, an XP-era list holds
    computers only.
    """
    if entries is None:
        proposed = list(rule.entries.all()) if rule.pk else []
    else:
        proposed = [_as_bypass_entry(item) for item in entries]
    rule.pending_entries = proposed
    try:
        _save(rule)
    finally:
        rule.pending_entries = None
    if entries is not None:
        _replace_entries(
            rule.entries.all(),
            proposed,
            parent_field="rule",
            parent=rule,
            key=lambda entry: (entry.sid, entry.role, entry.deny),
        )
    return rule


@transaction.atomic
def save_bypass_entry(*, entry):
    """Add or change one entry of a bypass rule, re-checking the whole rule."""
    rule = entry.rule
    others = [item for item in rule.entries.all() if item.pk != entry.pk]
    entry.full_clean()
    rule.check_entries([*others, entry])
    entry.save()
    return entry


def _as_authorization_entry(item):
    if isinstance(item, AuthorizationEntry):
        return item
    return AuthorizationEntry(
        sid=item["sid"],
        name=item.get("name", ""),
        list_kind=item["list_kind"],
        deny=item.get("deny", False),
    )


def _as_bypass_entry(item):
    if isinstance(item, BypassEntry):
        return item
    return BypassEntry(
        sid=item["sid"],
        name=item.get("name", ""),
        role=item.get("role", BypassEntry.Role.MACHINE),
        deny=item.get("deny", False),
    )


def _replace_entries(existing, proposed, *, parent_field, parent, key):
    """Make a parent's principal rows equal ``proposed``, touching only changes.

    Rows are matched by ``key``; a matched row keeps its id and only its stored
    name is updated, so an unchanged list leaves no history entries.
    """
    current = {key(row): row for row in existing}
    errors = []
    for index, item in enumerate(proposed):
        row = current.pop(key(item), None)
        if row is None:
            setattr(item, parent_field, parent)
            row = item
        elif row.name == item.name:
            continue
        else:
            row.name = item.name
        try:
            _save(row)
        except ValidationError as error:
            errors.append(_entry_error(index, row, error))
    if errors:
        raise ValidationError(errors)
    for row in current.values():
        row.delete()


def _entry_error(index, row, error):
    messages = []
    for field, field_messages in error.message_dict.items():
        label = "" if field == NON_FIELD_ERRORS else f"{field}: "
        messages.extend(label + message for message in field_messages)
    return ValidationError(
        f"Entry {index + 1} ({row.name or row.sid}): " + " ".join(messages)
    )


# ---------------------------------------------------------------------------
# IPsec policies and access requirements


@transaction.atomic
def save_ipsec_policy(*, policy, clients=None, servers=None):
    """Create or change an IPsec policy; ``clients`` and ``servers`` replace them.

    ``clients`` holds Principal objects (or IPsecClient rows).
    """
    _save(policy)
    if clients is not None:
        _replace_entries(
            policy.clients.all(),
            [_as_principal(IPsecClient, item) for item in clients],
            parent_field="policy",
            parent=policy,
            key=lambda client: client.sid,
        )
    if servers is not None:
        link_servers(policy=policy, servers=servers)
    return policy


@transaction.atomic
def save_access_requirement(*, requirement, groups=None):
    """Create or change an access requirement; ``groups`` replaces its groups."""
    _save(requirement)
    if groups is not None:
        _replace_entries(
            requirement.groups.all(),
            [_as_principal(AccessRequirementGroup, item) for item in groups],
            parent_field="requirement",
            parent=requirement,
            key=lambda group: group.sid,
        )
    return requirement


def _as_principal(model, item):
    if isinstance(item, model):
        return item
    if isinstance(item, dict):
        return model(sid=item["sid"], name=item.get("name", ""))
    return model(sid=item.sid, name=item.name)
