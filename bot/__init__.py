"""Trợ lý số: the channel-independent dialogue core, its channel adapters and entry points."""
