#!/usr/bin/env bash
# Build the Python 3.11 that the offline bundle carries for systems whose own Python is older than 3.11 (issue 30).
#
#   bash packaging/build_python.sh [--cross aarch64] BUILDROOT OUTDIR
#
# BUILDROOT: an OLD Debian root (its glibc is the oldest the result needs), with the build tools, made once with
#   debootstrap --variant=minbase --include=build-essential,libssl-dev,libffi-dev,zlib1g-dev,libbz2-dev,\
#     liblzma-dev,uuid-dev,xz-utils,pkg-config bullseye BUILDROOT http://deb.debian.org/debian
# (bullseye: glibc 2.31). It is used as it is (the build happens in its /build, removed after).
# --cross aarch64: build the ARM64 one in the same x86_64 root with Debian's cross compiler, after the x86_64 one
# into the same OUTDIR (its OUTDIR/python-*-linux-x86_64.tar.gz runs the build steps); the root then also needs, once:
#   dpkg --add-architecture arm64; apt-get install crossbuild-essential-arm64 libssl-dev:arm64 libffi-dev:arm64 \
#     zlib1g-dev:arm64 libbz2-dev:arm64 liblzma-dev:arm64 uuid-dev:arm64
# The ARM64 build is checked by running it under qemu-user when the machine can (binfmt entry qemu-aarch64), else
# only its glibc needs are checked.
#
# What was run (issue 30, 2026-12-08, a 2-CPU x86_64 machine, sources from ARCHIVE_SRC_CACHE, fresh OUTDIR):
#   bash packaging/build_python.sh /work/rootfs-old-build OUT                   185 s wall, 167+28 s CPU, 59 MB,
#     needs glibc 2.28; its own check (sqlite FTS5, ssl, ctypes, lzma, bz2, zlib, venv) passed in the root.
#   bash packaging/build_python.sh --cross aarch64 /work/rootfs-old-build OUT   390 s wall, 203+41 s CPU, 52 MB,
#     needs glibc 2.28 (objdump -T over all 83 files agrees: newest GLIBC_2.28, fcntl64); ran under qemu-aarch64
#     in the root (sqlite FTS5, OpenSSL 1.1.1w). The arm64 packages were already in the root (the command above).
# Then bench/offline_install.sh with OUT (see its header for the results). Left out of both (the root has no -dev
# packages for them): _curses, _dbm, _gdbm, _tkinter, readline; the program uses none of them.
#
# The sources are Debian's own (bookworm): python3.11 3.11.2 with Debian's security patches (every patch from
# shutdown-deadlock.diff on in debian/patches/series: the CVE fixes; Debian's layout patches before it are left
# out) and sqlite3 3.40.1 (built into the interpreter with FTS5). Each file is checked against the SHA-256 in
# Debian's Sources index, whose own SHA-256 is checked against the InRelease file signed by Debian's archive key
# (gpgv with /usr/share/keyrings/debian-archive-keyring.gpg). Nothing is taken from elsewhere.
#
# The interpreter lives at /opt/archive/python (where install.sh puts it; not relocatable) and carries the
# shared libraries it needs other than glibc's (OpenSSL, libffi, …) in /opt/archive/python/lib (rpath).
# Writes OUTDIR/python-3.11.2-linux-<arch>.tar.gz and beside it .GLIBC (the newest glibc symbol version any of its
# files needs, from objdump -T) and prints what it checked. glibc_compat.h (force-included) keeps the libm symbols
# at their pre-2.29 versions and configure is told there is no sem_clockwait (glibc 2.30), so that the bullseye
# build runs on glibc 2.28; a build needing more than ARCHIVE_GLIBC_MAX (2.28) fails here.
set -euo pipefail
PACKAGING=$(cd "$(dirname "$0")" && pwd)
CROSS=""
if [ "${1:-}" = --cross ]; then CROSS=$2; shift 2; fi
case "$CROSS" in ""|aarch64) ;; *) echo "--cross: only aarch64"; exit 2 ;; esac
BUILDROOT=${1:?BUILDROOT}
OUT=$(mkdir -p "${2:?OUTDIR}" && cd "$2" && pwd)
PREFIX=/opt/archive/python
MIRROR=http://deb.debian.org/debian
PYV=3.11.2
PYDEB=3.11.2-6+deb12u8
SQLV=3.40.1
CACHE=${ARCHIVE_SRC_CACHE:-$OUT/src}
mkdir -p "$CACHE"
[ -x "$BUILDROOT/usr/bin/gcc" ] || { echo "no build tools in $BUILDROOT (see the header)"; exit 2; }

