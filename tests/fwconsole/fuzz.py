"""What the fuzz and hostile-data tests share: hostile strings, a crawler that
finds every page and form of the console from its URL map and its links, and
the checks every answer must pass.

Nothing here lists pages or forms by hand: a page or form added later is
found and fuzzed too.
"""

import dataclasses
import hashlib
import json
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.apps import apps
from django.db import connection
from django.urls import Resolver404, resolve, reverse
from hypothesis import strategies as st

# Markup that must never come back as markup. Each carries "fz" so a hit
# cannot be the console's own HTML.
ATOMS = (
    "<script>fz()</script>",
    '"><img src=x onerror=fz()>',
    "' onfocus='fz()' data-x='",
    "</textarea><b fz>",
)

SPECIALS = (
    "\x00",
    "\r\n",
    "\n\n",
    "\t",
    "\x1b[31m",
    "\x7f",
    "\u202e",
    "\ufeff",
    "\u2028",
    "%(user)s",
    "%s%n",
    "*)(objectClass=*",
    "\\",
    "\\2a",
    "=cmd|' /C calc'!A0",
    "{{ 7|add:7 }}",
    "`$(fz)`",
    "'; Remove-Item C:\\ -Recurse #",
    '" & netsh advfirewall reset & "',
    "../../etc/passwd",
    "😀",
    "CN=x\\,OU=y",
)

# Numbers a careless or hostile user types where the console reads one: out
# of range, negative, in another script's digits, and too long for int().
NUMBERS = (
    "-1",
    "0",
    "65536",
    "4294967296",
    "1e999",
    "0x10",
    "٨",
    "9" * 5000,
    "0" * 5000 + "1",
)
# What comes before a number in the fields that hold one.
NUMBER_PREFIXES = ("", "10.0.0.0/", "10.20.1.10/", "S-1-5-21-", "tcp/", "icmp/", "1-")

_plain = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


def hostile_text():
    """Random strings with markup, quotes, NUL and control characters, some
    long; and numbers out of range or too long to read, alone or after what
    precedes a number in an address, SID, service or port range."""
    atom = st.sampled_from(ATOMS)
    special = st.sampled_from(SPECIALS)
    return st.one_of(
        st.builds(lambda a, b, c, d: a + b + c + d, _plain, atom, special, _plain),
        st.builds(lambda a, b: a + b, atom, special),
        st.builds(lambda a, b: b + a, atom, special),
        st.builds(lambda a, n: a * n, atom, st.integers(100, 3000)),
        st.builds(lambda a, b: a + b, atom, _plain),
        st.builds(
            lambda a, b: a + b,
            st.sampled_from(NUMBER_PREFIXES),
            st.sampled_from(NUMBERS),
        ),
    )


def raw_atoms(text):
    """Return the markup atoms found unescaped in a text."""
    return [atom for atom in ATOMS if atom in text]


# ---------------------------------------------------------------------------
# HTML: links and forms.


@dataclasses.dataclass
class Field:
    name: str
    kind: str  # input type, "textarea" or "select"
    value: str = ""
    options: tuple = ()
    checked: bool = False


@dataclasses.dataclass
class Form:
    page: str
    action: str
    method: str
    fields: list
    enctype: str = ""

    @property
    def label(self):
        names = ",".join(field.name for field in self.fields)
        return f"{self.method} {self.action} [{names}] (on {self.page})"

    def data(self, overrides=None):
        """The form's values as a browser would send them, with overrides."""
        data = {}
        for field in self.fields:
            if field.kind in ("checkbox", "radio") and not field.checked:
                continue
            if field.kind in ("submit", "button", "reset", "image"):
                continue
            if field.kind == "file":
                continue
            data.setdefault(field.name, []).append(field.value)
        for name, value in (overrides or {}).items():
            data[name] = [value]
        return data

    def fuzzable(self):
        """Fields a user types into or picks from, plus hidden ones."""
        skip = {"csrfmiddlewaretoken"}
        kinds = {
            "text",
            "search",
            "email",
            "url",
            "tel",
            "number",
            "password",
            "hidden",
            "textarea",
            "select",
            "date",
            "datetime-local",
            "",
        }
        return [f for f in self.fields if f.kind in kinds and f.name not in skip]

    def file_fields(self):
        return [f for f in self.fields if f.kind == "file"]


