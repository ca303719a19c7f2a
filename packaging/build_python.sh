#!/usr/bin/env bash
# Build the Python 3.11 that the offline bundle carries for systems whose own Python is older than 3.11 (issue 30).
#
#   bash packaging/build_python.sh BUILDROOT OUTDIR
#
# BUILDROOT: an OLD Debian root (its glibc is the oldest the result needs), with the build tools, made once with
#   debootstrap --variant=minbase --include=build-essential,libssl-dev,libffi-dev,zlib1g-dev,libbz2-dev,\
#     liblzma-dev,uuid-dev,xz-utils,pkg-config bullseye BUILDROOT http://deb.debian.org/debian
# (bullseye: glibc 2.31; an arm64 root made with --arch arm64 under qemu-user builds the aarch64 one). It is used
# as it is (the build happens in its /build, removed after).
#
# The sources are Debian's own (bookworm): python3.11 3.11.2 with Debian's security patches (every patch from
# shutdown-deadlock.diff on in debian/patches/series: the CVE fixes; Debian's layout patches before it are left
# out) and sqlite3 3.40.1 (built into the interpreter with FTS5). Each file is checked against the SHA-256 in
# Debian's Sources index, whose own SHA-256 is checked against the InRelease file signed by Debian's archive key
# (gpgv with /usr/share/keyrings/debian-archive-keyring.gpg). Nothing is taken from elsewhere.
#
# The interpreter lives at /opt/archive/python (where install.sh puts it; not relocatable) and carries the
# shared libraries it needs other than glibc's (OpenSSL, libffi, …) in /opt/archive/python/lib (rpath).
# Writes OUTDIR/python-3.11.2-linux-<arch>.tar.xz and beside it .GLIBC (the newest glibc symbol version any of its
# files needs, from objdump -T) and prints what it checked.
set -euo pipefail
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
cd /build/sqlite3-$SQLV
CFLAGS="-O2 -fPIC -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_FTS3 -DSQLITE_ENABLE_JSON1 -DSQLITE_ENABLE_RTREE" \
  ./configure --prefix=/build/sqlite-inst --disable-shared --enable-static --disable-tcl >/dev/null
make -j"\$(nproc)" >/build/sqlite-make.log 2>&1
make install >/dev/null
echo "ok   sqlite $SQLV built (FTS5)"
cd /build/Python-$PYV
CPPFLAGS="-I/build/sqlite-inst/include" LDFLAGS="-L/build/sqlite-inst/lib -Wl,-rpath,$PREFIX/lib" \
  LIBSQLITE3_CFLAGS="-I/build/sqlite-inst/include" LIBSQLITE3_LIBS="-L/build/sqlite-inst/lib -lsqlite3 -lm -lpthread" \
  ./configure --prefix=$PREFIX --with-ensurepip=install --enable-loadable-sqlite-extensions=no >/build/configure.log 2>&1
make -j"\$(nproc)" >/build/make.log 2>&1
make install >/build/install.log 2>&1
echo "ok   CPython $PYV built and installed in $PREFIX"
# carry every shared library the interpreter and its modules use, other than glibc's own
mkdir -p $PREFIX/lib
for f in $PREFIX/bin/python3.11 $PREFIX/lib/python3.11/lib-dynload/*.so; do ldd "\$f"; done | awk '\$3 ~ /^\// {print \$3}' | sort -u |
  grep -Ev '/(libc|libm|libpthread|libdl|librt|libutil|libcrypt|ld-linux[^/]*)\.so' | while read -r lib; do
    cp -L "\$lib" $PREFIX/lib/; echo "     carried: \$(basename "\$lib")"; done
rm -rf $PREFIX/lib/python3.11/test $PREFIX/lib/python3.11/idlelib/idle_test $PREFIX/lib/python3.11/tkinter/test
strip --strip-unneeded $PREFIX/bin/python3.11 $PREFIX/lib/python3.11/lib-dynload/*.so 2>/dev/null || true
$PREFIX/bin/python3.11 - <<'PY'
import bz2, ctypes, lzma, sqlite3, ssl, zlib, hashlib, uuid, venv, ensurepip
c = sqlite3.connect(":memory:")
c.execute("create virtual table t using fts5(x)")
print("ok   sqlite", sqlite3.sqlite_version, "FTS5; ssl", ssl.OPENSSL_VERSION, "; ctypes, lzma, bz2, zlib, venv")
PY
INSIDE
chroot "$BUILDROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/sh /build/build.sh
ARCH=$(chroot "$BUILDROOT" uname -m)

# 3. the oldest glibc it can run on: the newest GLIBC_ symbol version any of its binaries asks for
GL=$(find "$BUILDROOT$PREFIX" -type f \( -name '*.so*' -o -path '*/bin/python3.11' \) -exec objdump -T {} + 2>/dev/null |
  grep -o 'GLIBC_[0-9][0-9.]*' | sort -u -V | tail -1 | sed 's/GLIBC_//')
NAME="python-$PYV-linux-$ARCH"
tar cJf "$OUT/$NAME.tar.xz" -C "$BUILDROOT$(dirname $PREFIX)" "$(basename $PREFIX)"
echo "$GL" > "$OUT/$NAME.GLIBC"
rm -rf "$B" "$BUILDROOT$PREFIX"
echo "ok   $OUT/$NAME.tar.xz ($(du -m "$OUT/$NAME.tar.xz" | cut -f1) MB), needs glibc >= $GL"
