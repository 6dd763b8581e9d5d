"""What to search for and which attributes to read, per directory flavour.

Active Directory: computer, user and group object classes, objectGUID and
objectSid. Generic LDAP (OpenLDAP schema): device/ipHost computers,
inetOrgPerson/posixAccount users, groupOfNames/groupOfUniqueNames groups and
entryUUID as identity.
"""

from dataclasses import dataclass

COMPUTER = "computer"
USER = "user"
GROUP = "group"
FOREIGN = "foreign"

AD_ATTRIBUTES = [
    "objectClass",
    "objectGUID",
    "objectSid",
    "cn",
    "name",
    "sAMAccountName",
    "userAccountControl",
    "primaryGroupID",
    "whenChanged",
    "displayName",
    "description",
    "dNSHostName",
    "operatingSystem",
    "operatingSystemVersion",
    "lastLogonTimestamp",
    "userPrincipalName",
    "groupType",
    "member",
    "isDeleted",
]

LDAP_ATTRIBUTES = [
    "objectClass",
    "entryUUID",
    "cn",
    "uid",
    "displayName",
    "description",
    "member",
    "uniqueMember",
    "modifyTimestamp",
    "ipHostNumber",
    "mail",
]

_AD_FILTERS = {
    COMPUTER: "(objectClass=computer)",
    USER: "(&(objectClass=user)(!(objectClass=computer)))",
    GROUP: "(objectClass=group)",
}

_LDAP_FILTERS = {
    COMPUTER: "(|(objectClass=device)(objectClass=ipHost))",
    USER: "(&(|(objectClass=inetOrgPerson)(objectClass=posixAccount))"
    "(!(objectClass=device)))",
    GROUP: "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
}

_GROUP_CLASSES = {"group", "groupofnames", "groupofuniquenames", "posixgroup"}
_USER_CLASSES = {
    "user",
    "person",
    "inetorgperson",
    "posixaccount",
    "organizationalperson",
}
_COMPUTER_CLASSES = {"computer", "device", "iphost"}


@dataclass(frozen=True)
class Search:
    """One paged search of the sync: objects of a kind under a base."""

    kind: str
    base_dn: str
    filter: str


def is_active_directory(source):
    return source.kind != "ldap"


def attributes_for(source):
    return AD_ATTRIBUTES if is_active_directory(source) else LDAP_ATTRIBUTES


def _combine(default, extra):
    extra = (extra or "").strip()
    if not extra:
        return default
    if not extra.startswith("("):
        extra = f"({extra})"
    return f"(&{default}{extra})"


def searches_for(source):
    """Return the searches that read the source's computers, users and groups."""
    filters = _AD_FILTERS if is_active_directory(source) else _LDAP_FILTERS
    return [
        Search(
            COMPUTER,
            source.computer_base or source.base_dn,
            _combine(filters[COMPUTER], source.computer_filter),
        ),
        Search(
            USER,
            source.user_base or source.base_dn,
            _combine(filters[USER], source.user_filter),
        ),
        Search(
            GROUP,
            source.group_base or source.base_dn,
            _combine(filters[GROUP], source.group_filter),
        ),
    ]


def classify(entry):
    """Return the kind of an entry (computer, user, group, foreign) or None.

    Tombstones (isDeleted) are no live object of any kind.
    """
    if entry.text("isdeleted").upper() == "TRUE":
        return None
    classes = {value.lower() for value in entry.texts("objectclass")}
    if "foreignsecurityprincipal" in classes:
        return FOREIGN
    if classes & _COMPUTER_CLASSES:
        return COMPUTER
    if classes & _GROUP_CLASSES:
        return GROUP
    if classes & _USER_CLASSES:
        return USER
    return None
