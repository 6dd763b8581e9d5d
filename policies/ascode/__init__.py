"""Policy as code: the whole policy set as one readable YAML file.

``export_text()`` writes it; ``import_text()`` validates a file, reports every
error with its line, and applies it in one transaction when it is clean.
Importing a file that matches the database changes nothing.
"""

from policies.ascode.importer import ImportProblem, ImportReport, import_text
from policies.ascode.serialize import FORMAT, export_data, export_text

__all__ = [
    "FORMAT",
    "ImportProblem",
    "ImportReport",
    "export_data",
    "export_text",
    "import_text",
]
