"""Missed questions: what citizens asked that the bot did not understand, grouped, for operators
to attach to an intent (a new published content version) or to dismiss."""
