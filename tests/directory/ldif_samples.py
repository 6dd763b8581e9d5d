"""Small LDIF exports for page and command tests, written the way ldifde does."""

import base64
import struct
import uuid

DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"
BASE_DN = "DC=corp,DC=example,DC=test"


def sid_bytes(sid):
    """Return the binary objectSid of a SID string."""
    parts = sid.split("-")
    revision, authority = int(parts[1]), int(parts[2])
    subs = [int(part) for part in parts[3:]]
    return (
        struct.pack("<BB", revision, len(subs))
        + authority.to_bytes(6, "big")
        + b"".join(struct.pack("<I", sub) for sub in subs)
    )


def b64(data):
    return base64.b64encode(data).decode("ascii")


def entry(dn, classes, rid, attrs, guid=None):
    """Return one LDIF record with objectGUID and objectSid in base64."""
    guid = guid or uuid.uuid5(uuid.NAMESPACE_URL, dn.casefold())
    lines = [f"dn: {dn}"]
    lines += [f"objectClass: {name}" for name in classes]
    lines.append(f"objectGUID:: {b64(guid.bytes_le)}")
    lines.append(f"objectSid:: {b64(sid_bytes(f'{DOMAIN_SID}-{rid}'))}")
    for name, values in attrs.items():
        for value in values if isinstance(values, list) else [values]:
            lines.append(f"{name}: {value}")
    return "\n".join(lines) + "\n"


COMPUTER_CLASSES = ["top", "person", "organizationalPerson", "user", "computer"]
USER_CLASSES = ["top", "person", "organizationalPerson", "user"]
GROUP_CLASSES = ["top", "group"]


def computer(name, rid, ou="OU=Workstations", primary=515, uac=4096):
    return entry(
        f"CN={name},{ou},{BASE_DN}",
        COMPUTER_CLASSES,
        rid,
        {
            "cn": name,
            "sAMAccountName": f"{name}$",
            "userAccountControl": uac,
            "primaryGroupID": primary,
            "dNSHostName": f"{name.lower()}.corp.example.test",
            "operatingSystem": "Windows 11 Enterprise",
        },
    )


def user(name, rid, primary=513):
    return entry(
        f"CN={name},OU=People,{BASE_DN}",
        USER_CLASSES,
        rid,
        {
            "cn": name,
            "sAMAccountName": name,
            "userPrincipalName": f"{name}@corp.example.test",
            "userAccountControl": 512,
            "primaryGroupID": primary,
        },
    )


def group(name, rid, members=(), ou="OU=Groups"):
    return entry(
        f"CN={name},{ou},{BASE_DN}",
        GROUP_CLASSES,
        rid,
        {
            "cn": name,
            "sAMAccountName": name,
            "groupType": -2147483646,
            "member": list(members),
        },
    )


def dn(name, ou):
    return f"CN={name},{ou},{BASE_DN}"


def nested_export():
    """A bypass group holding a site group that holds a kiosk group (FC-04 shape),
    Domain Computers by primaryGroupID, and a member that resolves to nothing."""
    return "\n".join(
        [
            "# ldifde -f export.ldf -d DC=corp,DC=example,DC=test",
            group(
                "FW-Bypass-App01",
                1101,
                [
                    dn("Site-Oslo", "OU=Groups"),
                    dn("WS1099", "OU=Gone"),
                ],
            ),
            group(
                "Site-Oslo",
                1102,
                [dn("WS0401", "OU=Workstations"), dn("Oslo-Kiosks", "OU=Groups")],
            ),
            group("Oslo-Kiosks", 1103, [dn("KIOSK-0407", "OU=Workstations")]),
            group("Domain Computers", 515),
            group("Domain Users", 513),
            computer("WS0401", 1201),
            computer("KIOSK-0407", 1202, uac=4098),
            computer("WS0402", 1203),
            user("jroe", 1301),
        ]
    )


MALFORMED = (
    "dn: CN=WS0501,OU=Workstations,DC=corp,DC=example,DC=test\n"
    "objectClass: computer\n"
    "cn: WS0501\n"
    "this line has no colon and no leading space\n"
)
