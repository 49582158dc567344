"""Hostile-input harness: mutated files through every command that reads one.

See docs/hostile-input.rst for what it asserts and how to run the long version.
"""
