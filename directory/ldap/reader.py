"""Reading a live directory: paged searches, ranged members, single lookups.

Large result sets come in pages (the paged-results control; AD stops an
unpaged search at MaxPageSize). Large groups come in ranges: once a group
has more members than MaxValRange, AD answers ``member;range=0-1499``
instead of ``member``, whether ``member`` was asked for plainly or by range.
The reader asks again for ``member;range=<next>-*`` until the upper bound of
the answer is ``*``, taking only the chunk that starts where it asked, so a
server that returns two range keys cannot make it stop early or count twice
(FC-01). Every failure goes through ``ldap_error`` with what was being read.

The connection is python-ldap's (see ``directory.ldap.connection``): libldap
decodes the answers in C and hands over the DN and the raw byte values.
Every answer is waited for at most the source's timeout.
"""

import logging
import queue
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import ldap
from ldap.controls import SimplePagedResultsControl

from directory.ldap import values
from directory.ldap.dn import dns_domain_of
from directory.ldap.entry import Entry
from directory.ldap.errors import DirectoryError, ldap_error
from directory.ldap.schema import attributes_for, is_active_directory, searches_for

logger = logging.getLogger(__name__)

PAGED_RESULTS_OID = SimplePagedResultsControl.controlType
_ANSWER_CONTROLS = {PAGED_RESULTS_OID: SimplePagedResultsControl}
_RANGE_KEY = re.compile(r"^member;range=(\d+)-(\d+|\*)$")
# A group of more than this many chunks is a server answering in circles.
_MAX_RANGE_ROUNDS = 100_000
# What a reading thread puts after its last page.
_DONE = object()


def _entries(results):
    """Entries of a search answer; search references (no DN) are left out."""
    return [
        Entry(dn=dn, attrs={name.lower(): raw for name, raw in attrs.items()})
        for dn, attrs in results
        if dn is not None
    ]


def _has_ranges(entry):
    return any(name.startswith("member;range=") for name in entry.attrs)


def _received(pages):
    """Yield the pages a reading thread puts in ``pages`` until it is done."""
    while True:
        page = pages.get()
        if page is _DONE:
            return
        if isinstance(page, BaseException):
            raise page
        yield page


def _range_chunks(entry):
    chunks = []
    for name in entry.attrs:
        match = _RANGE_KEY.match(name)
        if match:
            chunks.append((int(match.group(1)), match.group(2), name))
    return chunks


