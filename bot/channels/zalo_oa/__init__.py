"""The Zalo Official Account channel (the primary Zalo channel), on a small httpx client."""
