"""Zalo: the Official Account API (primary) and the Zalo Bot platform, on a small httpx client."""
