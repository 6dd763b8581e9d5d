"""Write the demo: a directory (an Active Directory export in LDIF) and the
servers and policies that refer to it (a policy-as-code file), from a fixed seed.

    .venv/bin/python scripts/make-demo-directory.py [FOLDER]

The output (default fwconsole/demo/: demo-directory.ldif, demo-policies.yaml)
is committed; run this again only to change the demo. The same seed always
gives the same files. `manage.py load_demo` loads them.

The domain looks like a mid-sized company that has run Active Directory since
the Server 2003 days: a few hundred computers in several OUs (some disabled,
some with awkward names, XP-era machines still around), users per department,
nested security groups with a cycle, computers whose membership of a group
lives only in primaryGroupID, a foreign security principal from a trusted
domain and a member that no longer exists.
"""

import datetime
import random
import struct
import sys
import uuid
from pathlib import Path

import ldif
import yaml
from ldap3.utils.dn import escape_rdn

SEED = 20261203
BASE_DN = "DC=acme,DC=example,DC=test"
DNS_DOMAIN = "acme.example.test"
DOMAIN_SID = "S-1-5-21-2718281828-3141592653-1618033988"
PARTNER_SID = "S-1-5-21-1004336348-1177238915-682003330"
EXPORTED_AT = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "fwconsole/demo"

# userAccountControl values as Active Directory writes them.
UAC_USER = 512
UAC_USER_DISABLED = 514
UAC_USER_NO_EXPIRY = 66048
UAC_WORKSTATION = 4096
UAC_WORKSTATION_DISABLED = 4098
UAC_DOMAIN_CONTROLLER = 532480

GROUP_GLOBAL_SECURITY = -2147483646
GROUP_DOMAIN_LOCAL_SECURITY = -2147483644
GROUP_UNIVERSAL_SECURITY = -2147483640
GROUP_GLOBAL_DISTRIBUTION = 2

RID_DOMAIN_ADMINS = 512
RID_DOMAIN_USERS = 513
RID_DOMAIN_COMPUTERS = 515
RID_DOMAIN_CONTROLLERS = 516

OPERATING_SYSTEMS = {
    "xp": ("Windows XP Professional", "5.1 (2600)", "Service Pack 3"),
    "win7": ("Windows 7 Enterprise", "6.1 (7601)", "Service Pack 1"),
    "win10": ("Windows 10 Enterprise", "10.0 (19045)", ""),
    "win11": ("Windows 11 Enterprise", "10.0 (22631)", ""),
    "2003": ("Windows Server 2003", "5.2 (3790)", "Service Pack 1"),
    "2003r2": ("Windows Server 2003 R2", "5.2 (3790)", "Service Pack 2"),
    "2008r2": ("Windows Server 2008 R2 Standard", "6.1 (7601)", "Service Pack 1"),
    "2019": ("Windows Server 2019 Standard", "10.0 (17763)", ""),
    "2022": ("Windows Server 2022 Standard", "10.0 (20348)", ""),
}

FIRST_NAMES = (
    "Ada Alan Amina Anders Aoife Bela Carmen Chidi Dana Dmitri Elena Emeka Farah "
    "Felix Grace Hana Hugo Ines Ivan Jana Jonas Kai Kenji Lara Leila Luca Maja "
    "Marek Mei Nadia Nils Noor Olga Omar Paula Pedro Priya Rafael Rosa Sami Sara "
    "Soren Tariq Tomas Uma Vera Wen Yusuf Zoe"
).split()
LAST_NAMES = (
    "Abbott Bauer Castro Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kowalski "
    "Lindqvist Moreau Nakamura Okafor Petrov Quinn Rossi Schmidt Tanaka Ueda "
    "Varga Weber Xu Yilmaz Zielinski"
).split()


