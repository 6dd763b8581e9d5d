"""The lists behind the dashboard's exposure, group and history figures.

Each function returns a ``Listing`` built from one ``DashboardData``; the
figure on the dashboard is the length of that listing (or of its items).
"""

from django.http import Http404
from django.urls import reverse

from directory.models import DirectoryObject
from policies.dashboard.exposure import SCOPE_KINDS, SCOPE_LABELS
from policies.dashboard.findings import policy_url
from policies.dashboard.listing import Link, Listing
from policies.models import FirewallRule, FirewallState


def object_url(pk):
    return reverse("directory:object_detail", args=[pk])


def source_objects_url(source_pk, kind):
    """The directory's list of one source's live objects of one kind."""
    return reverse(f"directory:{kind}_list") + f"?source={source_pk}&deleted=false"


def chain_text(chain, labels):
    """Render a membership chain: machine → group → … (primary groups marked)."""
    if chain is None:
        return ""
    parts = [str(labels.get(chain.start_id) or chain.start_id)]
    for link in chain.links:
        label = str(labels.get(link.group_id) or link.group_id)
        parts.append(f"{label} (primary group)" if link.is_primary else label)
    return " → ".join(parts)


def service_text(rule):
    """Describe what an exception opens: ports, a program or a predefined group."""
    if rule.kind == FirewallRule.Kind.PROGRAM:
        return rule.program_path
    if rule.kind == FirewallRule.Kind.PREDEFINED:
        return rule.get_predefined_group_display()
    if rule.kind == FirewallRule.Kind.ICMP:
        return f"ICMP {rule.icmp_type}"
    protocol = (rule.protocol or "any").upper()
    return f"{protocol} {rule.ports or '*'}"


def exposure_rank(exposure):
    return (
        -(exposure.open_count + exposure.bypass_count + exposure.exception_total),
        exposure.server.name.casefold(),
    )


def ranked_exposures(data):
    """Servers, the most exposed first."""
    return sorted(data.exposures, key=exposure_rank)


def exposure_links(exposure):
    """Return the URLs behind one server's exposure figures."""
    server_pk = exposure.server.pk
    links = {
        "bypass": reverse("dashboard:bypass_machines", args=[server_pk]),
        "open": reverse("dashboard:open_machines", args=[server_pk]),
    }
    for kind in SCOPE_KINDS:
        url = reverse("dashboard:exception_machines", args=[server_pk, kind])
        links[kind.replace("-", "_")] = url
    return links


def exposure_listing(data):
    def render(items):
        rows = []
        for exposure in items:
            links = exposure_links(exposure)
            server = exposure.server
            rows.append(
                [
                    Link(server.name, server.get_absolute_url()),
                    server.get_era_display(),
                    server.get_active_profile_display(),
                    FirewallState(exposure.state).label if exposure.state else "",
                    Link(exposure.bypass_count, links["bypass"]),
                    ", ".join(
                        f"{item.label} ({count})" for item, count in exposure.through
                    ),
                    *(
                        Link(
                            exposure.exception_count(kind),
                            links[kind.replace("-", "_")],
                        )
                        for kind in SCOPE_KINDS
                    ),
                    exposure.exception_total,
                    Link(exposure.open_count, links["open"])
                    if exposure.firewall_off
                    else 0,
                    Link(exposure.conflict_count, links["bypass"])
                    if exposure.conflict_count
                    else 0,
                ]
            )
        return rows

    return Listing(
        title="Bypass exposure of every server",
        filename="exposure.csv",
        columns=(
            "Server",
            "Era",
            "Profile",
            "Firewall",
            "Bypass machines",
            "Through",
            *(f"Exceptions: {SCOPE_LABELS[kind]}" for kind in SCOPE_KINDS),
            "Exception machines",
            "Open (firewall off)",
            "Bypass in conflict",
        ),
        items=ranked_exposures(data),
        render=render,
        description="How many machines each server admits through its bypass "
        "list and its exceptions, the most exposed first.",
    )


def _server_exposure(data, server_pk):
    for exposure in data.exposures:
        if exposure.server.pk == server_pk:
            return exposure
    raise Http404("No such server.")


