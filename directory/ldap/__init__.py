"""Reading directories over LDAP (ldap3): connections, the reader, decoding."""
