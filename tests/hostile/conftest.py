"""The reproducers are inputs, not tests: a pack folder among them holds scenario files
that the pack-scenario collector would otherwise run as tests of a broken pack."""

collect_ignore = ["reproducers"]
