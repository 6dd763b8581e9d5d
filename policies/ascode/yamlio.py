"""YAML reading with line numbers, and writing in a stable, readable layout."""

import yaml
from yaml.events import AliasEvent

# The largest policy file read. The pure-Python reader, which keeps every
# line number, takes several seconds a megabyte; an export of about a
# thousand servers fits well within this.
MAX_FILE_CHARS = 2 * 1024 * 1024
# A file of more bytes than this cannot hold fewer characters (UTF-8 takes at
# most four bytes a character), so it is refused before it is read.
MAX_FILE_BYTES = 4 * MAX_FILE_CHARS

# Nesting deeper than any policy file needs; the composer recurses once a
# level and would run out of stack on "[[[[...".
MAX_DEPTH = 50


class LineDict(dict):
    """A mapping read from YAML, remembering its line and each key's line."""

    line = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def line_of(self, key):
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence read from YAML, remembering its line and each item's line."""

    line = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_lines = []

    def line_of(self, index):
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


class YamlProblem(Exception):
    def __init__(self, line, message):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry their lines (1-based).

    Duplicate keys, which YAML readers usually let the last one win, are
    collected as problems instead.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self.problems = []
        self.depth = 0

    def compose_node(self, parent, index):
        # An alias repeats a node without repeating its text: nine aliases of
        # nine aliases of ... ("billion laughs") make a few lines stand for
        # billions of values. Policy files never need them.
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"*{event.anchor} is an alias; policy files take no anchors or "
                "aliases (write the value out in full)",
                event.start_mark,
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"values nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    data = LineDict()
    data.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            loader.problems.append(YamlProblem(line, f"Key {key!r} is not a name."))
            key = str(key)
        if key in data:
            loader.problems.append(
                YamlProblem(line, f"{key!r} appears twice in the same mapping.")
            )
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line
    return data


def _construct_sequence(loader, node):
    data = LineList()
    data.line = node.start_mark.line + 1
    for item_node in node.value:
        data.append(loader.construct_object(item_node, deep=True))
        data.item_lines.append(item_node.start_mark.line + 1)
    return data


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load(text):
    """Read YAML text; return (data, problems). A syntax error is one problem."""
    if len(text) > MAX_FILE_CHARS:
        return None, [YamlProblem(1, too_large_message(len(text)))]
    if not text.strip():
        return None, [YamlProblem(1, "The file is empty.")]
    try:
        # The reader checks every character as it is made, before parsing.
        loader = _Loader(text)
    except yaml.reader.ReaderError as error:
        return None, [
            YamlProblem(_line_at(text, error.position), _reader_problem(error))
        ]
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        return None, [YamlProblem(line, f"YAML syntax: {error.problem}")]
    except yaml.YAMLError as error:
        return None, [YamlProblem(1, f"YAML: {error}")]
    finally:
        loader.dispose()
    return data, loader.problems


def too_large_message(size, unit="characters"):
    return (
        f"The file holds {size:,} {unit}; a policy file is at most "
        f"{MAX_FILE_CHARS:,} characters."
    )


def _line_at(text, position):
    return text.count("\n", 0, position) + 1


def _reader_problem(error):
    """The message of a character YAML refuses (a control character)."""
    return (
        f"the character U+{error.character:04X} is not allowed in YAML; remove it "
        'or write it as an escape in a double-quoted string ("\\x1b").'
    )


class Flow(dict):
    """A small mapping written on one line: {name: X, sid: S-1-...}."""


class FlowList(list):
    """A short list written on one line: [APP01, APP02]."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key, as people write YAML by hand.
        return super().increase_indent(flow, False)


def _represent_flow(dumper, data):
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


def _represent_flow_list(dumper, data):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(Flow, _represent_flow)
_Dumper.add_representer(FlowList, _represent_flow_list)
_Dumper.add_representer(str, _represent_str)


def dump(data):
    """Write data as YAML: keys in the given order, block style, UTF-8 text."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
