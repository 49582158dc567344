"""Pack YAML compiled to the rule IR: conditions, parameters, rules and message templates.

This package sits between reading pack files (:mod:`handoff_rules.policy`,
which calls it) and evaluating them (:mod:`handoff_rules.engine`, which it
imports for the IR, the fact schema and the compiled pack classes). Nothing
in the engine imports it.

Entry points: :func:`handoff_rules.compile.rules.compile_rules`,
:func:`handoff_rules.compile.params.parse_parameters`.
"""
