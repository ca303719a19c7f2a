"""``archive serve``: the office's web page over the same archive (see app.py)."""

from archive.web.app import check_bind, create_app, is_loopback

__all__ = ["check_bind", "create_app", "is_loopback"]
