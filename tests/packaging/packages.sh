#!/usr/bin/env bash
# packages.sh BUILD_DIR FIXTURES: the Debian packages CPack makes of this build.
# They build; lintian finds no error in them (warnings are printed); they
# install into a scratch root with dpkg (maintainer scripts run chrootless,
# with DPKG_ROOT) with every file where the unit and DKMS expect it and the
# daemon's user created; the installed p2pscope and p2pscoped run; purging them
# leaves nothing of theirs behind.
set -u
build=$1 fixtures=$2
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work/out") >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; bad "cpack -G DEB"; exit 1; }
debs=("$work"/out/*.deb)
names=$(for d in "${debs[@]}"; do dpkg-deb -f "$d" Package; done | sort | tr '\n' ' ')
expect "four packages: $names" test "$names" = "p2pscope p2pscope-dkms p2pscope-gui p2pscoped "
for d in "${debs[@]}"; do
  pkg=$(dpkg-deb -f "$d" Package)
  # --fail-on error: exit status 1 on an error-level tag only.
  if lintian --fail-on error --tag-display-limit 0 "$d" >"$work/lintian-$pkg.log" 2>&1; then
    ok "lintian finds no error in $pkg ($(grep -c '^W: ' "$work/lintian-$pkg.log") warning(s))"
  else
    bad "lintian: errors in $pkg"
  fi
  sed 's/^/  lintian | /' "$work/lintian-$pkg.log"
done
expect "the daemon depends on what it runs (libhwloc, libpci, libprometheus-cpp: shlibdeps)" \
  bash -c "dpkg-deb -f '$work'/out/p2pscoped_*.deb Depends | grep -q libhwloc"
expect "p2pscope-dkms is architecture-independent and needs dkms" \
  bash -c "[ \"\$(dpkg-deb -f '$work'/out/p2pscope-dkms_*.deb Architecture)\" = all ] &&
           dpkg-deb -f '$work'/out/p2pscope-dkms_*.deb Depends | grep -q '^dkms'"

# A scratch root: an empty dpkg database and the account files useradd edits.
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
: >"$root/var/lib/dpkg/status"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo 'root:*:19000:0:99999:7:::' >"$root/etc/shadow"
echo 'root:*::' >"$root/etc/gshadow"
before=$(cd "$root" && find . | sort)
dpkg_root() { dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null "$@"; }
expect "the four packages install into the scratch root" dpkg_root -i "${debs[@]}"
for f in usr/bin/p2pscope usr/bin/p2pscope-gui usr/sbin/p2pscoped lib/systemd/system/p2pscoped.service \
         etc/p2pscope/p2pscoped.json lib/udev/rules.d/60-p2pscope.rules usr/share/p2pscope/thresholds.json \
         usr/share/p2pscope/rules/p2pscope.rules.yml usr/share/p2pscope/dashboards/p2pscope-fleet.json \
         usr/share/doc/p2pscoped/copyright usr/src/p2pscope-@VERSION@/dkms.conf usr/src/p2pscope-@VERSION@/Kbuild \
         usr/src/p2pscope-@VERSION@/uapi/p2pscope.h usr/src/p2pscope-@VERSION@/probes/dma_iova.c; do
  f=${f//@VERSION@/$(dpkg-deb -f "$work"/out/p2pscope-dkms_*.deb Version)}
  expect "installed: /$f" test -f "$root/$f"
done
expect "the unit starts the installed daemon with the installed configuration, as user p2pscoped" \
  grep -q '^ExecStart=/usr/sbin/p2pscoped --config /etc/p2pscope/p2pscoped.json \$P2PSCOPED_ARGS$' "$root/lib/systemd/system/p2pscoped.service"
expect "the unit runs as p2pscoped with CAP_SYS_ADMIN and CAP_DAC_OVERRIDE only" \
  bash -c "grep -qx 'User=p2pscoped' '$root/lib/systemd/system/p2pscoped.service' &&
           grep -qx 'CapabilityBoundingSet=CAP_SYS_ADMIN CAP_DAC_OVERRIDE' '$root/lib/systemd/system/p2pscoped.service'"
expect "postinst made the system user and group p2pscoped" \
  bash -c "grep -q '^p2pscoped:x:[0-9]*:[0-9]*:p2pscope exporter:/var/lib/p2pscoped:/usr/sbin/nologin$' '$root/etc/passwd' &&
           grep -q '^p2pscoped:x:' '$root/etc/group'"
# Installing again (an upgrade to the same version: postinst configure with the old version) changes nothing.
expect "the four packages install again over themselves" dpkg_root -i "${debs[@]}"
expect "one p2pscoped user after two installs" test "$(grep -c '^p2pscoped:' "$root/etc/passwd")" = 1
expect "the configuration is a conffile" grep -qx '/etc/p2pscope/p2pscoped.json' "$root/var/lib/dpkg/info/p2pscoped.conffiles"
version=$("$root/usr/bin/p2pscope" --version)
expect "the installed p2pscope runs: $version" test "$version" = "$(dpkg-deb -f "$work"/out/p2pscope_*.deb Version)"
expect "the installed p2pscoped checks the shipped configuration" \
  "$root/usr/sbin/p2pscoped" --config "$root/etc/p2pscope/p2pscoped.json" --hwloc-xml "$fixtures/hwloc-xml/nvidiaDGX2.xml" --check-config
expect "the installed daemon's rules pass promtool" promtool check rules "$root/usr/share/p2pscope/rules/p2pscope.rules.yml"
expect "the four packages purge" dpkg_root -P p2pscope-gui p2pscope p2pscoped p2pscope-dkms
# What stays: the database's own files, and the accounts and their lock (Debian leaves system users).
after=$(cd "$root" && find . | grep -v '^./var/lib/dpkg/' | grep -v '^./etc/\(passwd\|group\|shadow\|gshadow\)-\?$' | grep -v '^./etc/.pwd.lock$' | sort)
left=$(comm -13 <(echo "$before") <(echo "$after"))
expect "nothing of theirs is left in the scratch root${left:+: $(echo $left)}" test -z "$left"
echo "$fails failure(s)"
[ "$fails" = 0 ]