class _PageParser(HTMLParser):
    """Collect links (href, hx-get, hx-post, action) and forms of a page."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links = set()
        self.forms = []
        self._form = None
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            self._select.options += (value,)
            if "selected" in attrs or len(self._select.options) == 1:
                self._select.value = value
            return
        for name in ("href", "hx-get", "hx-post", "action", "src", "data-url"):
            if attrs.get(name):
                self.links.add(urljoin(self.page, attrs[name]))
        if tag == "form":
            method = (attrs.get("method") or "get").upper()
            action = attrs.get("hx-post") or attrs.get("action") or self.page
            if attrs.get("hx-post"):
                method = "POST"
            self._form = Form(
                page=self.page,
                action=urljoin(self.page, action),
                method=method,
                fields=[],
                enctype=attrs.get("enctype", ""),
            )
            self.forms.append(self._form)
        if tag in ("input", "select", "textarea") and attrs.get("name"):
            self._htmx_field(attrs)
        form = self._form
        if form is None or not attrs.get("name"):
            return
        if tag == "input":
            form.fields.append(
                Field(
                    attrs["name"],
                    (attrs.get("type") or "text").lower(),
                    attrs.get("value") or "",
                    checked="checked" in attrs,
                )
            )
        elif tag == "textarea":
            self._textarea = Field(attrs["name"], "textarea")
            form.fields.append(self._textarea)
        elif tag == "select":
            self._select = Field(attrs["name"], "select")
            form.fields.append(self._select)
        elif tag == "button" and attrs.get("value"):
            form.fields.append(Field(attrs["name"], "button", attrs["value"]))

    def _htmx_field(self, attrs):
        """A field that sends itself (type-ahead): a one-field form of its own."""
        for attribute, method in (("hx-get", "GET"), ("hx-post", "POST")):
            url = attrs.get(attribute)
            if not url:
                continue
            action = urljoin(self.page, url)
            fields = [
                Field(name, "hidden", value)
                for name, value in parse_qsl(urlsplit(action).query)
            ]
            fields.append(Field(attrs["name"], "text", attrs.get("value") or ""))
            self.forms.append(
                Form(page=self.page, action=action, method=method, fields=fields)
            )

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def parse_page(url, html):
    parser = _PageParser(url)
    parser.feed(html)
    return parser


def same_site_path(url):
    """Return the path and query of a console URL, or None for other sites."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    if not parts.path.startswith("/") or parts.path.startswith("/static/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def route_of(path):
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


# ---------------------------------------------------------------------------
# Crawling.


SKIP_ROUTES = {
    # Signing out ends the crawler's own session.
    "logout",
}

# Pages whose 500 is their meaning: the health check with no worker running.
EXPECTED_ERRORS = {"health"}


def crawl(client, start_paths, *, per_route=2, limit=400, within=("/",)):
    """GET every page reachable from the start paths (as the client's user).

    Returns {path: response}, the forms found on them and the pages that
    answered with a server error. At most
    ``per_route`` paths of one URL pattern are visited, so a list of a
    thousand objects costs two detail pages, not a thousand.
    """
    queue = list(dict.fromkeys(start_paths))
    seen_routes = {}
    visited = {}
    forms = []
    errors = []
    while queue and len(visited) < limit:
        path = queue.pop(0)
        if path in visited:
            continue
        route = route_of(path)
        if route is None or route in SKIP_ROUTES:
            continue
        if seen_routes.get(route, 0) >= per_route:
            continue
        seen_routes[route] = seen_routes.get(route, 0) + 1
        response = client.get(path)
        visited[path] = response
        if response.status_code >= 500 and route not in EXPECTED_ERRORS:
            errors.append(
                f"GET {path}: {response.status_code} {exception_of(response)}"
            )
        content_type = response.get("Content-Type", "")
        if response.status_code != 200 or "text/html" not in content_type:
            continue
        page = parse_page("http://testserver" + path, response.content.decode())
        forms.extend(page.forms)
        for link in sorted(page.links):
            found = same_site_path(link)
            if found and found.startswith(within) and found not in visited:
                queue.append(found)
    return visited, forms, errors


def exception_of(response):
    """The exception behind a 500 answer of the test client, as text."""
    info = getattr(response, "exc_info", None)
    if not info:
        return ""
    return f"{info[0].__name__}: {str(info[1])[:300]}"


def no_argument_paths_of_site():
    """Paths of every URL pattern of the console that needs no argument."""
    from tests.fwconsole.test_role_matrix import ROUTES

    return [
        reverse(route.name)
        for route in ROUTES
        if route.name and not route.kwarg_names and route.name not in SKIP_ROUTES
    ]


# ---------------------------------------------------------------------------
# The database, to see that a refused request changed nothing.

