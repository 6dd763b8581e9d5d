"""django-auditlog's request middleware, fed the client address the console trusts."""

from contextvars import ContextVar

from auditlog.middleware import AuditlogMiddleware

from fwconsole.auth.throttle import client_ip

_request_actor = ContextVar("fwconsole_request_actor", default=None)


def request_actor():
    """The signed-in user of the request being served, or None outside one."""
    return _request_actor.get()


class AuditMiddleware(AuditlogMiddleware):
    """Couples change-log entries to the request's user and address.

    The library's own version takes the first X-Forwarded-For entry, which any
    client can write (and a value that is no address fails the database
    insert); here the address is the one django-axes counts, and the port is
    only taken when it is one.
    """

    def __call__(self, request):
        # Set for this request only: work done later in the same thread (a
        # worker, a command) must not inherit the last request's user.
        token = _request_actor.set(self._get_actor(request))
        try:
            return super().__call__(request)
        finally:
            _request_actor.reset(token)

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None
