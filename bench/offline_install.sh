#!/usr/bin/env bash
# Install from the offline bundle into a clean Debian root with networking off (issue 30), then file a document
# through `archive watch` and find it through the web page; check the units with systemd-analyze.
#
#   bash bench/offline_install.sh [--root new|old|old-arm64] [--carry-python DIR] [BUNDLE.tar.gz] [ROOTFS]
#
# --root new (default): a clean Debian 12 root (Python 3.11) made once with
#   debootstrap --variant=minbase --include=python3,python3-venv,systemd,curl,ca-certificates,passwd,util-linux \
#     bookworm ROOTFS http://deb.debian.org/debian
# (default /work/rootfs-clean).
# --root old: a clean Debian 11 root (glibc 2.31, Python 3.9: older than the program needs), the same command with
#   bullseye (default /work/rootfs-old-clean); the bundle must carry its own Python (--carry-python DIR, the output
#   folder of packaging/build_python.sh, default /work/i30-pyout), and the run checks that install.sh chose it.
# --root old-arm64: the same with an arm64 bullseye root (debootstrap --arch=arm64 …, default /work/rootfs-old-arm64),
#   run under qemu-user (the binfmt entry qemu-aarch64 with the F flag, from Debian's qemu-user-static): slow.
# The root is copied, never changed. Needs root (chroot, unshare).
#
# What was run (issue 30, 2026-12-08, 2-CPU x86_64 machine; times from /usr/bin/time around the whole command,
# building the bundle included; both Pythons from a clean build_python.sh run into a fresh OUT, see its header):
#   --root old --carry-python OUT         PASS  92 s wall, 49+7 s CPU (Debian 11 amd64, glibc 2.31, Python 3.9.2;
#                                                 install.sh chose python/x86_64/, the venv runs on it)
#   --root old-arm64 --carry-python OUT   PASS  186 s wall, 164+10 s CPU (Debian 11 arm64 under qemu-user, glibc 2.31,
#                                                 Python 3.9.2; install.sh chose python/aarch64/ by uname -m)
# For old-arm64 the qemu-aarch64 binfmt entry had to be registered first (it was absent): no binfmt-support here,
# so written to /proc/sys/fs/binfmt_misc/register from /usr/share/binfmts/qemu-aarch64 with flags PF.
# qemu-user is not ARM hardware, and no glibc 2.28 system (麒麟 V10, 统信 V20) was available: neither was run.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
KIND=new
CARRY=/work/i30-pyout
while [ $# -gt 0 ]; do
  case "$1" in
    --root) KIND=$2; shift 2 ;;
    --carry-python) CARRY=$2; shift 2 ;;
    *) break ;;
  esac
done
BUNDLE=${1:-}
case "$KIND" in
  new) CLEAN=${2:-/work/rootfs-clean} ;;
  old) CLEAN=${2:-/work/rootfs-old-clean} ;;
  old-arm64) CLEAN=${2:-/work/rootfs-old-arm64} ;;
  *) echo "--root new|old|old-arm64"; exit 2 ;;
esac
if [ -z "$BUNDLE" ]; then
  extra=()
  [ "$KIND" = new ] || extra=(--carry-python "$CARRY")
  python3 "$HERE/packaging/build_bundle.py" -o /tmp/archive-dist "${extra[@]}" | tail -6
  BUNDLE=$(ls -t /tmp/archive-dist/*-bundle.tar.gz | head -1)
fi
[ -d "$CLEAN/usr" ] || { echo "no clean root at $CLEAN (see the header for debootstrap)"; exit 2; }
ROOT=$(mktemp -d /tmp/archive-root.XXXXXX)
trap 'umount -R "$ROOT/proc" "$ROOT/dev" 2>/dev/null || true; rm -rf "$ROOT"' EXIT
cp -a "$CLEAN/." "$ROOT/"
mkdir -p "$ROOT/tmp/bundle" "$ROOT/tmp/samples"
tar xzf "$BUNDLE" -C "$ROOT/tmp/bundle" --strip-components=1
cp "$HERE/samples/05 档案局关于申请馆舍建设经费的请示.txt" "$HERE/samples/02 县政府关于加强重点档案保护工作的通知.pdf" "$ROOT/tmp/samples/"
cat > "$ROOT/tmp/inside.sh" <<'INSIDE'
set -eu
export LANG=C.UTF-8
python3 - <<'PY'
import socket
try:
    socket.create_connection(("151.101.2.132", 80), timeout=3)
    raise SystemExit("network is ON inside the root: the test is void")
except OSError:
    print("ok   网络已断开（只能用安装包里的程序包）")
PY
echo "     系统：$(. /etc/os-release; echo "$PRETTY_NAME")，$(getconf GNU_LIBC_VERSION)，系统 Python：$(python3 -V 2>&1)"
sh /tmp/bundle/install.sh --print-python
sh /tmp/bundle/install.sh --agency 示例县档案局 --fonds Z109 --no-services
if [ "$KIND" != new ]; then
  case "$(readlink -f /opt/archive/venv/bin/python)" in
    /opt/archive/python/*) echo "ok   程序运行于安装包自带的 Python：$(/opt/archive/venv/bin/python -V)" ;;
    *) echo "FAIL: the venv is not made from the bundled Python: $(readlink -f /opt/archive/venv/bin/python)"; exit 1 ;;
  esac
fi
archive --version >/dev/null 2>&1 || true
printf 'Kf8#mq2-Lp9x\n' | runuser -u archive -- archive user add 王档案 --role 档案员 --password-stdin
cp /tmp/samples/* /var/lib/archive/inbox/
chown archive:archive /var/lib/archive/inbox/*
runuser -u archive -- archive watch --once
runuser -u archive -- archive list
runuser -u archive -- archive serve --port 8765 > /tmp/serve.log 2>&1 &
SERVE=$!
python3 - <<'PY'
import http.cookiejar, re, time, urllib.parse, urllib.request
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
page = None
for _ in range(120):
    try:
        page = op.open("http://127.0.0.1:8765/login", timeout=5).read().decode()
        break
    except OSError:
        time.sleep(0.5)
if page is None:
    raise SystemExit("the web page did not answer: " + open("/tmp/serve.log").read())
csrf = re.search(r'name="csrf" value="([^"]+)"', page)
form = {"name": "王档案", "password": "Kf8#mq2-Lp9x", **({"csrf": csrf.group(1)} if csrf else {})}
op.open("http://127.0.0.1:8765/login", data=urllib.parse.urlencode(form).encode(), timeout=30).read()
found = op.open("http://127.0.0.1:8765/search?" + urllib.parse.urlencode({"q": "馆舍建设经费"}), timeout=30).read().decode()
assert "申请" in found and "馆舍建设经费" in found, found[:2000]
print("ok   网页检索找到经 archive watch 归档的文件")
PY
kill -TERM $SERVE; wait $SERVE || true
systemd-analyze verify /etc/systemd/system/archive-*.service /etc/systemd/system/archive-*.timer
echo "ok   systemd-analyze verify：服务和定时器文件无误"
runuser -u archive -- archive health || echo "     （运行状况检查报告的“注意/故障”见上：尚未配置备份位置）"
INSIDE
# a new network namespace: only a loopback (brought up for the web page), no route out; a clean environment
unshare --net --mount --fork env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -c "
  ip link set lo up && mount -t proc proc '$ROOT/proc' && mount --rbind /dev '$ROOT/dev' && mount --rbind /sys '$ROOT/sys' &&
  chroot '$ROOT' /usr/bin/env KIND=$KIND /bin/sh /tmp/inside.sh"
echo "PASS ($KIND root): offline install, watch, web search, units verified"
