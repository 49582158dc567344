"""Pack YAML compiled to the rule IR: conditions, parameters, rules and message templates.

This package sits between reading pack files (``handoff_rules.policy``,
which calls it) and evaluating them (``handoff_rules.engine``, which it
imports for the IR, the fact schema and the compiled pack classes). Nothing
in the engine imports it.

Entry points: ``handoff_rules.compile.rules.compile_rules``,
``handoff_rules.compile.params.parse_parameters``.
"""
