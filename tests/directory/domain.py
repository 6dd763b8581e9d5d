"""The test domain loaded once into the shared Samba DC.

Computers in several OUs, users, nested groups with a cycle, a group of
1,600 members (more than AD's MaxValRange of 1,500, and a computer search of
more than MaxPageSize 1,000 entries), computers and a user whose only link to
a group is primaryGroupID, disabled accounts, and names with commas, quotes,
``+``, ``#`` and non-ASCII letters.
"""

import ldap3

from tests.directory import samba

DOMAIN_OU = "dirsync-domain-v2"
BULK_OU = "dirsync-bulk-v2"
MARKER = "fwconsole test domain v2 complete"
BULK_COMPUTERS = 1600


class Domain:
    """Names and DNs of the loaded test domain."""

    def __init__(self, env):
        self.env = env
        self.dns_domain = env["FWCONSOLE_SAMBA_REALM"].lower()
        self.base = f"OU={DOMAIN_OU},{env['FWCONSOLE_SAMBA_BASE_DN']}"
        # The 1,600-member group lives apart: the DC's in-chain query costs
        # time per object under its search base.
        self.bulk_base = f"OU={BULK_OU},{env['FWCONSOLE_SAMBA_BASE_DN']}"
        self.dn = {}

    def ou(self, *names):
        return ",".join([*(samba.rdn("OU", name) for name in names), self.base])

    def at(self, key, cn, *ous):
        dn = ",".join([samba.rdn("CN", cn), self.ou(*ous)])
        self.dn[key] = dn
        return dn

    def in_bulk(self, key, cn):
        dn = f"{samba.rdn('CN', cn)},{self.bulk_base}"
        self.dn[key] = dn
        return dn


