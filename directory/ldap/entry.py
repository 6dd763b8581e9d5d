"""One directory entry as read from a server or an LDIF file."""

from dataclasses import dataclass, field


@dataclass(slots=True)
class Entry:
    """A DN and its attributes: lower-case names, raw byte values.

    The LDAP reader and the LDIF parser both produce these, so one pipeline
    turns either into directory records.
    """

    dn: str
    attrs: dict[str, list[bytes]] = field(default_factory=dict)

    def first(self, name, default=None):
        values = self.attrs.get(name)
        return values[0] if values else default

    def text(self, name, default=""):
        value = self.first(name)
        if value is None:
            return default
        return _readable(value)

    def texts(self, name):
        return [_readable(value) for value in self.attrs.get(name, ())]

    def integer(self, name):
        value = self.first(name)
        if value is None or not value.strip():
            return None
        return int(value)


def _readable(value):
    """Decode a text value; bytes that are not UTF-8, and NUL, which no database
    text column holds, become U+FFFD rather than failing the whole run."""
    return value.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
