"""django-auditlog's request middleware, fed the client address the console trusts."""

from auditlog.middleware import AuditlogMiddleware

from fwconsole.auth.throttle import client_ip


class AuditMiddleware(AuditlogMiddleware):
    """Couples change-log entries to the request's user and address.

    The library's own version takes the first X-Forwarded-For entry, which any
    client can write (and a value that is no address fails the database
    insert); here the address is the one django-axes counts, and the port is
    only taken when it is one.
    """

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None