def _layout(domain):
    """Return (OUs, entries, group members, primary groups) of the domain."""
    d = domain
    ous = [
        d.base,
        d.bulk_base,
        d.ou("Oslo"),
        d.ou("Workstations", "Oslo"),
        d.ou("Bergen"),
        d.ou("Workstations", "Bergen"),
        d.ou("Servers"),
        d.ou("Kiosks"),
        d.ou("Sales, EMEA"),
        d.ou("R+D"),
        d.ou("Tromsø"),
        d.ou("Staff"),
        d.ou("Groups"),
        d.ou("Bulk"),
    ]
    entries = []

    def computer(name, *ous, disabled=False, cn=None):
        dn = d.at(name, cn or name, *ous)
        classes, attrs = samba.computer_attrs(
            name,
            disabled=disabled,
            dns_domain=d.dns_domain,
            operating_system="Windows 10 Enterprise",
        )
        entries.append((dn, classes, attrs))

    def user(key, cn, *, disabled=False):
        dn = d.at(key, cn, "Staff")
        classes, attrs = samba.user_attrs(
            key, disabled=disabled, display_name=cn, upn_domain=d.dns_domain
        )
        entries.append((dn, classes, attrs))

    def group(key, cn=None, group_type=samba.GLOBAL_SECURITY):
        dn = d.at(key, cn or key, "Groups")
        entries.append((dn, *samba.group_attrs(key, group_type)))

    for number in range(1, 9):
        computer(f"WS-OSL-{number:02}", "Workstations", "Oslo")
        computer(f"WS-BGN-{number:02}", "Workstations", "Bergen", disabled=number >= 7)
    for number in range(1, 5):
        computer(f"SRV-{number:02}", "Servers")
    for number in range(1, 4):
        computer(f"KIOSK-{number:02}", "Kiosks")
    computer("WS-SALES-01", "Sales, EMEA")
    computer("WS-RD-01", "R+D")
    computer("WS-ÆRØ-01", "Tromsø", cn="WS-Ærø-01")

    user("jdoe", "John Doe")
    user("asmith", "Anna Smith")
    user("bmiller", "Bob Miller")
    user("jroe", "Roe, Jane")
    user("jexample", 'Jo "JJ" Example')
    user("abjornstad", "Ågot Bjørnstad")
    user("jroe(adm)", "Jane Roe (admin)")
    user("olduser", "Old User", disabled=True)

    group("FW-Bypass-App01", group_type=samba.DOMAIN_LOCAL_SECURITY)
    group("G-Mid")
    group("G-Leaf")
    group("G-Cycle-1")
    group("G-Cycle-2")
    group("Helpdesk", group_type=samba.UNIVERSAL_SECURITY)
    group("Kiosk-Computers")
    group("Ops", cn="#Ops")
    group("RD-Team", cn="R+D Team")
    group("Staff-All", cn="Staff, All")
    group("Servers-Admins", cn="Servers+Admins")
    for name in ("Bulk-All", "FW-Bypass-Bulk"):
        entries.append((d.in_bulk(name, name), *samba.group_attrs(name)))

    bulk = []
    for number in range(BULK_COMPUTERS):
        name = f"BULK-{number:04}"
        dn = d.in_bulk(name, name)
        classes, attrs = samba.computer_attrs(name, dns_domain=d.dns_domain)
        bulk.append(dn)
        entries.append((dn, classes, attrs))

    n = d.dn
    members = {
        "FW-Bypass-App01": [
            n["G-Mid"],
            n["Kiosk-Computers"],
            n["WS-OSL-01"],
            n["RD-Team"],
        ],
        "G-Mid": [n["G-Leaf"], n["WS-OSL-02"], n["WS-OSL-03"]],
        "G-Leaf": [n["WS-BGN-01"], n["WS-BGN-02"], n["WS-BGN-07"]],
        "G-Cycle-1": [n["G-Cycle-2"], n["WS-OSL-04"]],
        "G-Cycle-2": [n["G-Cycle-1"], n["WS-BGN-03"], n["jroe"]],
        "Helpdesk": [n["G-Cycle-1"], n["jdoe"], n["jroe(adm)"]],
        "Ops": [n["jroe"]],
        "RD-Team": [n["WS-RD-01"], n["jexample"], n["WS-SALES-01"]],
        "Staff-All": [
            n[key]
            for key in (
                "jdoe",
                "asmith",
                "jroe",
                "jexample",
                "abjornstad",
                "jroe(adm)",
                "olduser",
            )
        ],
        "Servers-Admins": [n["SRV-01"], n["SRV-02"], n["asmith"], n["WS-ÆRØ-01"]],
        "Bulk-All": bulk,
        "FW-Bypass-Bulk": [n["Bulk-All"], n["BULK-0000"]],
    }
    primary = {
        "KIOSK-01": "Kiosk-Computers",
        "KIOSK-02": "Kiosk-Computers",
        "KIOSK-03": "Kiosk-Computers",
        "bmiller": "Staff-All",
    }
    return ous, entries, members, primary


def ensure_domain(env):
    """Load the test domain unless the DC already holds a complete copy."""
    domain = Domain(env)
    ous, entries, members, primary = _layout(domain)
    conn = samba.connect(env)
    try:
        conn.search(
            domain.base, "(objectClass=*)", ldap3.BASE, attributes=["description"]
        )
        description = conn.response[0]["attributes"].get("description") or []
        if MARKER in description:
            return domain
    except ldap3.core.exceptions.LDAPNoSuchObjectResult:
        pass
    # A load that stopped half-way is thrown away and done again.
    samba.delete_tree(conn, domain.base)
    samba.delete_tree(conn, domain.bulk_base)
    for dn in ous:
        samba.add_ou(conn, dn)
    samba.add_entries(env, entries)
    for key, member_dns in members.items():
        samba.add_members(conn, domain.dn[key], member_dns)
    for member, group in primary.items():
        samba.set_primary_group(conn, domain.dn[member], domain.dn[group])
    conn.modify(domain.base, {"description": [(ldap3.MODIFY_REPLACE, [MARKER])]})
    conn.unbind()
    return domain
