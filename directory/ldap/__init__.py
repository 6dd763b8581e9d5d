"""Reading directories over LDAP: connections, the reader, decoding.

A sync reads through python-ldap; the connection test uses ldap3.
"""
