"""The real SMTP server and loopback webhook fixtures the action tests use."""

from tests.servers.nudge_kit import roster_row, smtp_server, webhook

__all__ = ["roster_row", "smtp_server", "webhook"]