class DemoDirectory:
    """Builds the entries with consistent GUIDs, SIDs and DNs."""

    def __init__(self, rng):
        self.rng = rng
        self.entries = []
        self.next_rid = 1103
        self.dn_by_name = {}
        self.rid_by_name = {}

    def new_guid(self):
        return uuid.UUID(int=self.rng.getrandbits(128), version=4).bytes_le

    def new_rid(self):
        rid = self.next_rid
        self.next_rid += 1
        return rid

    def when(self, days_ago):
        moment = EXPORTED_AT - datetime.timedelta(days=days_ago)
        return moment.strftime("%Y%m%d%H%M%S.0Z")

    def add(self, dn, attrs):
        self.entries.append((dn, attrs))
        return dn

    def container(self, dn, object_class="organizationalUnit"):
        rdn_value = dn.split(",", 1)[0].split("=", 1)[1]
        attrs = {"objectClass": ["top", object_class], "objectGUID": self.new_guid()}
        attrs["ou" if object_class == "organizationalUnit" else "cn"] = rdn_value
        return self.add(dn, attrs)

    def account(self, name, parent_dn, object_classes, rid=None, **attrs):
        rid = rid or self.new_rid()
        dn = f"CN={escape_rdn(name)},{parent_dn}"
        self.dn_by_name[name] = dn
        self.rid_by_name[name] = rid
        entry = {
            "objectClass": object_classes,
            "cn": name,
            "objectGUID": self.new_guid(),
            "objectSid": sid_bytes(f"{DOMAIN_SID}-{rid}"),
            "whenChanged": self.when(self.rng.randint(0, 400)),
        }
        entry.update({key: value for key, value in attrs.items() if value is not None})
        return self.add(dn, entry)

    def computer(
        self, name, parent_dn, os_key, enabled=True, sam=None, primary_group=None
    ):
        os_name, os_version, service_pack = OPERATING_SYSTEMS[os_key]
        sam = sam or name.upper()
        is_dc = parent_dn.startswith("OU=Domain Controllers")
        if is_dc:
            uac = UAC_DOMAIN_CONTROLLER
        else:
            uac = UAC_WORKSTATION if enabled else UAC_WORKSTATION_DISABLED
        return self.account(
            name,
            parent_dn,
            ["top", "person", "organizationalPerson", "user", "computer"],
            sAMAccountName=f"{sam}$",
            userAccountControl=uac,
            primaryGroupID=primary_group
            or (RID_DOMAIN_CONTROLLERS if is_dc else RID_DOMAIN_COMPUTERS),
            dNSHostName=f"{sam.lower()}.{DNS_DOMAIN}",
            operatingSystem=os_name,
            operatingSystemVersion=os_version,
            operatingSystemServicePack=service_pack or None,
            lastLogonTimestamp=filetime(
                self.rng.randint(0, 20) if enabled else self.rng.randint(200, 900)
            ),
        )

    def user(self, sam, given, surname, parent_dn, enabled=True, title=None):
        display = f"{given} {surname}"
        return self.account(
            display,
            parent_dn,
            ["top", "person", "organizationalPerson", "user"],
            sAMAccountName=sam,
            givenName=given,
            sn=surname,
            displayName=display,
            title=title,
            userPrincipalName=f"{sam}@{DNS_DOMAIN}",
            userAccountControl=UAC_USER if enabled else UAC_USER_DISABLED,
            primaryGroupID=RID_DOMAIN_USERS,
        )

    def group(
        self,
        name,
        parent_dn,
        members,
        group_type=GROUP_GLOBAL_SECURITY,
        rid=None,
        description=None,
    ):
        return self.account(
            name,
            parent_dn,
            ["top", "group"],
            rid=rid,
            sAMAccountName=name,
            groupType=group_type,
            description=description,
            member=sorted(members) or None,
        )


def sid_bytes(sid):
    """Return the binary form of a SID string, as objectSid holds it."""
    parts = sid.split("-")
    revision, authority = int(parts[1]), int(parts[2])
    sub_authorities = [int(part) for part in parts[3:]]
    return (
        struct.pack("<BB", revision, len(sub_authorities))
        + authority.to_bytes(6, "big")
        + b"".join(struct.pack("<I", value) for value in sub_authorities)
    )


def filetime(days_ago):
    """Return an AD timestamp (100 ns intervals since 1601) as a string."""
    moment = EXPORTED_AT - datetime.timedelta(days=days_ago)
    epoch = datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)
    return str(int((moment - epoch).total_seconds()) * 10_000_000)


def people(rng, count, taken):
    """Yield (sam, given name, surname) triples whose sam is not in taken yet."""
    produced = 0
    while produced < count:
        given, surname = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        sam = f"{given[0]}{surname}".lower()
        if sam in taken:
            continue
        taken.add(sam)
        produced += 1
        yield sam, given, surname