# 1. sources, checked down to Debian's signature
cd "$CACHE"
curl -fsS -m 120 -o InRelease "$MIRROR/dists/bookworm/InRelease"
gpgv --keyring /usr/share/keyrings/debian-archive-keyring.gpg InRelease 2>/dev/null || {
  echo "InRelease: Debian's signature does not verify"; exit 1; }
curl -fsS -m 300 -o Sources.xz "$MIRROR/dists/bookworm/main/source/Sources.xz"
want=$(awk '/^SHA256:/{s=1;next} /^[A-Z]/{s=0} s && $3=="main/source/Sources.xz"{print $1}' InRelease)
[ "$(sha256sum Sources.xz | cut -d' ' -f1)" = "$want" ] || { echo "Sources.xz does not match InRelease"; exit 1; }
xz -dc Sources.xz > Sources
fetch() {  # fetch DIR FILE: download once, check against the SHA-256 listed in Sources
  local sum
  sum=$(awk -v f="$2" '/^Checksums-Sha256:/{s=1;next} /^[A-Z]/{s=0} s && $3==f{print $1; exit}' Sources)
  [ -n "$sum" ] || { echo "$2 is not in Debian's Sources"; exit 1; }
  [ -f "$2" ] && [ "$(sha256sum "$2" | cut -d' ' -f1)" = "$sum" ] && return 0
  curl -fsS -m 600 -o "$2" "$MIRROR/$1/$2"
  [ "$(sha256sum "$2" | cut -d' ' -f1)" = "$sum" ] || { echo "$2: SHA-256 differs from Debian's"; exit 1; }
}
fetch pool/main/p/python3.11 "python3.11_$PYV.orig.tar.gz"
fetch pool/main/p/python3.11 "python3.11_$PYDEB.debian.tar.xz"
fetch pool/main/s/sqlite3 "sqlite3_$SQLV.orig.tar.xz"
echo "ok   sources checked against Debian's signed index"

# 2. build inside the old root
B="$BUILDROOT/build"
rm -rf "$B" "$BUILDROOT$PREFIX"
mkdir -p "$B"
tar xzf "python3.11_$PYV.orig.tar.gz" -C "$B"
tar xJf "python3.11_$PYDEB.debian.tar.xz" -C "$B/Python-$PYV"
tar xJf "sqlite3_$SQLV.orig.tar.xz" -C "$B"
cp "$PACKAGING/glibc_compat.h" "$B/glibc_compat.h"
if [ -n "$CROSS" ]; then  # the x86_64 build runs the build steps of the cross build
  mkdir -p "$BUILDROOT$PREFIX"
  tar xzf "$OUT/python-$PYV-linux-x86_64.tar.gz" -C "$BUILDROOT$(dirname $PREFIX)"
fi
cat > "$B/build.sh" <<INSIDE
set -eu
export LANG=C.UTF-8
cd /build/Python-$PYV
applied=0; skipped=""
for p in \$(sed -n '/^shutdown-deadlock.diff/,\$p' debian/patches/series); do
  if patch -p1 -s -f --dry-run < debian/patches/\$p >/dev/null 2>&1; then patch -p1 -s -f < debian/patches/\$p; applied=\$((applied+1))
  else skipped="\$skipped \$p"; fi
