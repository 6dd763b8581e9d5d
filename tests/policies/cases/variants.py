"""Entries and scenarios for variants of the field cases.

Each field case stands for a kind of fault; a variant puts the same fault
where the case's own files do not (one level deeper, the other side of the
rule, the other Windows era). The helpers below write small LDIF files in
the cases' format and build such a scenario with the cases' runner.
"""

import base64
import struct
import uuid

from policies.evaluator import build_query, evaluate
from tests.policies.cases.runner import (
    build_policy,
    case_queries,
    check_queries,
    import_directory,
)

CORP = "DC=corp,DC=example,DC=test"
CORP_SID = "S-1-5-21-3623811015-3361044348-30300820"
PARTNER = "DC=partner,DC=example,DC=test"
PARTNER_SID = "S-1-5-21-1004336348-1177238915-682003330"


def sid_b64(sid):
    """Return the base64 of a SID's binary form, as an export writes objectSid."""
    parts = sid.split("-")
    subs = [int(part) for part in parts[3:]]
    raw = (
        struct.pack("<BB", int(parts[1]), len(subs))
        + int(parts[2]).to_bytes(6, "big")
        + b"".join(struct.pack("<I", sub) for sub in subs)
    )
    return base64.b64encode(raw).decode("ascii")


def _guid_b64(dn):
    return base64.b64encode(uuid.uuid5(uuid.NAMESPACE_URL, dn).bytes_le).decode()


def computer(dn, name, *, sid=None, uac=4096, primary=515, dns_domain=None):
    lines = [
        f"dn: {dn}",
        "objectClass: top",
        "objectClass: person",
        "objectClass: organizationalPerson",
        "objectClass: user",
        "objectClass: computer",
        f"cn: {name}",
        f"sAMAccountName: {name}$",
        f"userAccountControl: {uac}",
        f"primaryGroupID: {primary}",
        f"objectGUID:: {_guid_b64(dn)}",
    ]
    if sid:
        lines.append(f"objectSid:: {sid_b64(sid)}")
    if dns_domain:
        lines.append(f"dNSHostName: {name.lower()}.{dns_domain}")
    return "\n".join(lines) + "\n"


def user(dn, cn, sam, *, uac=None, primary=None, sid=None, upn=None):
    lines = [
        f"dn: {dn}",
        "objectClass: top",
        "objectClass: person",
        "objectClass: organizationalPerson",
        "objectClass: user",
        f"cn: {cn}",
        f"sAMAccountName: {sam}",
    ]
    if uac is not None:
        lines.append(f"userAccountControl: {uac}")
    if primary is not None:
        lines.append(f"primaryGroupID: {primary}")
    if sid:
        lines.append(f"objectSid:: {sid_b64(sid)}")
    if upn:
        lines.append(f"userPrincipalName: {upn}")
    return "\n".join(lines) + "\n"


def group(dn, cn, members=(), *, sid=None, group_type=-2147483646, guid_of=None):
    """A group entry; ``guid_of`` names the DN whose objectGUID it keeps (a
    tombstone keeps the GUID of the live object)."""
    lines = [
        f"dn: {dn}",
        "objectClass: top",
        "objectClass: group",
        f"cn: {cn}",
        f"sAMAccountName: {cn}",
        f"groupType: {group_type}",
        f"objectGUID:: {_guid_b64(guid_of or dn)}",
    ]
    if sid:
        lines.append(f"objectSid:: {sid_b64(sid)}")
    lines += [f"member: {member}" for member in members]
    return "\n".join(lines) + "\n"


def write_ldif(path, *blocks):
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def directory(name, entries, *, base_dn=CORP, **options):
    """One directory connection of a variant scenario, reading ``entries``."""
    return {"name": name, "base_dn": base_dn, "entries": entries, **options}


def bypass_server(name, machine_groups, user_groups=(), ports="any", **spec):
    """A server of a scenario whose bypass lists the given groups (DNs or SIDs)."""
    bypass = {"machine_groups": list(machine_groups), "ports": ports}
    if user_groups:
        bypass["user_groups"] = list(user_groups)
    return {
        "name": name,
        "fqdn": f"{name.lower()}.corp.example.test",
        "interfaces": spec.pop("interfaces", ["10.20.1.10/24"]),
        "authenticated_bypass": bypass,
        **spec,
    }


def query(qid, machine, expect, *, user=None, server="APP01", port="tcp/445", **c):
    client = {"machine": machine, "ip": c.pop("ip", "10.30.99.1")}
    client["ipsec_authenticated"] = c.pop("ipsec", True)
    return {
        "id": qid,
        "client": client,
        "user": user,
        "server": server,
        "port": port,
        "expect": expect,
    }


def build_variant(case, directories, servers):
    """Import every directory (one run per file) and create the servers."""
    for spec in directories:
        files = spec["entries"]
        for entries in files if isinstance(files, list) else [files]:
            import_directory(case, spec, entries)
    scenario = {"policy": {"servers": servers}}
    build_policy(case, scenario)
    return scenario


def check(case, scenario_queries):
    """Check queries written as in scenario.yaml; return the snapshot."""
    return check_queries(case_queries(case, {}, scenario_queries))


def explain(snapshot, case, item):
    """Return the evaluation of one query written as in scenario.yaml."""
    (built,) = case_queries(case, {}, [item])
    return evaluate(snapshot, build_query(snapshot, **built.inputs))
