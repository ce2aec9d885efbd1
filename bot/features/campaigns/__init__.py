"""Subscriptions to a commune's news (/nhantin, /tatnhantin) and campaign messages (issue 15)."""