done
echo "ok   Debian patches applied: \$applied; not applying:\${skipped:- none}"
# CVE-2026-4224.patch makes pyexpat use an internal header (built that way in Debian's own Setup): say so to setup.py
sed -i "s|Extension('pyexpat', sources=\\['pyexpat.c'\\])|Extension('pyexpat', sources=['pyexpat.c'], define_macros=[('Py_BUILD_CORE_MODULE', '1')])|" setup.py
grep -q "Extension('pyexpat', sources=\\['pyexpat.c'\\], define_macros" setup.py
cd /build/sqlite3-$SQLV
SQLFLAGS="-O2 -fPIC -include /build/glibc_compat.h -D_HAVE_SQLITE_CONFIG_H -I. -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_FTS3 -DSQLITE_ENABLE_JSON1 -DSQLITE_ENABLE_RTREE -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_THREADSAFE=1"
./configure --disable-tcl >/dev/null
make sqlite3.c >/build/sqlite-make.log 2>&1
mkdir -p /build/sqlite-inst/lib /build/sqlite-inst/include
\${CC:-gcc} \$SQLFLAGS -c sqlite3.c -o sqlite3.o
\${AR:-ar} rcs /build/sqlite-inst/lib/libsqlite3.a sqlite3.o
cp sqlite3.h sqlite3ext.h /build/sqlite-inst/include/
echo "ok   sqlite $SQLV built (FTS5)"
cd /build/Python-$PYV
if [ -n "$CROSS" ]; then
  # configure cannot run its test programs for another machine: give the answers (glibc getaddrinfo is not buggy)
  printf 'ac_cv_file__dev_ptmx=yes\nac_cv_file__dev_ptc=no\nac_cv_buggy_getaddrinfo=no\n' > /build/config.site
  XCONF="--host=$CROSS-linux-gnu --build=x86_64-linux-gnu --with-build-python=$PREFIX/bin/python3.11 --with-ensurepip=no"
  export CONFIG_SITE=/build/config.site PKG_CONFIG_PATH=/usr/lib/$CROSS-linux-gnu/pkgconfig DEST=/build/dest
else
  XCONF="--with-ensurepip=install"; DEST=""
fi
CFLAGS="-O2 -include /build/glibc_compat.h" CPPFLAGS="-I/build/sqlite-inst/include" LDFLAGS="-L/build/sqlite-inst/lib -Wl,-rpath,$PREFIX/lib" \
  LIBSQLITE3_CFLAGS="-I/build/sqlite-inst/include" LIBSQLITE3_LIBS="-L/build/sqlite-inst/lib -lsqlite3 -lz -lm -lpthread" \
  LIBS="-lm -lz" ac_cv_func_sem_clockwait=no ./configure --prefix=$PREFIX \$XCONF --enable-loadable-sqlite-extensions=no >/build/configure.log 2>&1
make -j"\$(nproc)" >/build/make.log 2>&1
make install DESTDIR=\$DEST >/build/install.log 2>&1
P=\$DEST$PREFIX
echo "ok   CPython $PYV built and installed in \$P"
# carry every shared library the interpreter and its modules use, other than glibc's own (two levels of NEEDED)
LIBDIRS="/lib/\${CROSS:-x86_64}-linux-gnu /usr/lib/\${CROSS:-x86_64}-linux-gnu"
needed() { \${OBJDUMP:-objdump} -p "\$@" 2>/dev/null | awk '\$1=="NEEDED"{print \$2}' | sort -u |
  grep -Ev '^(libc|libm|libpthread|libdl|librt|libutil|libcrypt|ld-linux[^.]*)\.so' || true; }
