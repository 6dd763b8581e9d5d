"""Active Directory group membership for sign-in, nested groups resolved by the DC."""

import logging

import ldap.filter
from django_auth_ldap.config import LDAPGroupType
from ldap3.protocol.formatters.formatters import format_sid

logger = logging.getLogger(__name__)

# LDAP_MATCHING_RULE_IN_CHAIN: the DC follows nested membership itself, with
# cycles handled on its side.
IN_CHAIN = "1.2.840.113556.1.4.1941"


def filter_value(value):
    """Escape a value for an LDAP filter that django-auth-ldap %-formats later."""
    return ldap.filter.escape_filter_chars(value).replace("%", "%%")


class InChainGroupType(LDAPGroupType):
    """Groups an AD account belongs to directly, through nesting, or through its
    primary group (primaryGroupID, which ``member`` never lists)."""

    def user_groups(self, ldap_user, group_search):
        connection = ldap_user.connection
        member_dns = [ldap_user.dn]
        terms = []

        primary = self._primary_group(ldap_user, group_search, connection)
        if primary is not None:
            member_dns.append(primary[0])
            terms.append(f"(objectSid={filter_value(primary[1])})")

        terms.extend(f"(member:{IN_CHAIN}:={filter_value(dn)})" for dn in member_dns)
        search = group_search.search_with_additional_term_string(
            "(|{})".format("".join(terms))
        )
        return search.execute(connection)

    def is_member(self, ldap_user, group_dn):
        # The caller then loads every group once, which is one search here.
        return None

    def _primary_group(self, ldap_user, group_search, connection):
        """Return (DN, SID) of the account's primary group, or None."""
        attrs = ldap_user.attrs or {}
        sid = attrs.get("objectSid", [None])[0]
        rid = attrs.get("primaryGroupID", [None])[0]
        if not sid or not rid:
            return None
        if isinstance(sid, str):
            # django-auth-ldap decodes every value it can as UTF-8; undo that.
            sid = sid.encode("utf-8")
        domain_sid = format_sid(sid).rsplit("-", 1)[0]
        group_sid = f"{domain_sid}-{int(rid)}"
        search = group_search.search_with_additional_term_string(
            f"(objectSid={filter_value(group_sid)})"
        )
        results = search.execute(connection)
        if not results:
            logger.info(
                "Primary group %s of %s is outside the group search base",
                group_sid,
                ldap_user.dn,
            )
            return None
        return results[0][0], group_sid