def bypass_machines_listing(data, server_pk, sid=""):
    """The machines a server's bypass admits (optionally through one entry)."""
    exposure = _server_exposure(data, server_pk)
    facts = data.facts
    listed = exposure.listed
    if sid:
        listed = [item for item in listed if item.sid == sid]
        if not listed:
            raise Http404("That SID is not on this server's bypass list.")
    admitted = exposure.bypass_ids | exposure.conflict_ids
    through = {}
    for item in listed:
        for machine_id in item.machine_ids & admitted:
            through.setdefault(machine_id, item)
    items = sorted(through.items(), key=lambda pair: facts.label(pair[0]).casefold())

    def render(page):
        chains = {}
        for machine_id, item in page:
            principal = item.principal
            if principal.kind == DirectoryObject.Kind.GROUP:
                chains[machine_id] = facts.chain(machine_id, principal.pk)
        ids = {pk for chain in chains.values() if chain for pk in chain.object_ids()}
        labels = facts.labels_for(ids | {machine_id for machine_id, _ in page})
        return [
            [
                Link(labels.get(machine_id), object_url(machine_id)),
                facts.computers[machine_id].operating_system,
                Link(item.label, object_url(item.principal.pk)),
                chain_text(chains.get(machine_id), labels),
            ]
            for machine_id, item in page
        ]

    server = exposure.server
    title = f"Machines {server.name} admits through its bypass"
    if sid:
        title += f" via {listed[0].label}"
    description = (
        "Enabled computer accounts on the bypass list, directly or through nested "
        "groups (primary groups included), minus deny entries, that negotiate "
        "Kerberos IPsec with the server."
    )
    if exposure.conflict_ids:
        description += (
            " \"Don't allow exceptions\" is on: Microsoft's texts conflict on "
            "whether these machines still bypass the firewall."
        )
    return Listing(
        title=title,
        filename=f"bypass-{server.name}.csv",
        columns=("Computer", "Operating system", "Listed as", "Membership chain"),
        items=items,
        render=render,
        description=description,
    )


def exception_machines_listing(data, server_pk, scope_kind):
    """The known machines a server's exceptions admit through one kind of scope."""
    if scope_kind not in SCOPE_KINDS:
        raise Http404("No such scope kind.")
    exposure = _server_exposure(data, server_pk)
    facts = data.facts
    ids = exposure.exception_ids.get(scope_kind, set())
    items = sorted(ids, key=lambda pk: facts.label(pk).casefold())
    exceptions = [
        item for item in exposure.exceptions if scope_kind in item.machine_ids
    ]

    def render(page):
        return [
            [
                Link(facts.label(pk), object_url(pk)),
                facts.computers[pk].operating_system,
                ", ".join(facts.accounts[pk].addresses),
                ", ".join(
                    item.rule.name
                    for item in exceptions
                    if pk in item.machine_ids[scope_kind]
                ),
            ]
            for pk in page
        ]

    server = exposure.server
    label = SCOPE_LABELS[scope_kind]
    return Listing(
        title=f"Machines {server.name} admits through {label} exceptions",
        filename=f"exceptions-{scope_kind}-{server.name}.csv",
        columns=("Computer", "Operating system", "Addresses", "Exceptions"),
        items=items,
        render=render,
        description="Known machines whose addresses the exceptions' scopes admit "
        "(Any admits every machine, known address or not).",
    )


def open_machines_listing(data, server_pk):
    """The machines a server with its firewall off lets in on every port."""
    exposure = _server_exposure(data, server_pk)
    facts = data.facts
    items = sorted(exposure.open_ids, key=lambda pk: facts.label(pk).casefold())

    def render(page):
        return [
            [
                Link(facts.label(pk), object_url(pk)),
                facts.computers[pk].operating_system,
                ", ".join(facts.accounts[pk].addresses),
            ]
            for pk in page
        ]

    server = exposure.server
    return Listing(
        title=f"Machines {server.name} admits with its firewall off",
        filename=f"open-{server.name}.csv",
        columns=("Computer", "Operating system", "Addresses"),
        items=items,
        render=render,
        description="The firewall is off in the server's active profile: every "
        "machine reaches every port, except those its IPsec policies drop.",
    )


