#!/bin/sh
# Install 文书档案 from this offline bundle (no network needed): run as root in the unpacked bundle folder.
#
#   sh install.sh [--agency 本机关全称] [--fonds 全宗号] [--python /usr/bin/python3.11|bundled] [--no-services]
#   sh install.sh --print-python      (only say which Python it would use, and why; needs no root)
#
# Which Python: --python PATH if given; else the system's python3.13 … python3 if one is 3.11 or newer; else (or
# with --python bundled) the Python 3.11 this bundle carries for the machine's architecture (python/<arch>/, built
# by packaging/build_python.sh on an old Debian), unpacked into /opt/archive/python after its SHA-256 is checked
# against BUNDLE.txt, and only if the system's glibc is at least the one it needs (python/<arch>/*.GLIBC).
#
# What it does (every step says what it did; run again to upgrade — the data is never touched):
#   - a system account `archive` that owns the data and runs the services;
#   - Python 3.11+ virtual environment in /opt/archive/venv, packages only from this bundle's wheelhouse
#     (pip --no-index: nothing is downloaded);
#   - /etc/archive/config.toml (the starter configuration with its Chinese comments, only if there is none
#     yet), /etc/archive/serve.env;
#   - /var/lib/archive: store/ (the archive), inbox/ (the watched folder), processed/, failed/ …;
#   - /usr/local/bin/archive (the command, with ARCHIVE_CONFIG=/etc/archive/config.toml);
#   - systemd units: archive-watch, archive-serve, and the timers archive-backup (nightly), archive-drill
#     (monthly), archive-health (hourly); enabled and started unless --no-services.
# An upgrade: stop the services, run this script of the new bundle, start them; the first command that opens the
# archive copies and checks the catalog before migrating it (store/upgrade-backups/, how to go back beside it).
set -eu

PREFIX=/opt/archive
DATA=/var/lib/archive
ETC=/etc/archive
PY=""
AGENCY=""
FONDS=""
SERVICES=1
PRINT_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --python) [ $# -ge 2 ] || { echo "--python 后面要写 Python 的路径或 bundled" >&2; exit 2; }; PY="$2"; shift 2 ;;
    --print-python) PRINT_ONLY=1; shift ;;
    --agency) AGENCY="$2"; shift 2 ;;
    --fonds) FONDS="$2"; shift 2 ;;
    --no-services) SERVICES=0; shift ;;
    *) echo "未知参数：$1（可用：--agency 本机关全称、--fonds 全宗号、--python 路径或 bundled、--no-services、--print-python）" >&2; exit 2 ;;
  esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
