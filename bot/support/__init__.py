"""Volunteers help citizens: intake, claims, relay, outcomes, ratings, field logs, roles."""
