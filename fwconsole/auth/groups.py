"""Active Directory group membership for sign-in, nested groups resolved by the DC."""

import logging

import ldap
import ldap.filter
from django_auth_ldap.config import LDAPGroupType
from ldap3.protocol.formatters.formatters import format_sid

logger = logging.getLogger(__name__)

# LDAP_MATCHING_RULE_IN_CHAIN: the DC follows nested membership itself.
IN_CHAIN = "1.2.840.113556.1.4.1941"


def filter_value(value):
    """Escape a value for an LDAP filter that django-auth-ldap %-formats later."""
    return ldap.filter.escape_filter_chars(value).replace("%", "%%")


class TokenGroupsType(LDAPGroupType):
    """The security groups in an AD account's token: direct, nested and the
    primary group (primaryGroupID, which ``member`` never lists).

    The DC computes ``tokenGroups`` on a base search of the account, as it
    does for a Kerberos ticket: one cheap query however deep the nesting, and
    cycles are its business. The groups found are then looked up by SID under
    the group search base. Where the bind account may not read tokenGroups,
    the in-chain matching rule stands in (correct, but slow on large
    directories: keep the group search base narrow).
    """

    def user_groups(self, ldap_user, group_search):
        connection = ldap_user.connection
        sids = self._token_sids(connection, ldap_user.dn)
        if sids:
            terms = "".join(f"(objectSid={filter_value(sid)})" for sid in sids)
        else:
            logger.warning(
                "No tokenGroups readable for %s; using the in-chain rule", ldap_user.dn
            )
            terms = f"(member:{IN_CHAIN}:={filter_value(ldap_user.dn)})"
        search = group_search.search_with_additional_term_string(f"(|{terms})")
        return search.execute(connection)

    def is_member(self, ldap_user, group_dn):
        # The caller then loads every group once, which is two searches here.
        return None

    @staticmethod
    def _token_sids(connection, user_dn):
        results = connection.search_s(
            user_dn, ldap.SCOPE_BASE, "(objectClass=*)", ["tokenGroups"]
        )
        for dn, attrs in results:
            if dn is None:
                continue
            values = {name.lower(): value for name, value in attrs.items()}
            return [format_sid(value) for value in values.get("tokengroups", [])]
        return []