def build(rng):
    """Return the demo directory (entries in order, names to RIDs)."""
    d = DemoDirectory(rng)
    ou = {}

    d.add(
        BASE_DN,
        {
            "objectClass": ["top", "domain", "domainDNS"],
            "dc": "acme",
            "objectGUID": d.new_guid(),
            "objectSid": sid_bytes(DOMAIN_SID),
        },
    )
    for key, dn in (
        ("hq", f"OU=HQ,{BASE_DN}"),
        ("workstations", f"OU=Workstations,OU=HQ,{BASE_DN}"),
        ("acct_ws", f"OU=Accounting,OU=Workstations,OU=HQ,{BASE_DN}"),
        ("eng_ws", f"OU=Engineering,OU=Workstations,OU=HQ,{BASE_DN}"),
        ("laptops", f"OU=Laptops,OU=HQ,{BASE_DN}"),
        ("kiosks", f"OU=Kiosks,OU=HQ,{BASE_DN}"),
        ("people", f"OU=People,OU=HQ,{BASE_DN}"),
        ("groups", f"OU=Groups,OU=HQ,{BASE_DN}"),
        ("firewall", f"OU=Firewall,OU=Groups,OU=HQ,{BASE_DN}"),
        ("branches", f"OU=Branch Offices,{BASE_DN}"),
        ("lyon", f"OU=Lyon,OU=Branch Offices,{BASE_DN}"),
        ("osaka", f"OU=Osaka,OU=Branch Offices,{BASE_DN}"),
        ("servers", f"OU=Servers,{BASE_DN}"),
        ("dcs", f"OU=Domain Controllers,{BASE_DN}"),
        ("service", f"OU=Service Accounts,{BASE_DN}"),
        ("disabled", f"OU=Disabled Computers,{BASE_DN}"),
    ):
        ou[key] = d.container(dn)
    for key, dn in (
        ("computers", f"CN=Computers,{BASE_DN}"),
        ("users", f"CN=Users,{BASE_DN}"),
    ):
        ou[key] = d.container(dn, object_class="container")

    members = {}
    # Reserved now: three computers name the group as their primary group
    # before the group itself is written.
    accounting_computers_rid = d.new_rid()

    def add_member(group, dn):
        members.setdefault(group, set()).add(dn)

    # Accounting: XP machines still in use next to newer ones; the last three
    # have Accounting Computers as their primary group, so that membership
    # appears only in primaryGroupID.
    for number in range(1, 37):
        os_key = "xp" if number <= 8 else ("win11" if number > 32 else "win10")
        name = f"ACCT-WS{number:03d}"
        primary = accounting_computers_rid if number >= 34 else None
        d.computer(
            name,
            ou["acct_ws"],
            os_key,
            enabled=number not in (12, 27),
            primary_group=primary,
        )
        if primary is None:
            add_member("Accounting Computers", d.dn_by_name[name])
    for number in range(1, 7):
        name = f"ACCT-LT{number:02d}"
        d.computer(name, ou["laptops"], "win10")
        add_member("Accounting Laptops", d.dn_by_name[name])

    for number in range(1, 121):
        name = f"ENG-WS{number:03d}"
        d.computer(
            name,
            ou["eng_ws"],
            "win11" if number % 3 else "win10",
            enabled=number % 29 != 0,
        )
        add_member("Engineering Workstations", d.dn_by_name[name])

    for number in range(1, 61):
        name = f"SLS-LT{number:03d}"
        d.computer(name, ou["laptops"], "win7" if number <= 5 else "win10")
        add_member("Sales Laptops", d.dn_by_name[name])

    for site, key in (("LYON", "lyon"), ("OSAKA", "osaka")):
        for number in range(1, 21):
            name = f"BR-{site}-{number:02d}"
            d.computer(
                name, ou[key], "xp" if number <= 3 else "win10", enabled=number != 17
            )
            add_member(f"{site.title()} Computers", d.dn_by_name[name])

    for number in range(1, 9):
        name = f"KIOSK{number:02d}"
        d.computer(name, ou["kiosks"], "win10")
        add_member("Kiosk Computers", d.dn_by_name[name])
    # A CN that starts with '#' must be escaped in the DN.
    d.computer("#KIOSK09", ou["kiosks"], "win10", sam="KIOSK09")
    add_member("Kiosk Computers", d.dn_by_name["#KIOSK09"])

    servers = {
        "ACCT01": "2003",
        "PAYROLL01": "2003r2",
        "PRN-LEGACY": "2003",
        "FS02": "2019",
        "SQL01": "2022",
        "WEB01": "2019",
        "WEB02": "2019",
        "APP-CRM01": "2008r2",
        "BACKUP01": "2019",
        "BUILD01": "2022",
        "BUILD02": "2022",
        "ENGBUILDSRV2019": "2019",
        "LYON-FS01": "2008r2",
        "OSAKA-FS01": "2019",
        "MAIL01": "2019",
        "EXCH-OLD": "2008r2",
        "WSUS01": "2019",
        "PKI01": "2022",
        "HR-APP01": "2022",
        "LIC01": "2008r2",
        "MON01": "2022",
        "JUMP01": "2022",
        "TEST-SRV01": "2019",
    }
    for name, os_key in servers.items():
        d.computer(name, ou["servers"], os_key, enabled=name != "EXCH-OLD")
        if name not in ("PRN-LEGACY", "EXCH-OLD"):
            add_member("IPsec Isolated Servers", d.dn_by_name[name])
    for name in ("DC01", "DC02"):
        d.computer(name, ou["dcs"], "2022")

    # Freshly joined machines nobody has moved yet, with the odd names that
    # real directories collect.
    unsorted = (
        ("NEWPC-0415", "NEWPC-0415", "win11"),
        ("NEWPC-0416", "NEWPC-0416", "win11"),
        ("LAB, PC 7", "LAB-PC7", "win10"),
        ("café-pos01", "CAFE-POS01", "win10"),
        ("ws-lower-03", "WS-LOWER-03", "win10"),
        ("VISITOR+01", "VISITOR01", "win10"),
        ("TEMP-XP-02", "TEMP-XP-02", "xp"),
        ("OLDSCAN01", "OLDSCAN01", "xp"),
        ("MEETING-RM-3", "MEETING-RM-3", "win10"),
        ("TRAINING-01", "TRAINING-01", "win10"),
        ("TRAINING-02", "TRAINING-02", "win10"),
        ("BUILD-AGENT-X", "BUILDAGENTX", "win11"),
    )
    for name, sam, os_key in unsorted:
        d.computer(name, ou["computers"], os_key, sam=sam)
    add_member("FW-Bypass-FS02", d.dn_by_name["BUILD-AGENT-X"])

    for number in range(1, 16):
        d.computer(
            f"OLD-XP-{number:03d}", ou["disabled"], "xp", enabled=number in (4, 9)
        )

    # People per department; a few leavers are disabled but still listed.
    departments = (
        ("Accounting", 18, "Accountant"),
        ("Engineering", 60, "Engineer"),
        ("Sales", 35, "Account manager"),
        ("IT Staff", 12, "Systems administrator"),
        ("Management", 6, "Manager"),
    )
    user_dns = {}
    taken = set()
    for department, count, title in departments:
        user_dns[department] = []
        for index, (sam, given, surname) in enumerate(people(rng, count, taken)):
            enabled = index % 11 != 10
            dn = d.user(sam, given, surname, ou["people"], enabled=enabled, title=title)
            user_dns[department].append(dn)
            if department != "Management":
                add_member(department, dn)
    managers = user_dns["Management"]
    for dn in managers[:3]:
        add_member("Finance Managers", dn)
    for dn in managers[3:]:
        add_member("Executives", dn)

    for sam, display in (
        ("svc-backup", "Backup service"),
        ("svc-sql", "SQL Server service"),
        ("svc-fwconsole", "fwconsole directory reader"),
    ):
        d.account(
            display,
            ou["service"],
            ["top", "person", "organizationalPerson", "user"],
            sAMAccountName=sam,
            userAccountControl=UAC_USER_NO_EXPIRY,
            primaryGroupID=RID_DOMAIN_USERS,
            description="Service account",
        )
    add_member("Server Admins", d.dn_by_name["Backup service"])

    d.account(
        "Administrator",
        ou["users"],
        ["top", "person", "organizationalPerson", "user"],
        rid=500,
        sAMAccountName="Administrator",
        userAccountControl=UAC_USER_NO_EXPIRY,
        primaryGroupID=RID_DOMAIN_USERS,
    )
    for name, rid in (("Guest", 501), ("krbtgt", 502)):
        d.account(
            name,
            ou["users"],
            ["top", "person", "organizationalPerson", "user"],
            rid=rid,
            sAMAccountName=name,
            userAccountControl=UAC_USER_DISABLED,
            primaryGroupID=RID_DOMAIN_USERS,
        )

    # Groups. Nesting: Finance Managers in Accounting; Accounting Laptops in
    # Accounting Computers; Lyon and Osaka in Branch Office Computers; the
    # bypass group of FS02 nests two machine groups; Audit Team and Finance
    # Reviewers contain each other (a cycle the console must not loop on).
    group_dn = {}

    def make_group(name, parent, nested=(), extra=(), **kwargs):
        dns = set(members.get(name, ())) | {group_dn[child] for child in nested}
        group_dn[name] = d.group(name, ou[parent], dns | set(extra), **kwargs)

    make_group("Finance Managers", "groups")
    make_group("Executives", "groups")
    make_group("Accounting", "groups", nested=["Finance Managers"])
    make_group("Engineering", "groups")
    make_group("Sales", "groups")
    make_group("IT Staff", "groups")
    make_group("Server Admins", "groups", nested=["IT Staff"])
    make_group("Accounting Laptops", "groups")
    make_group(
        "Accounting Computers",
        "groups",
        nested=["Accounting Laptops"],
        rid=accounting_computers_rid,
        description="Machines allowed to reach the accounting servers",
    )
    make_group("Engineering Workstations", "groups")
    make_group("Sales Laptops", "groups")
    make_group("Lyon Computers", "groups")
    make_group("Osaka Computers", "groups")
    make_group(
        "Branch Office Computers",
        "groups",
        nested=["Lyon Computers", "Osaka Computers"],
    )
    make_group("Kiosk Computers", "groups")
    make_group("IPsec Isolated Servers", "groups")
    make_group(
        "FW-Bypass-FS02",
        "firewall",
        nested=["Engineering Workstations", "Accounting Computers"],
        group_type=GROUP_DOMAIN_LOCAL_SECURITY,
        description="Authenticated IPsec bypass on FS02",
    )
    make_group(
        "FW-Bypass-Deny-Kiosks",
        "firewall",
        nested=["Kiosk Computers"],
        group_type=GROUP_DOMAIN_LOCAL_SECURITY,
        description="Never bypass the firewall from kiosks",
    )

    # The cycle: Finance Reviewers names Audit Team before it is written.
    make_group(
        "Finance Reviewers",
        "groups",
        nested=["Finance Managers"],
        extra=[f"CN=Audit Team,{ou['groups']}"],
        description="Reviewers of the finance database",
    )
    make_group(
        "Audit Team",
        "groups",
        nested=["Finance Reviewers"],
        extra=user_dns["Accounting"][:2] + user_dns["IT Staff"][:1],
    )
    make_group(
        "SQL Finance Readers",
        "groups",
        nested=["Finance Reviewers", "Accounting"],
        group_type=GROUP_DOMAIN_LOCAL_SECURITY,
    )

    # A domain local group with a member from the trusted partner domain (a
    # foreign security principal) and one whose account was deleted.
    members["Partner Auditors"] = {
        f"CN={PARTNER_SID}-1105,CN=ForeignSecurityPrincipals,{BASE_DN}",
        f"CN=Former Auditor,OU=People,OU=HQ,{BASE_DN}",
    }
    make_group(
        "Partner Auditors",
        "groups",
        nested=["Audit Team"],
        group_type=GROUP_DOMAIN_LOCAL_SECURITY,
    )
    make_group(
        "All Staff",
        "groups",
        nested=["Accounting", "Engineering", "Sales", "IT Staff", "Executives"],
        group_type=GROUP_UNIVERSAL_SECURITY,
    )
    make_group(
        "Newsletter",
        "groups",
        extra=user_dns["Sales"][:10],
        group_type=GROUP_GLOBAL_DISTRIBUTION,
    )

    # Well-known groups: Domain Computers and Domain Users hold their members
    # through primaryGroupID alone, as in a real domain.
    make_group(
        "Domain Admins",
        "users",
        extra=[d.dn_by_name["Administrator"]],
        rid=RID_DOMAIN_ADMINS,
    )
    make_group("Domain Users", "users", rid=RID_DOMAIN_USERS)
    make_group("Domain Computers", "users", rid=RID_DOMAIN_COMPUTERS)
    make_group("Domain Controllers", "users", rid=RID_DOMAIN_CONTROLLERS)
    return d


