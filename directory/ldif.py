"""LDIF files (ldifde, ``ldapsearch -LLL``) read into directory entries.

python-ldap's ``ldif`` parser does the RFC 2849 work: folded lines (exactly
one leading space removed per continuation), folded comments, ``::`` base64
values, ``dn::``, empty values, CRLF line ends. Lines are joined as bytes and
decoded afterwards, so a fold inside a UTF-8 character does no harm. This
module adds what an operator's file needs on top: UTF-16 files as ldifde
writes them with ``-u``, ``changetype: add`` dropped (ldifde writes it on
every entry), other change records refused, ``attr:< URL`` values refused
rather than fetched, and every error reported with its line number.
The entries come out as the LDAP reader's, so one pipeline serves both.
"""

import binascii
import io
import logging
import re
from pathlib import Path

import ldif

from directory.ldap.dn import InvalidDN, dn_key, is_within, parse_dn
from directory.ldap.entry import Entry
from directory.ldap.schema import COMPUTER, GROUP, USER, classify
from directory.ldap.values import sid_text

logger = logging.getLogger(__name__)


# Attributes the sync reads as numbers. A directory server's schema keeps
# anything else out of them; a file edited by hand does not.
# Signed (groupType of a security group is negative) or unsigned flags.
INTEGER_ATTRIBUTES = {
    "useraccountcontrol": 32,
    "primarygroupid": 32,
    "grouptype": 32,
    "lastlogontimestamp": 64,
}
_INTEGER_RE = re.compile(rb"-?[0-9]{1,20}")


class LdifError(ValueError):
    """A malformed LDIF file; ``line`` is where the problem is."""

    def __init__(self, name, line, problem):
        self.name = name
        self.line = line
        self.problem = problem
        super().__init__(f"{name}, line {line}: {problem}")


class _Parser(ldif.LDIFParser):
    """python-ldap's parser, keeping the line each record and value starts on."""

    def __init__(self, input_file):
        self.current_line = 1
        self.entries = []
        self.record_line = 1
        self.record_lines = {}
        super().__init__(input_file)
        self._next_line_number = self.line_counter

    def _readline(self):
        # Lines stay bytes until they are unfolded: a writer may fold in the
        # middle of a UTF-8 character (RFC 2849 only says it SHOULD NOT).
        line = self._input_file.readline()
        self.line_counter += 1
        self.byte_counter += len(line)
        if not line:
            return None
        if line.endswith(b"\r\n"):
            return line[:-2]
        return line.removesuffix(b"\n")

    def _unfold_lines(self):
        self.current_line = self._next_line_number
        if self._last_line is None:
            raise EOFError(f"end of file after {self.line_counter} lines")
        parts = [self._last_line]
        next_line = self._readline()
        while next_line and next_line[:1] == b" ":
            parts.append(next_line[1:])
            next_line = self._readline()
        self._last_line = next_line
        self._next_line_number = self.line_counter
        line = b"".join(parts).decode("utf-8")
        if "\x00" in line:
            # RFC 2849 keeps NUL out of text values (and PostgreSQL out of its
            # text columns); binary values are written in base64.
            raise ValueError(
                "a NUL character in a text line; a value that holds one is "
                "written in base64 (attribute:: value)"
            )
        return line

    def _next_key_and_value(self):
        attr_type, attr_value = super()._next_key_and_value()
        if attr_type == "dn":
            self.record_line = self.current_line
        if attr_value is None and attr_type not in (None, "-"):
            # python-ldap leaves "attr:< URL" values unread (None) unless told
            # to fetch them; an import must never read files off the server.
            raise ValueError(
                f"{attr_type}:< takes its value from a URL, which an import "
                "does not read; put the value in the file (base64 with ::)"
            )
        return attr_type, attr_value

    def handle(self, dn, entry):
        if "\x00" in dn:
            self.current_line = self.record_line
            raise ValueError(f"the DN {dn!r} holds a NUL character")
        attrs = {}
        for name, values in entry.items():
            attrs.setdefault(name.lower(), []).extend(values)
        changetype = attrs.pop("changetype", None)
        if changetype and changetype != [b"add"]:
            kind = b",".join(changetype).decode("utf-8", errors="replace")
            raise ValueError(
                f"changetype: {kind} in the record for {dn!r}: only directory "
                "content (or changetype: add) can be imported"
            )
        for name, bits in INTEGER_ATTRIBUTES.items():
            for value in attrs.get(name, ()):
                if not _is_integer(value, bits):
                    self.current_line = self.record_line
                    raise ValueError(
                        f"{name} of {dn!r} is {_shown(value)}, not a {bits}-bit integer"
                    )
        for value in attrs.get("objectsid", ()):
            try:
                sid_text(value)
            except ValueError as error:
                self.current_line = self.record_line
                raise ValueError(f"objectSid of {dn!r}: {error}") from None
        try:
            key = dn_key(dn)
        except InvalidDN:
            key = None  # refused with the other malformed DNs once read
        if key is not None and key in self.record_lines:
            self.current_line = self.record_line
            raise ValueError(
                f"{dn!r} appears a second time (first at line "
                f"{self.record_lines[key]}); an export lists each entry once"
            )
        self.record_lines[key] = self.record_line
        self.entries.append(Entry(dn=dn, attrs=attrs))