# The console's own data; sessions, throttling counters and the audit of
# failed sign-ins may be written by a refused request.
WATCHED_APPS = {"auth", "fwconsole", "directory", "policies", "django_celery_beat"}


def watched_models():
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in WATCHED_APPS and not meta.proxy and meta.managed:
            yield model


def database_writes():
    """What this transaction has written to the console's tables so far.

    On PostgreSQL the server counts rows inserted, updated and deleted per
    table in the current transaction (even in rolled-back savepoints), so a
    refused request that wrote anything shows, in one query. Elsewhere the
    fingerprint of every row stands in.
    """
    if connection.vendor != "postgresql":
        return database_fingerprint()
    tables = [model._meta.db_table for model in watched_models()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del "
            "FROM pg_stat_xact_user_tables WHERE relname = ANY(%s) ORDER BY relname",
            [tables],
        )
        return cursor.fetchall()


def database_fingerprint():
    """A digest of every row of every watched table."""
    digest = hashlib.sha256()
    for model in watched_models():
        meta = model._meta
        rows = model._base_manager.order_by("pk").values_list()
        digest.update(meta.label.encode())
        for row in rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------------------
# Checks on an answer.

ERROR_MARKERS = (
    "errorlist",
    "invalid-feedback",
    "is-invalid",
    "data-field-error",
    "alert-danger",
)


def is_refusal(response):
    """Whether the answer says the input was refused (nothing may change)."""
    if 400 <= response.status_code < 500:
        return True
    if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
        body = body_of(response)
        return any(marker in body for marker in ERROR_MARKERS)
    return False


def body_of(response):
    """The whole body of an answer, streamed or not, as text."""
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
        # Keep it readable for later checks of the same answer.
        response.streaming_content = [data]
    else:
        data = response.content
    return data.decode(errors="replace")


def answer_problems(response):
    """Return what is wrong with an answer to hostile input (empty: nothing)."""
    problems = []
    status = response.status_code
    if status >= 500:
        problems.append(f"answered {status} {exception_of(response)}")
    content_type = response.get("Content-Type", "")
    body = body_of(response)
    if "text/html" in content_type:
        found = raw_atoms(body)
        if found:
            problems.append(f"markup came back unescaped: {found[0]!r}")
    elif body and "json" in content_type:
        try:
            json.loads(body)
        except ValueError:
            problems.append("JSON answer that does not parse")
    if 300 <= status < 400:
        location = response.get("Location", "")
        parts = urlsplit(location)
        if parts.netloc and parts.netloc != "testserver" or location.startswith("//"):
            problems.append(f"redirects off the console to {location!r}")
    return problems


def query_of(path):
    return dict(parse_qsl(urlsplit(path).query))


# ---------------------------------------------------------------------------
# LDIF with hostile values, as a directory export could hold them.

LDIF_BASE = "OU=Fuzz,DC=corp,DC=example,DC=test"


def hostile_ldif(value):
    """An LDIF export of a computer, a user and a group (with both as members)
    whose names, descriptions, DNs and host names are the hostile value."""
    import io
    import uuid

    import ldap.dn
    import ldif

    # AD refuses NUL in a value; everything else an LDIF file can carry.
    value = value.replace("\x00", "")
    rdn = ldap.dn.escape_dn_chars(value[:60] or "x")
    out = io.StringIO()
    writer = ldif.LDIFWriter(out, cols=76)
    dns = {
        "computer": f"CN=ws{rdn},{LDIF_BASE}",
        "user": f"CN=u{rdn},{LDIF_BASE}",
        "group": f"CN=g{rdn},{LDIF_BASE}",
    }
    for kind, dn in dns.items():
        sam = ("ws" if kind == "computer" else kind[0]) + value[:18]
        attrs = {
            "objectClass": [b"top", b"user", kind.encode()]
            if kind == "computer"
            else [b"top", kind.encode()],
            "objectGUID": [uuid.uuid4().bytes],
            "cn": [ldap.dn.str2dn(dn)[0][0][1].encode()],
            "sAMAccountName": [(sam + ("$" if kind == "computer" else "")).encode()],
            "displayName": [value.encode()],
            "description": [value.encode()],
        }
        if kind == "computer":
            attrs["dNSHostName"] = [value[:200].encode()]
            attrs["operatingSystem"] = [value[:200].encode()]
        if kind == "group":
            attrs["member"] = [dns["computer"].encode(), dns["user"].encode()]
        writer.unparse(dn, attrs)
    return out.getvalue().encode()
