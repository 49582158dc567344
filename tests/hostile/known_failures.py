"""TEMPORARY: failure classes the hostile-input harness tolerates, in one place.

Each entry is a class named by :mod:`.classify`. Classes whose fix is under
way elsewhere come first; then classes this harness found in code it does not
own, reported with a reproducer under ``reproducers/``. Remove an entry when
its fix is merged: ``test_reproducers.py`` fails (strict xfail) as soon as a
listed class no longer reproduces, so the list cannot outlive its reason.
An empty dict is the goal.
"""

from __future__ import annotations

from typing import Final

KNOWN_FAILURES: Final[dict[str, str]] = {
    # fixes under way
    "yaml-alias-nesting-tags": "YAML alias bombs, deep nesting, tags and PyYAML errors "
    "escaping the loaders (adapters/native.py, policy/yamlsrc.py, policy/exceptions)",
    "huge-numbers": "huge integers and decimals, int64 in the engine",
    "csv-field-size": "CSV fields past the csv module's field size limit",
    "mixed-encodings-bom": "mixed encodings and a BOM in the middle of a file",
    "engine-limits": "one case past the rule engine's limits",
    "cli-exit-output-plugin": "exit codes, --output to a missing folder, a plugin raising",
    # found by the harness outside the areas it fixes (reported)
    "lone-surrogates-in-output": "a \\ud800 escape read from JSON (native-jsonl) reaches "
    "stdout, which cannot encode it (cli/read_cmd.py)",
    "model-from-dict-not-an-object": "a native-jsonl line whose data is not an object reaches "
    "model.from_dict, which raises AttributeError (adapters/native.py, model/convert.py)",
    "rich-markup-in-read-table": "a reject whose text holds '[/]' is printed as rich markup: "
    "MarkupError escapes (cli/read_cmd.py _print_table)",
    "sniff-error-loses-summary": "the native-jsonl sniffer raises RecursionError on a 20,000-deep "
    "JSON file; read then exits 2 without the summary line the jsonl contract promises "
    "(adapters/native.py, cli/read_cmd.py)",
    "read-table-slow": "read's table for people renders thousands of rejects for seconds "
    "(cli/read_cmd.py)",
}
