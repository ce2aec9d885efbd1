"""The ASGI web application: channel webhooks, a health check, and the maintenance loop."""

from bot.web.app import create_app
from bot.web.maintenance import Maintenance

__all__ = ["Maintenance", "create_app"]