class LdapEntrySource:
    """The entries of a live directory, as the sync pipeline asks for them."""

    def __init__(self, source, connection, *, progress=None, connect=None):
        self.source = source
        self.connection = connection
        self.attributes = attributes_for(source)
        self.progress = progress or (lambda kind, count: None)
        # Opens another bound connection: with it, the computer, user and
        # group searches run side by side, so the server works on one while
        # this process decodes another.
        self.connect = connect
        self.counts = {}

    def scoped_entries(self):
        """Yield (kind, entry) for every object the source's searches find.

        Entries come search by search, in the order of the searches. With
        ``connect`` the searches run side by side, each on a connection of
        its own, and every page is handed over as it arrives: the caller
        turns one page into records while the server prepares the next.
        """
        searches = searches_for(self.source)
        started = time.monotonic()
        if self.connect is None:
            streams = (self._search(search) for search in searches)
        else:
            stop = threading.Event()
            queues = [queue.SimpleQueue() for _ in searches]
            pool = ThreadPoolExecutor(max_workers=len(searches))
            futures = [
                pool.submit(self._search_apart, search, pages, stop)
                for search, pages in zip(searches, queues, strict=True)
            ]
            streams = (_received(pages) for pages in queues)
        try:
            for search, pages in zip(searches, streams, strict=True):
                count = 0
                for page in pages:
                    count += len(page)
                    for entry in page:
                        yield search.kind, entry
                self.counts[search.kind] = count
                logger.info(
                    "source %s: read %d %ss under %s (%.1f s since the start)",
                    self.source.name,
                    count,
                    search.kind,
                    search.base_dn,
                    time.monotonic() - started,
                )
                self.progress(search.kind, count)
        finally:
            if self.connect is not None:
                stop.set()
                for future in futures:
                    future.cancel()
                pool.shutdown(wait=True)

    def _search(self, search):
        return self.pages(search.base_dn, search.filter, what=f"{search.kind}s")

    def _search_apart(self, search, pages, stop):
        """Read one search on a connection of its own, page by page into
        ``pages``; then ``_DONE``, or the exception that stopped it."""
        try:
            connection = self.connect()
            try:
                reader = LdapEntrySource(self.source, connection)
                for page in reader._search(search):
                    if stop.is_set():
                        return
                    pages.put(page)
            finally:
                try:
                    connection.unbind_s()
                except Exception:  # noqa: BLE001, S110 - the answer is already read
                    pass
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            pages.put(exc)
            return
        pages.put(_DONE)

    def _answer(self, base_dn, scope, search_filter, attributes, controls=None):
        """Run one search; return its entries and the answer's controls."""
        connection = self.connection
        message_id = connection.search_ext(
            base_dn, scope, search_filter, attributes, serverctrls=controls
        )
        try:
            _, results, _, answer_controls = connection.result3(
                message_id,
                all=1,
                timeout=self.source.timeout_seconds,
                resp_ctrl_classes=_ANSWER_CONTROLS,
            )
        except ldap.TIMEOUT:
            try:
                connection.abandon(message_id)
            except ldap.LDAPError:  # noqa: S110 - the timeout is what is reported
                pass
            raise
        return _entries(results), answer_controls

    def paged_search(self, base_dn, search_filter, *, what="entries"):
        """Return every entry a subtree search finds, page by page."""
        return [
            entry
            for page in self.pages(base_dn, search_filter, what=what)
            for entry in page
        ]

    def pages(self, base_dn, search_filter, *, what="entries"):
        """Yield the entries a subtree search finds, a page at a time.

        Groups answered with ``member;range=`` chunks wait until the paged
        search is over and come last, with their members complete: the
        range reads then never come between two pages of the search.
        """
        action = f"reading {what} under {base_dn} from {self.source.name}"
        paging = SimplePagedResultsControl(False, size=self.source.page_size, cookie="")
        ranged = []
        number = 0
        while True:
            number += 1
            try:
                page, answer_controls = self._answer(
                    base_dn,
                    ldap.SCOPE_SUBTREE,
                    search_filter,
                    self.attributes,
                    [paging],
                )
            except DirectoryError:
                raise
            except Exception as exc:
                raise ldap_error(f"{action} (page {number})", exc) from exc
            whole = []
            for entry in page:
                (ranged if _has_ranges(entry) else whole).append(entry)
            if whole:
                yield whole
            paging.cookie = next(
                (
                    control.cookie
                    for control in answer_controls
                    if control.controlType == PAGED_RESULTS_OID
                ),
                b"",
            )
            if not paging.cookie:
                break
        for entry in ranged:
            self.complete_ranges(entry)
        if ranged:
            yield ranged

    def complete_ranges(self, entry):
        """Replace ranged ``member;range=`` chunks by the full ``member`` list."""
        chunks = _range_chunks(entry)
        if not chunks:
            return
        first = [chunk for chunk in chunks if chunk[0] == 0]
        if not first:
            raise DirectoryError(
                f"reading members of {entry.dn}: the server sent "
                f"{', '.join(chunk[2] for chunk in chunks)} but no chunk starting at 0"
            )
        low, high, name = first[0]
        members = list(entry.attrs.get("member", ()))
        members.extend(entry.attrs[name])
        for _, _, key in chunks:
            del entry.attrs[key]
        rounds = 0
        while high != "*":
            next_low = int(high) + 1
            high, chunk = self._read_range(entry.dn, next_low)
            members.extend(chunk)
            rounds += 1
            if rounds > _MAX_RANGE_ROUNDS:
                raise DirectoryError(f"reading members of {entry.dn}: ranges never end")
        entry.attrs["member"] = members
        logger.debug(
            "read %d members of %s in %d ranges", len(members), entry.dn, rounds + 1
        )

    def _read_range(self, dn, low):
        requested = f"member;range={low}-*"
        action = f"reading {requested} of {dn} from {self.source.name}"
        try:
            entries, _ = self._answer(
                dn, ldap.SCOPE_BASE, "(objectClass=*)", [requested]
            )
        except Exception as exc:
            raise ldap_error(action, exc) from exc
        if len(entries) != 1:
            raise DirectoryError(
                f"{action}: the group is gone ({len(entries)} entries)"
            )
        for chunk_low, chunk_high, name in _range_chunks(entries[0]):
            if chunk_low == low:
                chunk = entries[0].attrs[name]
                if chunk_high != "*" and (int(chunk_high) < low or not chunk):
                    raise DirectoryError(
                        f"{action}: the server answered {name} with no progress"
                    )
                return chunk_high, chunk
        raise DirectoryError(
            f"{action}: the answer holds no range starting at {low} "
            f"(got {', '.join(entries[0].attrs) or 'nothing'})"
        )

    def lookup(self, dns):
        """Read entries by DN (base scope); None for DNs that name nothing."""
        found = {}
        for dn in dns:
            found[dn] = self.read_entry(dn)
        return found

    def read_entry(self, dn):
        """Return the entry at ``dn`` or None when there is no such object."""
        action = f"reading {dn} from {self.source.name}"
        try:
            entries, _ = self._answer(
                dn, ldap.SCOPE_BASE, "(objectClass=*)", self.attributes
            )
        except (ldap.NO_SUCH_OBJECT, ldap.REFERRAL, ldap.INVALID_DN_SYNTAX):
            return None
        except Exception as exc:
            raise ldap_error(action, exc) from exc
        if not entries:
            return None
        entry = entries[0]
        self.complete_ranges(entry)
        return entry

    def domain_info(self):
        """Return (domain SID, DNS domain, NetBIOS name) of an AD source."""
        base_dn = self.source.base_dn
        if not is_active_directory(self.source):
            return "", dns_domain_of(base_dn), ""
        action = f"reading the domain of {self.source.name}"
        try:
            root = self._only_entry(
                "the root DSE",
                "",
                ldap.SCOPE_BASE,
                ["defaultNamingContext", "configurationNamingContext"],
            )
            naming_context = root.text("defaultnamingcontext") or base_dn
            configuration = root.text("configurationnamingcontext")
            domain = self._only_entry(
                naming_context, naming_context, ldap.SCOPE_BASE, ["objectSid"]
            )
            raw_sid = domain.first("objectsid")
            netbios = ""
            if configuration:
                naming_context_value = values.escape_filter_text(naming_context)
                partitions, _ = self._answer(
                    f"CN=Partitions,{configuration}",
                    ldap.SCOPE_ONELEVEL,
                    f"(&(objectClass=crossRef)(nCName={naming_context_value}))",
                    ["nETBIOSName"],
                )
                for entry in partitions:
                    netbios = entry.text("netbiosname")
        except Exception as exc:
            raise ldap_error(action, exc) from exc
        return (
            values.sid_text(raw_sid) if raw_sid else "",
            dns_domain_of(naming_context),
            netbios,
        )

    def _only_entry(self, what, base_dn, scope, attributes):
        entries, _ = self._answer(base_dn, scope, "(objectClass=*)", attributes)
        if not entries:
            raise DirectoryError(f"the server returned no entry for {what}")
        return entries[0]

    def find_accounts(self, sam_account_name):
        """Return the DNs of accounts whose sAMAccountName is exactly the value."""
        search_filter = (
            f"(sAMAccountName={values.escape_filter_text(sam_account_name)})"
        )
        return [
            entry.dn for entry in self.paged_search(self.source.base_dn, search_filter)
        ]

    def find_by_guid(self, guid):
        """Return the DNs of objects whose objectGUID is ``guid`` (text form)."""
        return [
            entry.dn
            for entry in self.paged_search(
                self.source.base_dn, values.guid_filter(guid)
            )
        ]
