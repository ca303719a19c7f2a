"""文书档案电子化: ingest, classify, number (档号), store and find official documents (公文)."""

__version__ = "0.1.0"
