"""Published content versions: publish an overlay after the checks and the evaluation, list
the versions with their diffs, revert to any of them (bot/published.py takes them to workers)."""
