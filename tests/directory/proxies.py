"""An LDAP proxy in front of the Samba DC that behaves like a Windows DC.

Samba returns every value of ``member`` and every entry of an unpaged search.
Windows does not: past MaxValRange values it answers ``member;range=0-1499``
(whether ``member`` was asked for plainly or by range), it caps the page size
of a paged search at MaxPageSize, and it stops an unpaged search at
MaxPageSize entries with sizeLimitExceeded. This proxy enforces those limits
so that the console's paging and range loops meet them for real.

It also stands in for the failures a real server cannot be made to show on
demand (FC-14): cutting the connection half-way, hanging half-way, answering
busy or unavailable, or answering with nothing.

It terminates TLS with the test certificate (so clients still verify LDAPS
against the test CA) and speaks LDAPS to the DC. LDAP messages are framed and
rewritten with a small BER reader and writer; only search requests, group
entries and search results are touched, everything else passes as it came.
"""

import asyncio
import re
import ssl
import threading

SEARCH_REQUEST = 0x63
SEARCH_ENTRY = 0x64
SEARCH_DONE = 0x65
PAGED_RESULTS_OID = b"1.2.840.113556.1.4.319"
SIZE_LIMIT_EXCEEDED = 4
BUSY = 51
UNAVAILABLE = 52
_RANGE = re.compile(rb"^member;range=(\d+)-(\d+|\*)$", re.IGNORECASE)


# BER ---------------------------------------------------------------------


def read_tlv(buf, pos):
    """Return (tag, content start, content end) of the TLV at ``pos``."""
    tag = buf[pos]
    first = buf[pos + 1]
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(buf[pos + 2 : pos + 2 + count], "big")
        start = pos + 2 + count
    else:
        length = first
        start = pos + 2
    return tag, start, start + length


def children(buf, start, end):
    """Yield (tag, content start, content end, whole TLV) inside a constructed value."""
    pos = start
    while pos < end:
        tag, content_start, content_end = read_tlv(buf, pos)
        yield tag, content_start, content_end, buf[pos:content_end]
        pos = content_end


def encode_length(length):
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag, content):
    return bytes([tag]) + encode_length(len(content)) + content


