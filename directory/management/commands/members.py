"""Print a group's members: direct, or at any depth with the chain of each."""

import json

from django.core.management.base import BaseCommand, CommandError

from directory import selectors
from directory.export import terminal_text
from directory.models import DirectorySource, Membership


class Command(BaseCommand):
    help = (
        "Print the members of GROUP (a name, DN or SID) in a source. Members the "
        "sync could not resolve are listed too."
    )

    def add_arguments(self, parser):
        parser.add_argument("group", help="Group name, distinguished name or SID.")
        parser.add_argument("--source", required=True, help="Directory source name.")
        parser.add_argument(
            "--transitive",
            action="store_true",
            help="Members at any depth (nested groups, primary groups), each with "
            "the chain that makes it a member.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Machine-readable output."
        )

    def handle(self, *args, **options):
        source = DirectorySource.objects.filter(name=options["source"]).first()
        if source is None:
            raise CommandError(f"No directory source named {options['source']!r}.")
        group = self.find_group(source, options["group"])

        if options["transitive"]:
            rows = list(selectors.member_chains(group))
            members = [chain_row_json(row) for row in rows]
        else:
            edges = selectors.direct_members(group).filter(member__isnull=False)
            members = [edge_json(edge) for edge in edges]
        unresolved = [
            {
                "dn": edge.member_dn,
                "sid": edge.member_sid,
                "state": edge.state,
                "via": edge.via,
            }
            for edge in selectors.direct_members(group).filter(member__isnull=True)
        ]
        uncertainties = [
            {
                "group": nested.display_label if nested else None,
                "reason": kind,
                "detail": detail,
            }
            for nested, kind, detail in selectors.membership_uncertainties(group)
        ]
        report = {
            "group": {
                "id": group.pk,
                "name": group.display_label,
                "dn": group.dn,
                "sid": group.sid,
                "guid": group.guid,
                "source": source.name,
                "members_complete": group.members_complete,
                "deleted_at": group.deleted_at,
            },
            "transitive": options["transitive"],
            "members": members,
            "unresolved": unresolved,
            "uncertainties": uncertainties if options["transitive"] else [],
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
        else:
            self.write_text(report)

    def find_group(self, source, text):
        groups = selectors.find_group(source, text)
        if not groups:
            raise CommandError(
                f"No group {text!r} in source {source.name} (give its name, DN or SID)."
            )
        if len(groups) > 1:
            names = "; ".join(group.dn for group in groups)
            raise CommandError(f"{text!r} names several groups: {names}")
        return groups[0]

    def write_text(self, report):
        out = self.stdout.write
        group = report["group"]
        out(f"Group {show(group['name'])} ({show(group['dn'])}) in {group['source']}")
        if group["deleted_at"]:
            out(f"  deleted from the directory at {group['deleted_at']}")
        if not group["members_complete"]:
            out(
                "  warning: the directory gave only part of this group's members; "
                "the list below may be short"
            )
        for item in report["uncertainties"]:
            out(
                f"  warning: {show(item['group'])}: {item['reason']} "
                f"{show(item['detail'])}".rstrip()
            )
        scope = "at any depth" if report["transitive"] else "direct"
        out(f"Members ({scope}): {len(report['members'])}")
        for member in report["members"]:
            flags = member_flags(member)
            if report["transitive"]:
                chain = " -> ".join(
                    ("[primary group] " if step["primary"] else "") + show(step["name"])
                    for step in member["chain"]
                )
                out(
                    f"  {member['kind']:<8} {show(member['name'])}{flags}  "
                    f"depth {member['depth']}: {chain}"
                )
            else:
                via = "primaryGroupID" if member["via"] == "primary" else "member"
                out(
                    f"  {member['kind']:<8} {show(member['name'])}{flags}  "
                    f"via {via}  {show(member['dn'])}"
                )
        if report["unresolved"]:
            out(f"Not resolved to a synced object: {len(report['unresolved'])}")
            for item in report["unresolved"]:
                state = Membership.State(item["state"]).label
                out(f"  {state}: {show(item['dn'] or item['sid'])}")


def show(value):
    return terminal_text(value)


def member_flags(member):
    flags = []
    if not member["enabled"]:
        flags.append("disabled")
    if member["deleted"]:
        flags.append("deleted")
    if member.get("state") and member["state"] != Membership.State.RESOLVED:
        flags.append(Membership.State(member["state"]).label.lower())
    return f" ({', '.join(flags)})" if flags else ""


def object_json(obj):
    return {
        "id": obj.pk,
        "kind": obj.kind,
        "name": obj.display_label,
        "sam_account_name": obj.sam_account_name,
        "dn": obj.dn,
        "sid": obj.sid,
        "enabled": obj.enabled,
        "deleted": obj.is_deleted,
        "in_scope": obj.in_scope,
    }


def edge_json(edge):
    return {**object_json(edge.member), "via": edge.via, "state": edge.state}


def chain_row_json(row):
    return {
        **object_json(row.obj),
        "depth": row.depth,
        "chain": [
            {
                "id": step.object_id,
                "name": step.obj.display_label if step.obj else None,
                "primary": step.primary,
            }
            for step in row.steps
        ],
    }
