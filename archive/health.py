"""The health check a service monitor runs (``archive health``): is the archive able to take in, keep and give
back documents today, and is there a backup in a second place that was restored lately?

Nothing here changes the archive: the catalog is looked at read-only (not opened, so not migrated), the store and
the inbox are tried with a temporary file that is removed at once. Each check says 正常, 注意 (work on it soon)
or 故障 (the archive is at risk now); the command's exit status is 1 when any check says 故障.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import ssl
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive import catalog
from archive.errors import ConfigError
from archive.schema import SCHEMA_VERSION

OK, WARN, FAIL = "正常", "注意", "故障"
BACKUP_DAYS = 2  # a set older than this: 故障 (the timer runs daily)
DRILL_DAYS = 35  # a drill older than this: 注意 (the timer runs monthly)
FREE_BYTES = 2 << 30  # less free space than this (or than 5 %) where the store lies: 注意


@dataclass
class Check:
    name: str
    state: str
    detail: str  # what is found, in a clerk's words (the web page shows this)
    hint: str = ""  # where (a path) and the command that deals with it: the command line adds it

    @property
    def line(self) -> str:
        return f"{self.detail}：{self.hint}" if self.hint else self.detail


@dataclass
class Health:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.state != FAIL for c in self.checks)

    def add(self, name: str, state: str, detail: str, hint: str = "") -> None:
        self.checks.append(Check(name, state, detail, hint))

    def to_json(self) -> dict:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def _age(ts: str | None, now: dt.datetime) -> float | None:
    if not ts:
        return None
    try:
        return (now - dt.datetime.fromisoformat(ts)).total_seconds() / 86400
    except ValueError:
        return None


def _writable(folder: Path) -> str | None:
    """Why a temporary file cannot be made in ``folder`` (None: it can)."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".health.", suffix=".part")
        os.close(fd)
        os.unlink(name)
        return None
    except OSError as e:
        return e.strerror or str(e)


def check(cfg) -> Health:
    h = Health()
    now = dt.datetime.now(dt.timezone.utc)
    path = cfg.store / "catalog.sqlite"
    seen = None
    if not path.is_file():
        h.add("目录数据库", FAIL, "目录数据库不存在", f"{path}：请先运行 archive init，或从备份恢复（archive restore）")
    else:
        try:
            seen = catalog.look(path, ("backup", "backup_drill"))
        except sqlite3.Error as e:
            h.add("目录数据库", FAIL, f"目录数据库无法读取（{e}）", f"{path}：请从备份恢复（archive restore）或运行 archive recover")
        else:
            if seen["version"] > SCHEMA_VERSION:
                h.add("目录数据库", FAIL, f"目录数据库来自更新版本的程序（版本 {seen['version']}）", "请升级本程序")
            elif seen["version"] < SCHEMA_VERSION:
                h.add("目录数据库", WARN, f"{seen['documents']} 条记录；版本 {seen['version']}，本程序为 {SCHEMA_VERSION}："
                      "下次打开时先自动备份目录再升级")
            else:
                h.add("目录数据库", OK, f"{seen['documents']} 条记录")
    for name, folder in (("存储区", cfg.store), ("收件箱", cfg.inbox)):
        if not folder.is_dir():
            h.add(name, FAIL, "文件夹不存在", f"{folder}：请检查配置文件 [paths] 和磁盘挂载")
        elif (why := _writable(folder)) is not None:
            h.add(name, FAIL, f"不能写入（{why}）", f"{folder}：请检查权限和磁盘")
        else:
            h.add(name, OK, "可以写入", str(folder))
    if cfg.store.is_dir():
        u = shutil.disk_usage(cfg.store)
        free = f"剩余 {u.free / (1 << 30):.1f} GB（共 {u.total / (1 << 30):.1f} GB）"
        low = u.free < FREE_BYTES or u.free < u.total * 0.05
        h.add("磁盘空间", WARN if low else OK, free + ("：空间不足，请清理或扩容" if low else ""))
    last = (seen or {}).get("last", {})
    backup, drill = last.get("backup"), last.get("backup_drill")
    place = cfg.backup.to
    if place is None:
        h.add("备份", WARN, "未配置第二备份位置：本机损坏时档案无法恢复", "请在配置文件 [backup] to 中填写")
    elif not (place / "档案备份.json").is_file():
        h.add("备份", FAIL, "备份位置不可用（未挂载，或还没有备份过）", f"{place}：请检查网络存储并运行 archive backup")
    else:
        age = _age(backup["ts"], now) if backup and backup["detail"].get("set") else None
        if age is None:
            h.add("备份", FAIL, "备份位置还没有备份集", f"{place}：请运行 archive backup")
        elif age > BACKUP_DAYS:
            h.add("备份", FAIL, f"最近的备份集已有 {age:.0f} 天（{backup['detail'].get('set')}）：请检查定时备份")
        else:
            h.add("备份", OK, f"最近的备份集 {backup['detail'].get('set')}，{backup['detail'].get('documents')} 条记录",
                  str(place))
    age = _age(drill["ts"], now) if drill else None
    if drill is None:
        h.add("恢复演练", WARN, "还没有做过恢复演练", "请运行 archive restore --drill")
    elif not drill["detail"].get("ok"):
        h.add("恢复演练", FAIL, f"最近一次恢复演练未通过（{drill['detail'].get('first_error')}）",
              "请检查备份位置并运行 archive backup --full")
    elif age is not None and age > DRILL_DAYS:
        h.add("恢复演练", WARN, f"最近一次恢复演练已有 {age:.0f} 天：请再做一次")
    else:
        h.add("恢复演练", OK, f"最近一次通过（备份集 {drill['detail'].get('set')}）")
    return h


def tls_files(cfg) -> tuple[Path, Path] | None:
    """[web] tls_cert / tls_key, checked to load as a certificate and its key before the server starts
    (None: plain HTTP, for a reverse proxy or this machine only)."""
    cert, key = cfg.web.tls_cert, cfg.web.tls_key
    if cert is None:
        return None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except FileNotFoundError as e:
        raise ConfigError(f"HTTPS 证书或私钥文件 {e.filename} 不存在：请检查配置文件 [web] tls_cert / tls_key") from e
    except PermissionError as e:
        raise ConfigError(f"无法读取 HTTPS 证书或私钥文件 {e.filename}（权限不足）：服务账号须能读取") from e
    except (ssl.SSLError, OSError) as e:
        raise ConfigError(f"HTTPS 证书 {cert} 与私钥 {key} 无法使用（{e.reason if isinstance(e, ssl.SSLError) else e}）："
                          "请确认是 PEM 格式、私钥与证书匹配且私钥没有口令") from e
    return cert, key
