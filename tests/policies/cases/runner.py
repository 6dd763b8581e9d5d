"""Build a field case (tests/cases/FC-nn) in the database, list its queries
and check the verdicts they get.

The directory comes from the case's LDIF files, one source per directory
connection; the policy from scenario.yaml becomes a Server with its
addresses and one shared Policy holding the bypass rule (BypassEntry rows by
SID, resolved from the case's DNs), block rules and exceptions.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import ldap.dn
import yaml

from directory.models import DirectoryObject, DirectorySource, SyncRun
from directory.services import ldif_import
from policies.evaluator import QueryError, build_query, evaluate, load_snapshot
from policies.models import (
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    Policy,
    Server,
    ServerAddress,
)

PROJECT_ROOT = Path(__file__).resolve().parents[3]
CASES_DIR = Path(
    os.environ.get("FWCONSOLE_CASES_DIR") or PROJECT_ROOT / "tests" / "cases"
)

# The case files leave objectSid out where it plays no part; a policy names
# principals by SID, so such objects get one under this made-up RID range.
SYNTHETIC_RID_START = 90000


@dataclass
class CaseQuery:
    """One query of a case with the verdict it must get."""

    case: str
    id: str
    expect: str
    because: str = ""
    inputs: dict = field(default_factory=dict)

    def __str__(self):
        return f"{self.case} {self.id}"


def read_scenario(case):
    path = CASES_DIR / case / "scenario.yaml"
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def import_directory(case, directory, entries=None):
    """Import one directory connection of a case through the sync engine's
    LDIF import (one file = one run); return the run."""
    scope = directory.get("sync_scope") or {}
    source, _ = DirectorySource.objects.get_or_create(
        name=directory["name"],
        defaults={
            "kind": DirectorySource.Kind.LDIF,
            "base_dn": directory["base_dn"],
            "computer_base": scope.get("computers", ""),
            "user_base": scope.get("users", ""),
            "group_base": scope.get("groups", ""),
            "domain_sid": directory.get("domain_sid", ""),
        },
    )
    path = CASES_DIR / case / (entries or directory["entries"])
    run = ldif_import(source=source, path_or_file=path)
    assert run.status == SyncRun.Status.SUCCEEDED, (path, run.error)
    return run


def dn_key(dn):
    """Compare DNs as parsed RDN sequences: escapes resolved, case folded."""
    return tuple(
        tuple((attribute.casefold(), value.casefold()) for attribute, value, _ in rdn)
        for rdn in ldap.dn.str2dn(dn)
    )


def _principal_sid(reference, synthetic):
    """Resolve a DN (or accept a SID) to the SID a policy entry stores."""
    if reference.upper().startswith("S-1-"):
        return reference, reference
    key = dn_key(reference)
    found = [
        obj
        for obj in DirectoryObject.objects.filter(deleted_at__isnull=True)
        if dn_key(obj.dn) == key
    ]
    if not found:
        raise LookupError(
            f"The case's policy names {reference}, which no source holds."
        )
    obj = found[0]
    if not obj.sid:
        domain = obj.source.domain_sid or "S-1-5-21-3623811015-3361044348-30300820"
        obj.sid = f"{domain}-{SYNTHETIC_RID_START + synthetic[0]}"
        synthetic[0] += 1
        obj.save(update_fields=["sid"])
    return obj.sid, obj.name


def _port_rules(ports):
    """Turn a case's ``ports`` (any, or [tcp/445, ...]) into (protocol, ports) pairs."""
    if ports in (None, "any"):
        return [("", "")]
    by_protocol = {}
    for item in ports:
        protocol, _, number = item.partition("/")
        by_protocol.setdefault(protocol.lower(), []).append(number)
    return [(protocol, ",".join(numbers)) for protocol, numbers in by_protocol.items()]


def build_policy(case, scenario):
    """Create the case's servers and their policy."""
    synthetic = [0]
    for spec in scenario.get("policy", {}).get("servers", []):
        era = Era.XP if spec.get("era") == "xp" else Era.ADVANCED
        server = Server.objects.create(
            name=spec["name"], fqdn=spec.get("fqdn", ""), era=era
        )
        for interface in spec.get("interfaces", []):
            address, _, prefix = interface.partition("/")
            ServerAddress.objects.create(
                server=server, address=address, prefix_length=int(prefix)
            )
        policy = Policy.objects.create(
            name=f"{case} {spec['name']}", precedence=10, era=era
        )
        policy.servers.add(server)
        _bypass(policy, spec.get("authenticated_bypass"), synthetic)
        for rule in spec.get("block_rules", []):
            FirewallRule.objects.create(
                policy=policy,
                name=rule["name"],
                kind=FirewallRule.Kind.PORT,
                action=FirewallRule.Action.BLOCK,
                protocol=rule["protocol"],
                ports=rule["local_ports"],
                scope=rule.get("remote_scope", "*"),
            )
        for rule in spec.get("exceptions", []):
            FirewallRule.objects.create(
                policy=policy,
                name=rule["name"],
                kind=FirewallRule.Kind.PORT,
                protocol=rule["protocol"],
                ports=rule["local_ports"],
                scope=rule.get("remote_scope", "*"),
            )


def _bypass(policy, spec, synthetic):
    if not spec:
        return
    for index, (protocol, ports) in enumerate(_port_rules(spec.get("ports"))):
        rule = BypassRule.objects.create(
            policy=policy,
            name=f"Authenticated bypass {index + 1}",
            protocol=protocol,
            ports=ports,
        )
        roles = (
            ("machine_groups", BypassEntry.Role.MACHINE),
            ("user_groups", BypassEntry.Role.USER),
        )
        for key, role in roles:
            for reference in spec.get(key, []):
                sid, name = _principal_sid(reference, synthetic)
                BypassEntry.objects.create(rule=rule, sid=sid, name=name, role=role)


def case_queries(case, scenario, queries=None):
    """Turn the case's queries into CaseQuery values."""
    found = []
    for item in queries if queries is not None else scenario.get("queries", []):
        client = item.get("client") or {}
        ipsec = client.get("ipsec_authenticated")
        found.append(
            CaseQuery(
                case=case,
                id=item.get("id", client.get("machine", "")),
                expect=item["expect"],
                because=item.get("because", ""),
                inputs={
                    "client": client.get("machine"),
                    "ip": client.get("ip"),
                    "user": item.get("user"),
                    "server": item.get("server", "APP01"),
                    "service": item.get("port", "tcp/445"),
                    "assume_ipsec": None if ipsec is None else bool(ipsec),
                },
            )
        )
    return found


def all_case_names():
    return sorted(path.parent.name for path in CASES_DIR.glob("FC-*/scenario.yaml"))


EXPECTED = {"allow": "allowed", "deny": "denied", "indeterminate": "indeterminate"}


def answer(snapshot, query):
    """Return (verdict or 'error', the evaluation or the error)."""
    try:
        built = build_query(snapshot, **query.inputs)
    except QueryError as error:
        return "error", error
    evaluation = evaluate(snapshot, built)
    return str(evaluation.verdict), evaluation


def check_queries(queries):
    snapshot = load_snapshot()
    failures = []
    for query in queries:
        got, detail = answer(snapshot, query)
        want = EXPECTED.get(query.expect, query.expect)
        if got != want:
            explanation = getattr(detail, "summary", str(detail))
            failures.append(f"{query}: expected {want}, got {got} ({explanation})")
    assert not failures, "\n".join(failures)
    return snapshot
