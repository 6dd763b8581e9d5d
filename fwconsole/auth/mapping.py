"""Which console role a set of directory groups gives, from settings and the
role mapping page."""

import logging

from django.conf import settings

from fwconsole.auth.dn import dn_or_none
from fwconsole.models import RoleMapping
from fwconsole.roles import Role

logger = logging.getLogger(__name__)

ROLE_BY_NAME = {
    role.group_name: role for role in (Role.VIEWER, Role.EDITOR, Role.ADMIN)
}


def settings_mappings():
    """Return (dn_key, role name) for the mappings fixed in settings."""
    mappings = []
    for role_name, dns in getattr(
        settings, "FWCONSOLE_AUTH_LDAP_ROLE_GROUPS", {}
    ).items():
        for dn in dns:
            key = dn_or_none(dn)
            if key is None:
                logger.error("Ignoring role group %r for %s: not a DN", dn, role_name)
                continue
            mappings.append((key, role_name))
    return mappings


def configured_mappings():
    """Return (dn_key, role name, origin) for every mapping, settings first."""
    mappings = [(key, role, "settings") for key, role in settings_mappings()]
    mappings.extend(
        (key, role_name, "console")
        for key, role_name in RoleMapping.objects.values_list("dn_key", "role")
    )
    return mappings


def role_for_groups(group_dns):
    """Return (highest role, sorted mapped group DNs) for the groups an account is in.

    The role is None when no mapped group matches.
    """
    held = {key for key in map(dn_or_none, group_dns) if key}
    matched = {}
    for key, role_name, _origin in configured_mappings():
        if key in held:
            matched[key] = max(matched.get(key, Role.PUBLIC), ROLE_BY_NAME[role_name])
    if not matched:
        return None, []
    return max(matched.values()), sorted(matched)
