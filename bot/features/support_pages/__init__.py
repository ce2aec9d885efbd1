"""The support pages of the web console: waiting requests, volunteers on duty, team, invites."""