ARCH=$(uname -m)
WHEELS="$HERE/wheelhouse/$ARCH"
BUNDLED_TAR=$(ls "$HERE/python/$ARCH"/python-*.tar.gz 2>/dev/null | head -1 || true)
glibc_ok() {  # the system's glibc is at least the one the bundled Python needs
  need=$(cat "${BUNDLED_TAR%.tar.gz}.GLIBC" 2>/dev/null || echo 99)
  have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
  [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" = "$need" ]
}
WHY=""
if [ -z "$PY" ]; then
  for c in python3.13 python3.12 python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PY=$(command -v "$c"); WHY="系统自带的 Python 为 3.11 或更新"; break
    fi
  done
  if [ -z "$PY" ] && [ -n "$BUNDLED_TAR" ]; then PY=bundled; WHY="系统没有 Python 3.11 或更新版本"; fi
else
  WHY="按 --python 指定"
fi
if [ "$PY" = bundled ]; then
  [ -n "$BUNDLED_TAR" ] || { echo "本安装包没有为 $ARCH 架构准备的 Python（python/$ARCH/）：请安装系统的 python3.11，或用 --python 指定" >&2; exit 2; }
  glibc_ok || { echo "本安装包的 Python 需要 glibc $(cat "${BUNDLED_TAR%.tar.gz}.GLIBC" 2>/dev/null || echo '?') 或更新，本机为 $(getconf GNU_LIBC_VERSION 2>/dev/null || echo 未知)：不能使用，请安装系统的 python3.11（见 docs/manual/admin.md）" >&2; exit 2; }
fi
if [ -z "$PY" ]; then
  echo "找不到 Python 3.11 或更新版本：请安装系统的 python3.11 软件包，或用 --python 指定（见 docs/manual/admin.md）" >&2
  exit 2
fi
if [ "$PRINT_ONLY" -eq 1 ]; then
  if [ "$PY" = bundled ]; then echo "bundled $BUNDLED_TAR（$WHY）"; else echo "$PY（$WHY）"; fi
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "请用 root 运行（sudo sh install.sh）" >&2; exit 2; }
[ -d "$WHEELS" ] || { echo "本安装包没有 $ARCH 架构的程序包（有：$(ls "$HERE/wheelhouse" | tr '\n' ' ')）" >&2; exit 2; }
if [ "$PY" = bundled ]; then
  rel=${BUNDLED_TAR#"$HERE/"}
  (cd "$HERE" && grep "  $rel\$" BUNDLE.txt | sha256sum -c --status) || {
    echo "$rel 与 BUNDLE.txt 中的 SHA-256 不符（安装包损坏或被改动）：未安装" >&2; exit 1; }
  echo "0/6 Python：本安装包所带的 Python 3.11 → $PREFIX/python（$WHY）"
  mkdir -p "$PREFIX"
  rm -rf "$PREFIX/python.new" && mkdir "$PREFIX/python.new"
  tar xzf "$BUNDLED_TAR" -C "$PREFIX/python.new" --strip-components=1 --no-same-owner
  "$PREFIX/python.new/bin/python3.11" -c 'import sqlite3, ssl, ctypes, lzma, bz2, zlib, venv' || {
    echo "本安装包所带的 Python 在本机不能运行：未安装（见上面的错误）" >&2; rm -rf "$PREFIX/python.new"; exit 1; }
  rm -rf "$PREFIX/python.old"
  [ ! -d "$PREFIX/python" ] || mv "$PREFIX/python" "$PREFIX/python.old"
  mv "$PREFIX/python.new" "$PREFIX/python" && rm -rf "$PREFIX/python.old"
  PY="$PREFIX/python/bin/python3.11"
fi
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
  echo "注意：本安装包的程序包为 Python 3.11 准备；$("$PY" -V) 上安装时，缺少对应版本的程序包会报错" >&2
"$PY" -c 'import venv, sqlite3; assert sqlite3.sqlite_version_info >= (3, 35)' 2>/dev/null || {
  echo "$PY 缺少 venv 模块或 SQLite 过旧（需 3.35 以上）：请安装 python3-venv 等软件包" >&2; exit 2; }

echo "1/6 系统账号 archive"
if ! id archive >/dev/null 2>&1; then
  useradd --system --home-dir "$DATA" --shell /usr/sbin/nologin --user-group archive
fi

echo "2/6 程序：$PREFIX/venv（$("$PY" -V)，程序包只取自本安装包）"
mkdir -p "$PREFIX"
[ -x "$PREFIX/venv/bin/python" ] || "$PY" -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/python" -m pip install -q --no-index --find-links "$WHEELS" --find-links "$HERE/wheelhouse/any" \
  --upgrade wenshu-archive
rm -rf "$PREFIX/docs" && cp -r "$HERE/docs" "$PREFIX/docs"

echo "3/6 配置：$ETC"
mkdir -p "$ETC"
if [ ! -f "$ETC/config.toml" ]; then
  AGENCY="$AGENCY" FONDS="$FONDS" DATA="$DATA" "$PREFIX/venv/bin/python" - > "$ETC/config.toml.part" <<'PYEOF'
import os
from archive.config import starter_config
d = os.environ["DATA"]
print(starter_config(os.environ["AGENCY"] or None, os.environ["FONDS"] or None, f"{d}/inbox", f"{d}/store"), end="")
PYEOF
  mv "$ETC/config.toml.part" "$ETC/config.toml"
  echo "   已写入 $ETC/config.toml：请填写本机关名称、全宗号、机构和保管期限表后再正式使用"
else
  echo "   保留已有的 $ETC/config.toml"
fi
[ -f "$ETC/serve.env" ] || cp "$HERE/systemd/serve.env" "$ETC/serve.env"
chown root:archive "$ETC" "$ETC/config.toml" "$ETC/serve.env"
chmod 0750 "$ETC"; chmod 0640 "$ETC/config.toml" "$ETC/serve.env"

echo "4/6 数据：$DATA"
mkdir -p "$DATA/inbox" "$DATA/store"
chown archive:archive "$DATA" "$DATA/inbox" "$DATA/store"
chmod 0750 "$DATA" "$DATA/store"
chmod 2770 "$DATA/inbox"   # clerks of group archive may drop files; new files keep the group

echo "5/6 命令：/usr/local/bin/archive"
cat > /usr/local/bin/archive <<WRAP
#!/bin/sh
# 文书档案 command: runs as the archive account's configuration (/etc/archive/config.toml)
export ARCHIVE_CONFIG="\${ARCHIVE_CONFIG:-$ETC/config.toml}"
exec $PREFIX/venv/bin/archive "\$@"
WRAP
chmod 0755 /usr/local/bin/archive
runuser -u archive -- env ARCHIVE_CONFIG="$ETC/config.toml" "$PREFIX/venv/bin/archive" init >/dev/null 2>&1 || true

echo "6/6 服务：systemd"
if [ -d /etc/systemd/system ]; then
  cp "$HERE"/systemd/*.service "$HERE"/systemd/*.timer /etc/systemd/system/
  if [ "$SERVICES" -eq 1 ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now archive-watch.service archive-serve.service \
      archive-backup.timer archive-drill.timer archive-health.timer
    echo "   已启动 archive-watch、archive-serve 和定时备份、恢复演练、运行状况检查"
  else
    echo "   已复制服务文件；启动：systemctl daemon-reload && systemctl enable --now archive-watch archive-serve archive-backup.timer archive-drill.timer archive-health.timer"
  fi
fi
echo "完成。检查：archive health；备份位置请在 $ETC/config.toml 的 [backup] to 中填写（网络存储上的文件夹）"