def integer(value):
    length = max(1, (value.bit_length() + 8) // 8)
    return tlv(0x02, value.to_bytes(length, "big", signed=True))


async def read_message(reader):
    """Read one whole LDAP message (a BER SEQUENCE) from a stream."""
    head = await reader.readexactly(2)
    if head[1] & 0x80:
        count = head[1] & 0x7F
        raw_length = await reader.readexactly(count)
        length = int.from_bytes(raw_length, "big")
        head += raw_length
    else:
        length = head[1]
    return head + await reader.readexactly(length)


def message_parts(raw):
    """Return (message id, operation tag, operation TLV, controls TLV or b'')."""
    _, start, end = read_tlv(raw, 0)
    parts = list(children(raw, start, end))
    message_id = int.from_bytes(raw[parts[0][1] : parts[0][2]], "big", signed=True)
    operation = parts[1]
    controls = parts[2][3] if len(parts) > 2 else b""
    return message_id, operation[0], operation, controls


def build_message(message_id, operation_tlv, controls_tlv=b""):
    return tlv(0x30, integer(message_id) + operation_tlv + controls_tlv)


# What the proxy does to searches --------------------------------------------


class SearchState:
    """What the proxy remembers about one search between request and done."""

    def __init__(self, member_range, paged):
        self.member_range = member_range  # (low, high or None) or None
        self.paged = paged
        self.entries = 0
        self.truncated = False
        self.capped = False
        self.base_scope = False


def _rewrite_request(raw, max_page_size):
    """Return (new raw request, SearchState) for a search request."""
    message_id, _, operation, controls = message_parts(raw)
    _, op_start, op_end, _ = operation
    fields = list(children(raw, op_start, op_end))
    attributes = fields[7]
    names = [raw[s:e] for _, s, e, _ in children(raw, attributes[1], attributes[2])]
    member_range = None
    new_names = []
    for name in names:
        match = _RANGE.match(name)
        if match:
            high = None if match.group(2) == b"*" else int(match.group(2))
            member_range = (int(match.group(1)), high)
            name = b"member"
        elif name.lower() == b"member":
            member_range = (0, None)
        new_names.append(name)
    if not names or b"*" in names:
        member_range = (0, None)
    new_attributes = tlv(0x30, b"".join(tlv(0x04, name) for name in new_names))
    new_fields = b"".join(field[3] for field in fields[:7]) + new_attributes
    new_operation = tlv(SEARCH_REQUEST, new_fields)
    paged = False
    new_controls = controls
    if controls:
        rebuilt = []
        _, c_start, c_end = read_tlv(controls, 0)
        for _, s, e, control in children(controls, c_start, c_end):
            parts = list(children(controls, s, e))
            oid = controls[parts[0][1] : parts[0][2]]
            if oid == PAGED_RESULTS_OID:
                paged = True
                value = parts[-1]
                inner = controls[value[1] : value[2]]
                _, v_start, v_end = read_tlv(inner, 0)
                size_part, cookie_part = list(children(inner, v_start, v_end))
                asked = int.from_bytes(inner[size_part[1] : size_part[2]], "big")
                size = min(asked, max_page_size)
                new_value = tlv(0x30, integer(size) + cookie_part[3])
                control = tlv(
                    0x30,
                    b"".join(part[3] for part in parts[:-1]) + tlv(0x04, new_value),
                )
            rebuilt.append(control)
        new_controls = tlv(controls[0], b"".join(rebuilt))
    state = SearchState(member_range, paged)
    state.base_scope = raw[fields[1][1]] == 0
    state.capped = paged and size < asked
    return build_message(message_id, new_operation, new_controls), state


def _ranged_entry(raw, state, max_val_range):
    """Return the entry with ``member`` cut to AD's range answer."""
    if b"\x04\x06member" not in raw.lower():
        return raw
    message_id, _, operation, controls = message_parts(raw)
    _, op_start, op_end, _ = operation
    object_name, attributes = list(children(raw, op_start, op_end))
    new_attributes = []
    for _, s, e, attribute in children(raw, attributes[1], attributes[2]):
        type_part, values_part = list(children(raw, s, e))
        name = raw[type_part[1] : type_part[2]]
        if name.lower() != b"member" or state.member_range is None:
            new_attributes.append(attribute)
            continue
        values = [v[3] for v in children(raw, values_part[1], values_part[2])]
        low, high = state.member_range
        asked_plainly = (low, high) == (0, None)
        if asked_plainly and len(values) <= max_val_range:
            new_attributes.append(attribute)
            continue
        last = len(values) - 1 if high is None else min(high, len(values) - 1)
        last = min(last, low + max_val_range - 1)
        chunk = values[low : last + 1]
        label = b"*" if last >= len(values) - 1 else str(last).encode()
        ranged = b"member;range=%d-%s" % (low, label)
        new_attributes.append(tlv(0x30, tlv(0x04, ranged) + tlv(0x31, b"".join(chunk))))
    new_operation = tlv(
        SEARCH_ENTRY, object_name[3] + tlv(0x30, b"".join(new_attributes))
    )
    return build_message(message_id, new_operation, controls)


def _done(message_id, result_code, message=b""):
    operation = tlv(
        SEARCH_DONE,
        tlv(0x0A, bytes([result_code])) + tlv(0x04, b"") + tlv(0x04, message),
    )
    return build_message(message_id, operation)


def _with_result_code(raw, result_code):
    message_id, _, operation, controls = message_parts(raw)
    return _done(message_id, result_code, b"size limit exceeded (MaxPageSize)")


# The proxy ---------------------------------------------------------------


class AdLimitsProxy:
    """A proxy on 127.0.0.1 that puts Windows DC limits in front of Samba.

    ``mode`` is one of: None (limits only), "empty" (every search under the
    base finds nothing), "busy" / "unavailable" (searches answer 51 / 52),
    "cut" (the connection is closed after ``after_entries`` entries), "hang"
    (nothing more is sent after ``after_entries`` entries).
    """

    def __init__(
        self,
        upstream_host,
        *,
        ca_file,
        cert_file,
        key_file,
        max_page_size=1000,
        max_val_range=1500,
        upstream_port=636,
    ):
        self.upstream = (upstream_host, upstream_port)
        self.max_page_size = max_page_size
        self.max_val_range = max_val_range
        self.mode = None
        self.after_entries = 0
        self.entries_sent = 0
        self.searches = 0
        self.ranged_answers = 0
        self.capped_pages = 0
        self.truncated_searches = 0
        self.server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server_context.load_cert_chain(cert_file, key_file)
        self.client_context = ssl.create_default_context(cafile=ca_file)
        self.loop = asyncio.new_event_loop()
        self.thread = None
        self.server = None
        self.port = None
        self.connections = set()
        self.errors = []

    @property
    def url(self):
        return f"ldaps://127.0.0.1:{self.port}"

    def start(self):
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(
                asyncio.start_server(
                    self._serve, "127.0.0.1", 0, ssl=self.server_context
                )
            )
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name="ad-limits-proxy", daemon=True)
        self.thread.start()
        if not ready.wait(10):
            raise RuntimeError("the LDAP proxy did not start")
        return self

    def stop(self):
        async def shutdown():
            self.server.close()
            for writer in list(self.connections):
                writer.transport.abort()
            current = asyncio.current_task()
            pending = [task for task in asyncio.all_tasks() if task is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _serve(self, client_reader, client_writer):
        self.connections.add(client_writer)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                *self.upstream,
                ssl=self.client_context,
                server_hostname=self.upstream[0],
            )
        except OSError:
            client_writer.transport.abort()
            return
        self.connections.add(upstream_writer)
        searches = {}
        tasks = [
            asyncio.create_task(
                self._requests(client_reader, upstream_writer, client_writer, searches)
            ),
            asyncio.create_task(
                self._responses(upstream_reader, client_writer, searches)
            ),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                # A bug in the proxy must fail the test, not look like an outage.
                self.errors.append(task.exception())
        for writer in (client_writer, upstream_writer):
            self.connections.discard(writer)
            writer.transport.abort()

    async def _requests(self, client_reader, upstream_writer, client_writer, searches):
        while True:
            try:
                raw = await read_message(client_reader)
            except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
                return
            message_id, tag, _, _ = message_parts(raw)
            if tag == SEARCH_REQUEST:
                self.searches += 1
                if self.mode in ("busy", "unavailable"):
                    code = BUSY if self.mode == "busy" else UNAVAILABLE
                    client_writer.write(
                        _done(message_id, code, b"proxy: " + self.mode.encode())
                    )
                    await client_writer.drain()
                    continue
                raw, state = _rewrite_request(raw, self.max_page_size)
                self.capped_pages += state.capped
                searches[message_id] = state
            upstream_writer.write(raw)
            await upstream_writer.drain()

    async def _responses(self, upstream_reader, client_writer, searches):
        while True:
            try:
                raw = await read_message(upstream_reader)
            except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
                return
            message_id, tag, _, _ = message_parts(raw)
            state = searches.get(message_id)
            if state is not None and tag == SEARCH_ENTRY:
                if self.mode == "empty" and not state.base_scope:
                    continue
                if (
                    self.mode in ("cut", "hang")
                    and self.entries_sent >= self.after_entries
                ):
                    if self.mode == "cut":
                        client_writer.transport.abort()
                        return
                    await asyncio.sleep(3600)
                state.entries += 1
                if not state.paged and state.entries > self.max_page_size:
                    state.truncated = True
                    continue
                rewritten = _ranged_entry(raw, state, self.max_val_range)
                self.ranged_answers += rewritten is not raw
                raw = rewritten
                self.entries_sent += 1
            elif state is not None and tag == SEARCH_DONE:
                searches.pop(message_id, None)
                if state.truncated:
                    self.truncated_searches += 1
                    raw = _with_result_code(raw, SIZE_LIMIT_EXCEEDED)
            client_writer.write(raw)
            await client_writer.drain()
