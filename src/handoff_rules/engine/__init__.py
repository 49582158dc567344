"""Evaluating packs over cases: flat facts, the rule IR, two match backends, decisions.

Entry points: :func:`handoff_rules.engine.evaluate.make_evaluator` and
:class:`handoff_rules.engine.evaluate.PackEvaluator`. Submodules are imported
on use, so importing this package never loads durable_rules.
"""