mkdir -p \$P/lib
for round in 1 2; do
  for n in \$(needed \$P/bin/python3.11 \$P/lib/python3.11/lib-dynload/*.so \$(ls \$P/lib/*.so* 2>/dev/null)); do
    [ -e "\$P/lib/\$n" ] && continue
    for d in \$LIBDIRS; do if [ -e "\$d/\$n" ]; then cp -L "\$d/\$n" \$P/lib/; echo "     carried: \$n"; break; fi; done
  done
done
rm -rf \$P/lib/python3.11/test \$P/lib/python3.11/idlelib/idle_test \$P/lib/python3.11/tkinter/test
\${STRIP:-strip} --strip-unneeded \$P/bin/python3.11 \$P/lib/python3.11/lib-dynload/*.so 2>/dev/null || true
# the oldest glibc it can run on: the newest GLIBC_ symbol version any of its files asks for
for f in \$(find \$P -type f \( -name '*.so*' -o -path '*/bin/python3.11' \)); do
  v=\$(\${OBJDUMP:-objdump} -T "\$f" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sort -u -V | tail -1)
  [ -z "\$v" ] || echo "\$v \${f#\$DEST}"; done | sort -V > /build/glibc-report
tail -4 /build/glibc-report | sed 's/^/     newest glibc symbols: /'
tail -1 /build/glibc-report | cut -d' ' -f1 | sed 's/GLIBC_//' > /build/GLIBC
[ -z "$CROSS" ] || exit 0
$PREFIX/bin/python3.11 - <<'PY'
import bz2, ctypes, lzma, sqlite3, ssl, zlib, hashlib, uuid, venv, ensurepip, pyexpat
c = sqlite3.connect(":memory:")
c.execute("create virtual table t using fts5(x)")
print("ok   sqlite", sqlite3.sqlite_version, "FTS5; ssl", ssl.OPENSSL_VERSION, "; ctypes, lzma, bz2, zlib, venv")
PY
INSIDE
if [ -n "$CROSS" ]; then
  T=$CROSS-linux-gnu
  XENV="CROSS=$CROSS CC=$T-gcc AR=$T-ar STRIP=$T-strip OBJDUMP=$T-objdump"
else
  XENV="CROSS="
fi
chroot "$BUILDROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $XENV /bin/sh /build/build.sh
ARCH=${CROSS:-$(chroot "$BUILDROOT" uname -m)}
DONE="$BUILDROOT$PREFIX"
[ -z "$CROSS" ] || DONE="$B/dest$PREFIX"
GL=$(cat "$B/GLIBC")
MAX=${ARCHIVE_GLIBC_MAX:-2.28}  # 麒麟 V10, 统信 V20: a build that needs more is refused, not shipped
if [ "$(printf '%s\n%s\n' "$GL" "$MAX" | sort -V | tail -1)" != "$MAX" ]; then
  echo "FAIL: the build needs glibc $GL, newer than $MAX (see the newest glibc symbols above)"; exit 1
fi
NAME="python-$PYV-linux-$ARCH"
tar cf - -C "$(dirname "$DONE")" "$(basename "$DONE")" | gzip -6 > "$OUT/$NAME.tar.gz"
echo "$GL" > "$OUT/$NAME.GLIBC"
if [ -n "$CROSS" ] && [ -e /proc/sys/fs/binfmt_misc/qemu-$CROSS ]; then  # run it under qemu-user in the root
  rm -rf "$BUILDROOT$PREFIX" && cp -a "$DONE" "$BUILDROOT$PREFIX"
  chroot "$BUILDROOT" /usr/bin/env -i QEMU_LD_PREFIX=/usr/$CROSS-linux-gnu $PREFIX/bin/python3.11 -c \
    'import platform, sqlite3, ssl, ctypes, lzma, bz2, zlib; sqlite3.connect(":memory:").execute("create virtual table t using fts5(x)"); print("ok   runs under qemu:", platform.machine(), "sqlite", sqlite3.sqlite_version, ssl.OPENSSL_VERSION)' || echo "     (could not run it under qemu-user here)"
fi
rm -rf "$B" "$BUILDROOT$PREFIX"
echo "ok   $OUT/$NAME.tar.gz ($(du -m "$OUT/$NAME.tar.gz" | cut -f1) MB), needs glibc >= $GL"