def any_exceptions_listing(data):
    """Exceptions in force whose scope is Any, server by server."""
    items = [
        (exposure, item)
        for exposure in sorted(data.exposures, key=lambda e: e.server.name.casefold())
        for item in exposure.any_exceptions
    ]

    def render(page):
        return [
            [
                Link(exposure.server.name, exposure.server.get_absolute_url()),
                item.rule.name,
                service_text(item.rule),
                Link(str(item.policy), policy_url(item.policy)),
                len(item.machine_ids[SCOPE_KINDS[0]]),
            ]
            for exposure, item in page
        ]

    return Listing(
        title="Exceptions open to any address",
        filename="any-exceptions.csv",
        columns=("Server", "Exception", "Opens", "Policy", "Known machines"),
        items=items,
        render=render,
        description="Exceptions in force whose scope is * (Any): every host, "
        "managed or not, can use them.",
    )


def any_exception_servers(data):
    """Servers with at least one exception open to Any."""
    return [exposure for exposure in data.exposures if exposure.any_exceptions]


def group_listing(data):
    """The groups policies name, with their size now."""

    def render(page):
        return [
            [
                Link(group.label, object_url(group.pk)),
                "; ".join(group.uses),
                Link(
                    group.accounts, reverse("dashboard:group_members", args=[group.pk])
                ),
                group.computers,
                group.users,
                Link(
                    "history",
                    reverse("dashboard:membership_changes") + f"?group={group.pk}",
                ),
            ]
            for group in page
        ]

    return Listing(
        title="Groups on bypass lists and access requirements",
        filename="groups.csv",
        columns=("Group", "Used by", "Accounts", "Computers", "Users", "Changes"),
        items=data.referenced_groups,
        render=render,
        description="Sizes count accounts at any depth of nesting, primary "
        "groups included.",
    )


def _referenced_group(data, group_pk):
    for group in data.referenced_groups:
        if group.pk == group_pk:
            return group
    raise Http404("No policy names this group.")


def group_members_listing(data, group_pk):
    """Every account in a referenced group, at any depth, with its chain."""
    group = _referenced_group(data, group_pk)
    facts = data.facts
    accounts = facts.accounts_in(group.pk)
    items = sorted(accounts, key=lambda pk: (facts.label(pk).casefold(), pk))

    def render(page):
        chains = {pk: facts.chain(pk, group.pk) for pk in page}
        ids = {pk for chain in chains.values() if chain for pk in chain.object_ids()}
        labels = facts.labels_for(ids | set(page))
        rows = []
        for pk in page:
            account = facts.accounts[pk]
            rows.append(
                [
                    Link(labels.get(pk), object_url(pk)),
                    DirectoryObject.Kind(account.kind).label,
                    account.enabled,
                    chain_text(chains[pk], labels),
                ]
            )
        return rows

    return Listing(
        title=f"Accounts in {group.label}",
        filename=f"members-{group.label}.csv",
        columns=("Account", "Kind", "Enabled", "Membership chain"),
        items=items,
        render=render,
        description="Accounts at any depth of nesting, primary groups included.",
    )


def changes_listing(data, group_pk=None):
    """Joins and leaves of the referenced groups (and the groups nested in them)."""
    title = "Joins and leaves of groups on bypass lists and access requirements"
    group_ids = None
    if group_pk is not None:
        group = _referenced_group(data, group_pk)
        group_ids = data.facts.graph.nested_group_ids(group.pk)
        title = f"Joins and leaves of {group.label} and the groups nested in it"

    def render(page):
        return [
            [
                change.at,
                change.get_change_display(),
                Link(change.member, object_url(change.member_id))
                if change.member_id
                else change.member_dn,
                Link(change.group, object_url(change.group_id)),
                change.get_via_display(),
                Link(f"run {change.run_id}", change.run.get_absolute_url()),
            ]
            for change in page
        ]

    return Listing(
        title=title,
        filename="membership-changes.csv",
        columns=("When", "Change", "Member", "Group", "Through", "Sync run"),
        items=data.changes(group_ids),
        render=render,
        description="Direct membership changes that sync runs found, newest first.",
    )