def encode(value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def write(entries, output):
    """Write the entries as LDIF, the way ldifde or ldapsearch would."""
    with open(output, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(
            f"# fwconsole demo directory: {DNS_DOMAIN} ({DOMAIN_SID}).\n"
            "# Generated by scripts/make-demo-directory.py with a fixed seed; "
            "all names are invented.\n\n"
        )
        writer = ldif.LDIFWriter(handle, base64_attrs=["objectGUID", "objectSid"])
        for dn, attrs in entries:
            record = {}
            for key, value in attrs.items():
                values = value if isinstance(value, list) else [value]
                record[key] = [encode(item) for item in values]
            writer.unparse(dn, record)


def policy_set(directory):
    """Return the demo's servers, policies and IPsec policies as policy-as-code data.

    ACCT01 is the XP-era accounting server of the IPsec bypass article: the
    firewall on with no exceptions, Accounting Computers on its bypass list,
    IPsec required with Kerberos, and the Accounting group required on the
    share. FS02 is a later-era file server whose bypass is an override-block
    rule for a machine group with a deny group and a user group.
    """

    def ref(name):
        return {"name": name, "sid": f"{DOMAIN_SID}-{directory.rid_by_name[name]}"}

    def server(name, era, addresses, **fields):
        data = {
            "name": name,
            "fqdn": f"{name.lower()}.{DNS_DOMAIN}",
            "era": era,
            "active_profile": "domain",
            "computer": ref(name),
            "addresses": addresses,
        }
        data.update(fields)
        return data

    sql_server = (
        "C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn"
        "\\sqlservr.exe"
    )
    servers = [
        server(
            "ACCT01",
            "xp",
            ["10.10.20.5/24"],
            owner="Finance IT",
            notes="Ledger and accounting share (Server 2003 SP1). Only machines in "
            "Accounting Computers reach it, through authenticated IPsec bypass; "
            "the firewall has no exceptions.",
            local_settings={
                "firewall_state": {"domain": "on", "standard": "on"},
                "bypass_rules": [
                    {
                        "name": "Authenticated IPsec bypass",
                        "security": "authenticate",
                        "enabled": True,
                        "computers": [ref("Accounting Computers")],
                    }
                ],
            },
            access_requirements=[
                {
                    "name": "Accounting share",
                    "protocol": "tcp",
                    "ports": "445",
                    "description": "Share and NTFS permissions: Accounting only.",
                    "groups": [ref("Accounting")],
                }
            ],
        ),
        server(
            "PAYROLL01",
            "xp",
            ["10.10.20.6/24"],
            owner="Finance IT",
            notes="Don't allow exceptions is on while the bypass list names "
            "Accounting Computers: Microsoft's texts disagree on which wins.",
            local_settings={
                "firewall_state": {"domain": "shielded", "standard": "shielded"},
                "rules": [
                    {
                        "name": "Payroll web client",
                        "kind": "port",
                        "action": "allow",
                        "protocol": "tcp",
                        "ports": "443",
                        "scope": "LocalSubnet",
                        "enabled": True,
                    }
                ],
                "bypass_rules": [
                    {
                        "name": "Authenticated IPsec bypass",
                        "security": "authenticate",
                        "enabled": True,
                        "computers": [ref("Accounting Computers")],
                    }
                ],
            },
        ),
        server(
            "PRN-LEGACY",
            "xp",
            ["10.10.50.9/24"],
            notes="Old print server with the domain profile's firewall off.",
            local_settings={"firewall_state": {"domain": "off", "standard": "on"}},
        ),
        server(
            "FS02",
            "advanced",
            ["10.10.30.12/24", "fd00:10:30::12/64"],
            owner="Engineering IT",
            local_settings={
                "bypass_rules": [
                    {
                        "name": "Engineering file access",
                        "protocol": "tcp",
                        "ports": "445",
                        "security": "authenticate",
                        "enabled": True,
                        "description": "Allow connection if it is secure, "
                        "overriding block rules.",
                        "computers": [ref("FW-Bypass-FS02")],
                        "computer_exceptions": [ref("FW-Bypass-Deny-Kiosks")],
                        "users": [ref("Engineering"), ref("IT Staff")],
                    }
                ],
            },
            access_requirements=[
                {
                    "name": "Engineering shares",
                    "protocol": "tcp",
                    "ports": "445",
                    "groups": [ref("Engineering"), ref("IT Staff")],
                }
            ],
        ),
        server(
            "SQL01",
            "advanced",
            ["10.10.30.20/24"],
            owner="Finance IT",
            listening_programs=[
                {"program": sql_server, "protocol": "tcp", "ports": "1433"}
            ],
            local_settings={
                "rules": [
                    {
                        "name": "SQL Server",
                        "kind": "program",
                        "action": "allow",
                        "program": sql_server,
                        "scope": "10.10.20.0/255.255.255.0, 10.10.30.0/24",
                        "enabled": True,
                    }
                ],
            },
            access_requirements=[
                {
                    "name": "Finance database",
                    "protocol": "tcp",
                    "ports": "1433",
                    "groups": [ref("SQL Finance Readers")],
                }
            ],
        ),
        server("WEB01", "advanced", ["10.10.40.11/24"], owner="Web team"),
    ]
    policies = [
        {
            "name": "Server baseline",
            "era": "advanced",
            "precedence": 10,
            "description": "Every later-era server: firewall on, ping from the "
            "local subnet, remote desktop from the admin network only.",
            "servers": ["FS02", "SQL01", "WEB01"],
            "firewall_state": {"domain": "on", "private": "on", "public": "on"},
            "rules": [
                {
                    "name": "Block SMB from the guest network",
                    "kind": "port",
                    "action": "block",
                    "protocol": "tcp",
                    "ports": "445",
                    "scope": "10.10.200.0/24",
                    "enabled": True,
                },
                {
                    "name": "Echo request from the local subnet",
                    "kind": "icmp",
                    "action": "allow",
                    "icmp_type": 8,
                    "scope": "LocalSubnet",
                    "enabled": True,
                },
                {
                    "name": "Remote Desktop from the admin network",
                    "kind": "port",
                    "action": "allow",
                    "protocol": "tcp",
                    "ports": "3389",
                    "scope": "10.10.99.0/24",
                    "enabled": True,
                },
            ],
            "authorization": {"computers": [ref("Domain Computers")]},
        },
        {
            "name": "Web servers",
            "era": "advanced",
            "precedence": 20,
            "servers": ["WEB01"],
            "rules": [
                {
                    "name": "HTTPS",
                    "kind": "port",
                    "action": "allow",
                    "protocol": "tcp",
                    "ports": "80,443",
                    "scope": "*",
                    "enabled": True,
                }
            ],
        },
    ]
    ipsec_policies = [
        {
            "name": "Accounting server isolation",
            "description": "Accounting Computers must negotiate IPsec with the "
            "accounting servers.",
            "enabled": True,
            "servers": ["ACCT01", "PAYROLL01"],
            "clients": [ref("Accounting Computers")],
            "authentication": "kerberos",
            "protection": "esp",
            "server_mode": "require",
            "user_authentication": False,
        },
        {
            "name": "Branch office pre-shared key",
            "description": "Legacy branch tunnel: a pre-shared key, which never "
            "qualifies for authenticated bypass.",
            "enabled": True,
            "servers": ["FS02"],
            "client_addresses": "10.20.0.0/16",
            "authentication": "psk",
            "protection": "ah",
            "server_mode": "request",
            "user_authentication": False,
        },
        {
            "name": "Domain isolation",
            "enabled": True,
            "servers": ["FS02", "SQL01", "WEB01"],
            "clients": [ref("Domain Computers")],
            "authentication": "kerberos",
            "protection": "esp",
            "server_mode": "request",
            "user_authentication": True,
        },
    ]
    return {
        "format": "fwconsole-policy/1",
        "servers": servers,
        "policies": policies,
        "ipsec_policies": ipsec_policies,
    }


def write_policies(data, output):
    with open(output, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(
            "# fwconsole demo policy set for the demo directory "
            f"({DNS_DOMAIN}).\n"
            "# Generated by scripts/make-demo-directory.py; imported by "
            "`manage.py load_demo`.\n"
        )
        yaml.safe_dump(data, handle, sort_keys=False, allow_unicode=True, width=88)


def main():
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    # Reproducible demo data, not secrets.
    directory = build(random.Random(SEED))  # noqa: S311
    write(directory.entries, folder / "demo-directory.ldif")
    write_policies(policy_set(directory), folder / "demo-policies.yaml")
    kinds = {}
    for _dn, attrs in directory.entries:
        kind = attrs["objectClass"][-1]
        kinds[kind] = kinds.get(kind, 0) + 1
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    print(f"wrote {folder}: {summary}; demo policies")


if __name__ == "__main__":
    main()
