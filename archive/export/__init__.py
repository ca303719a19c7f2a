"""Archivists' outputs: 归档文件目录 (catalogue.py), 归档章 (stamp.py), transfer packages (package.py)."""