def _is_integer(value, bits):
    text = value.strip()
    return (
        bool(_INTEGER_RE.fullmatch(text)) and -(2 ** (bits - 1)) <= int(text) < 2**bits
    )


def _shown(value):
    text = value.decode("utf-8", errors="replace")
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _as_utf8_stream(data):
    # ldifde -u writes UTF-16 with a byte order mark; everything else is UTF-8.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16").encode("utf-8")
    elif data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return io.BytesIO(data)


def _read_bytes(path_or_file):
    if isinstance(path_or_file, str | Path):
        path = Path(path_or_file)
        return path.name, path.read_bytes()
    name = getattr(path_or_file, "name", None) or "uploaded file"
    data = path_or_file.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return Path(str(name)).name, data


def parse_ldif(path_or_file):
    """Return the entries of an LDIF file; raise LdifError naming the line."""
    name, data = _read_bytes(path_or_file)
    try:
        stream = _as_utf8_stream(data)
    except UnicodeDecodeError as exc:
        raise LdifError(name, 1, "not UTF-8 (or UTF-16) text") from exc
    parser = _Parser(stream)
    try:
        parser.parse_entry_records()
    except UnicodeDecodeError as exc:
        raise LdifError(
            name, parser.current_line, "not UTF-8 (or UTF-16) text"
        ) from exc
    except EOFError as exc:
        # python-ldap reads past the end when the last record has a dn: line
        # and nothing after it.
        raise LdifError(
            name,
            parser.record_line,
            "the file ends after a dn: line; an entry needs its attributes",
        ) from exc
    except binascii.Error as exc:
        raise LdifError(name, parser.current_line, f"bad base64 value ({exc})") from exc
    except ValueError as exc:
        problem = str(exc)
        if problem.startswith("Line "):
            problem = problem.split(": ", 1)[-1]
        elif problem.startswith("no value-spec"):
            problem = (
                "a line with no 'attribute: value' (a continuation line must "
                f"start with one space): {problem.removeprefix('no value-spec in ')}"
            )
        raise LdifError(name, parser.current_line, problem) from exc
    for entry in parser.entries:
        try:
            parse_dn(entry.dn)
        except InvalidDN as exc:
            raise LdifError(name, parser.current_line, str(exc)) from exc
    logger.info("read %d entries from %s", len(parser.entries), name)
    return parser.entries


class LdifEntrySource:
    """The entries of an LDIF file seen through a source's search bases.

    Known limitation: the source's LDAP filters are not applied to a file;
    only its bases decide what is in scope.
    """

    def __init__(self, source, entries):
        self.bases = {
            COMPUTER: source.computer_base or source.base_dn,
            USER: source.user_base or source.base_dn,
            GROUP: source.group_base or source.base_dn,
        }
        self.entries = entries
        self.by_key = {}
        for entry in entries:
            self.by_key.setdefault(dn_key(entry.dn), entry)

    def scoped_entries(self):
        for entry in self.entries:
            kind = classify(entry)
            base = self.bases.get(kind)
            if base is not None and is_within(entry.dn, base):
                yield kind, entry

    def lookup(self, dns):
        return {dn: self.by_key.get(dn_key(dn)) for dn in dns}
