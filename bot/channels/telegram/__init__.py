"""Telegram through python-telegram-bot 22; nothing else in the project imports `telegram`."""
