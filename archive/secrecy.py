"""The one 涉密 gate: every way a document enters the archive (ingest, watch, imports, the web page) asks here.

A document marked 秘密, 机密 or 绝密 must not be processed on this non-classified system: it is refused, never
stored and never indexed. When unsure, the answer is "refuse"; a wrong refusal costs a clerk a look, a wrong
acceptance leaks a secret.
"""

from __future__ import annotations

from archive.models import Extracted, GongwenFields

SECRET_LEVELS = ("绝密", "机密", "秘密")  # 密级, most secret first


def secret_level(fields: GongwenFields, ex: Extracted | None = None) -> str | None:
    """The 密级 this document is marked with, or None when it carries no mark."""
    if fields.secrecy in SECRET_LEVELS:
        return fields.secrecy
    return None
