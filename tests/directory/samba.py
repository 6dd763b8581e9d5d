"""The shared Samba AD DC: starting it, adding test objects, asking it questions.

The DC is started (and provisioned the first time) by scripts/samba-dc.sh;
tests read its address and credentials from the script's ``env``. Objects are
added over LDAPS verified against the test CA. The larger test domain is
loaded once per DC under its own OU and marked complete, so later runs reuse
it; tests that change objects work in an OU of their own and remove it.
"""

import os
import ssl
import subprocess
import threading
from pathlib import Path

import ldap3
from ldap3.core import exceptions as ldap_exceptions
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from directory.ldap.values import sid_text

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "samba-dc.sh"
TREE_DELETE_OID = "1.2.840.113556.1.4.805"
WORKSTATION = 0x1000
DISABLED = 0x2
NORMAL_ACCOUNT = 0x200
GLOBAL_SECURITY = -2147483646
DOMAIN_LOCAL_SECURITY = -2147483644
UNIVERSAL_SECURITY = -2147483640
IN_CHAIN = "1.2.840.113556.1.4.1941"


class SambaUnavailable(RuntimeError):
    """The DC could not be started or does not answer."""


def start_dc():
    """Start (or reuse) the DC and return the variables of ``samba-dc.sh env``."""
    started = subprocess.run(
        [str(SCRIPT), "start"], capture_output=True, text=True, timeout=600, check=False
    )
    if started.returncode != 0:
        raise SambaUnavailable(
            f"scripts/samba-dc.sh start failed ({started.returncode}):\n"
            f"{started.stderr}"
        )
    printed = subprocess.run(
        [str(SCRIPT), "env"], capture_output=True, text=True, timeout=60, check=False
    )
    if printed.returncode != 0:
        raise SambaUnavailable(f"scripts/samba-dc.sh env failed:\n{printed.stderr}")
    env = {}
    for line in printed.stdout.splitlines():
        name, _, value = line.partition("=")
        env[name] = value
    return env


def connect(env, *, url=None):
    """Return a bound admin connection to the DC over verified LDAPS."""
    tls = ldap3.Tls(
        validate=ssl.CERT_REQUIRED, ca_certs_file=env["FWCONSOLE_SAMBA_CA_FILE"]
    )
    address = url or env["FWCONSOLE_SAMBA_URL"]
    server = ldap3.Server(
        address, use_ssl=True, tls=tls, get_info=ldap3.NONE, connect_timeout=10
    )
    return ldap3.Connection(
        server,
        env["FWCONSOLE_SAMBA_ADMIN_DN"],
        env["FWCONSOLE_SAMBA_ADMIN_PASSWORD"],
        auto_bind=True,
        raise_exceptions=True,
        auto_range=False,
        return_empty_attributes=False,
        receive_timeout=60,
    )


def rdn(attr, value):
    return f"{attr}={escape_rdn(value)}"


def add_ou(conn, dn, description=None):
    attributes = {"description": description} if description else {}
    try:
        conn.add(dn, ["top", "organizationalUnit"], attributes)
    except ldap_exceptions.LDAPEntryAlreadyExistsResult:
        pass


def computer_attrs(name, *, disabled=False, dns_domain=None, operating_system=None):
    attrs = {
        "sAMAccountName": f"{name}$",
        "userAccountControl": WORKSTATION | (DISABLED if disabled else 0),
    }
    if dns_domain:
        attrs["dNSHostName"] = f"{name.lower()}.{dns_domain}"
    if operating_system:
        attrs["operatingSystem"] = operating_system
    return ["top", "person", "organizationalPerson", "user", "computer"], attrs


def user_attrs(sam, *, disabled=False, display_name=None, upn_domain=None):
    attrs = {
        "sAMAccountName": sam,
        "userAccountControl": NORMAL_ACCOUNT | DISABLED
        if disabled
        else NORMAL_ACCOUNT | 0x20,
    }
    if display_name:
        attrs["displayName"] = display_name
    if upn_domain:
        attrs["userPrincipalName"] = f"{sam}@{upn_domain}"
    return ["top", "person", "organizationalPerson", "user"], attrs


def group_attrs(sam, group_type=GLOBAL_SECURITY):
    return ["top", "group"], {"sAMAccountName": sam, "groupType": group_type}


def add_entries(env, entries, *, threads=4):
    """Add (dn, object classes, attributes) entries over several connections."""
    entries = list(entries)
    errors = []

    def work(chunk):
        conn = connect(env)
        try:
            for dn, classes, attrs in chunk:
                try:
                    conn.add(dn, classes, attrs)
                except ldap_exceptions.LDAPEntryAlreadyExistsResult:
                    pass
        except Exception as exc:  # noqa: BLE001 - reported after the threads end
            errors.append(exc)
        finally:
            conn.unbind()

    chunks = [entries[index::threads] for index in range(threads)]
    workers = [
        threading.Thread(target=work, args=(chunk,)) for chunk in chunks if chunk
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]


def add_members(conn, group_dn, member_dns, *, batch=500):
    for start in range(0, len(member_dns), batch):
        conn.modify(
            group_dn,
            {"member": [(ldap3.MODIFY_ADD, member_dns[start : start + batch])]},
        )


def read(conn, dn, attributes):
    conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=attributes)
    return conn.response[0]["raw_attributes"]


def object_sid(conn, dn):
    return sid_text(read(conn, dn, ["objectSid"])["objectSid"][0])


def set_primary_group(conn, member_dn, group_dn):
    """Make ``group_dn`` the primary group of ``member_dn`` (as ADUC does)."""
    rid = int(object_sid(conn, group_dn).rsplit("-", 1)[1])
    add_members(conn, group_dn, [member_dn])
    conn.modify(member_dn, {"primaryGroupID": [(ldap3.MODIFY_REPLACE, [str(rid)])]})


def delete_tree(conn, dn):
    try:
        conn.delete(dn, controls=[(TREE_DELETE_OID, True, None)])
    except ldap_exceptions.LDAPNoSuchObjectResult:
        pass


def paged_dns(conn, base, search_filter, attributes=("cn",)):
    entries = conn.extend.standard.paged_search(
        base,
        search_filter,
        ldap3.SUBTREE,
        attributes=list(attributes),
        paged_size=500,
        generator=True,
    )
    return [entry["dn"] for entry in entries if entry["type"] == "searchResEntry"]


def in_chain_members(conn, base, group_dn):
    """Samba's own answer: every object nested under ``group_dn``.

    The in-chain matching rule does not follow primary groups.
    """
    return paged_dns(
        conn, base, f"(memberOf:{IN_CHAIN}:={escape_filter_chars(group_dn)})"
    )


def token_group_sids(conn, dn):
    """The DC's tokenGroups of one account: every group SID it holds."""
    return {
        sid_text(raw) for raw in read(conn, dn, ["tokenGroups"]).get("tokenGroups", [])
    }


def environment_for_subprocess(extra=None):
    env = dict(os.environ)
    env.update(extra or {})
    return env
