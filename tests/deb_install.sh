#!/bin/sh
# The Debian packages of `make deb`, as a user gets them (`make deb-test`, part of `make test`):
# lintian finds no error or warning in them; `apt-get install ./dist/*.deb` installs them into
# this machine; examples-c/quickstart.c builds with `pkg-config --cflags --libs metaldb` alone,
# loads the installed library from the multiarch directory, and runs; the installed `metaldb`
# tool reads the database the quick start wrote, and has a manual page for itself and each
# command; purging the packages removes every file they installed.
#
# Installing packages needs root: as another user this fails, saying so, unless
# METALDB_ALLOW_NO_ROOT=1 lets it skip knowingly. It refuses to run if metaldb packages are
# installed already (it would remove them).
set -eu

fail() {
    echo "deb_install.sh: $*" >&2
    exit 1
}

cd "$(dirname "$0")/.."
PACKAGES="libmetaldb1 libmetaldb-dev libmetaldb1-dbgsym metaldb-tools metaldb-tools-dbgsym"
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
VERSION=$(dpkg-parsechangelog -SVersion)

if [ "$(id -u)" != 0 ]; then
    if [ "${METALDB_ALLOW_NO_ROOT:-}" = 1 ]; then
        echo "SKIPPED: installing the Debian packages needs root (METALDB_ALLOW_NO_ROOT=1 is set)" >&2
        exit 0
    fi
    fail "installing the Debian packages needs root: run as root (as CI does), or set METALDB_ALLOW_NO_ROOT=1 to skip knowingly"
fi

debs=$(for package in $PACKAGES; do ls dist/"$package"_"$VERSION"_*.deb 2>/dev/null; done)
[ "$(echo "$debs" | grep -c .)" = "$(echo $PACKAGES | wc -w)" ] ||
    fail "expected the packages $PACKAGES of version $VERSION in dist/ (run make deb), found: $debs"

echo "== lintian"
lintian --fail-on error,warning --display-level ">=warning" $debs ||
    fail "lintian reports errors or warnings (above)"

for package in $PACKAGES; do
    if dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q ' installed$'; then
        fail "$package is installed already; remove it first (this test would purge it)"
    fi
done

work=$(mktemp -d)
purge() {
    apt-get remove -y -qq --purge -o DPkg::Lock::Timeout=600 $PACKAGES >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap purge EXIT

echo "== apt-get install"
# shellcheck disable=SC2086 # one argument per package file
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 \
    $(for deb in $debs; do echo "./$deb"; done)

libdir=/usr/lib/$MULTIARCH
for file in "$libdir/libmetaldb.so.$VERSION" "$libdir/libmetaldb.so.1" "$libdir/libmetaldb.so" \
    "$libdir/libmetaldb.a" "$libdir/pkgconfig/metaldb.pc" /usr/include/metaldb.h \
    /usr/include/metaldb/module.modulemap; do
    [ -e "$file" ] || fail "$file is not installed"
done

echo "== the quick start, with pkg-config alone"
# Out of the source tree, with pkg-config's own search path: only the installed files count.
cp examples-c/quickstart.c "$work/"
flags=$(env -u PKG_CONFIG_PATH -u PKG_CONFIG_LIBDIR -u PKG_CONFIG_SYSROOT_DIR \
    pkg-config --cflags --libs metaldb) || fail "pkg-config does not find metaldb"
echo "pkg-config --cflags --libs metaldb: $flags"
# shellcheck disable=SC2086 # the flags are words
(cd "$work" && cc -std=c99 -Wall -Wextra -Werror -pedantic quickstart.c -o quickstart $flags)
# The loader may name it through /lib, a link to /usr/lib on a merged-/usr system.
loaded=$(env -u LD_LIBRARY_PATH ldd "$work/quickstart" | sed -n 's/^[[:space:]]*libmetaldb\.so\.1 => \([^ ]*\) .*/\1/p')
echo "the quick start loads $loaded"
[ -n "$loaded" ] && [ "$(readlink -f "$loaded")" = "$(readlink -f "$libdir/libmetaldb.so.1")" ] ||
    fail "the quick start does not load $libdir/libmetaldb.so.1 but '$loaded'"
output=$(cd "$work" && env -u LD_LIBRARY_PATH ./quickstart "$work/quickstart.db")
echo "$output"
echo "$output" | grep -q "^metaldb $VERSION " || fail "the quick start does not report metaldb $VERSION"
[ "$(echo "$output" | tail -n 1)" = done ] || fail "the quick start did not finish"

echo "== the metaldb tool on the quick start's database"
[ "$(command -v metaldb)" = /usr/bin/metaldb ] || fail "metaldb is not /usr/bin/metaldb but '$(command -v metaldb)'"
metaldb --version | grep -qx "metaldb $VERSION" || fail "metaldb --version does not say $VERSION"
listing=$(metaldb ls --json "$work/quickstart.db") || fail "metaldb ls failed on the quick start's database"
echo "$listing"
for index in balances events; do
    echo "$listing" | grep -q "\"$index\"" || fail "metaldb ls does not list the quick start's index $index"
done
bob=$(metaldb get "$work/quickstart.db" balances bob) || fail "metaldb get failed"
[ "$bob" = 75 ] || fail "metaldb get balances bob printed '$bob', the quick start wrote 75"
metaldb verify "$work/quickstart.db" || fail "metaldb verify finds the quick start's database damaged"

echo "== the metaldb tool's manual pages"
man1=/usr/share/man/man1
pages="metaldb"
for command in $(metaldb --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p'); do
    [ "$command" = help ] || pages="$pages metaldb-$command"
done
for page in $pages; do
    [ -f "$man1/$page.1.gz" ] || fail "$man1/$page.1.gz is not installed"
    zcat "$man1/$page.1.gz" | grep -q "^\.TH $page 1 " || fail "$man1/$page.1.gz has no title line for $page"
done
echo "$pages"

echo "== apt-get remove --purge"
apt-get remove -y -qq --purge -o DPkg::Lock::Timeout=600 $PACKAGES
for package in $PACKAGES; do
    if dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q ' installed$'; then
        fail "$package is still installed"
    fi
done
for file in "$libdir/libmetaldb.so.1" /usr/include/metaldb.h "$libdir/pkgconfig/metaldb.pc" /usr/bin/metaldb \
    "$man1/metaldb.1.gz"; do
    [ ! -e "$file" ] || fail "$file is still there after the purge"
done
echo "deb_install.sh: ok"
