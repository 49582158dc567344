"""Policy packs (format, loading, versions, scenarios) and the exception register.

Entry points: :func:`handoff_rules.policy.pack.load_pack`,
:func:`handoff_rules.policy.discovery.find_pack`.
"""
