#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Make local stand-ins for the two upstream base images, tagged with the upstream names, so that the
# unchanged Dockerfiles resolve `FROM docker.io/library/...` on a machine that reaches no image
# registry. An image already in the store is kept.
#   debian:bookworm-slim      debootstrap (minbase) from the Debian mirror apt already uses, slimmed
#                             the way the official slim image is, imported as one deterministic layer
#   rust:<ver>-slim-bookworm  that Debian image + gcc/libc6-dev + the host's rustup toolchain of
#                             rust-toolchain.toml, laid out like the official image
#                             (RUSTUP_HOME=/usr/local/rustup, CARGO_HOME=/usr/local/cargo), docs left out
# The stand-ins are different images from the upstream ones, so they have other digests: the build
# pins them by their local digest (scripts/images/local-pins.sh), never by a committed one.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=env.sh
source "$root/scripts/images/env.sh"
# shellcheck disable=SC1091
source "$root/container/digests.env"
epoch=${SOURCE_DATE_EPOCH:-1700000000}
debian_ref=${DEBIAN_IMAGE%@*}
rust_ref=${RUST_IMAGE%@*}
work=$(mktemp -d /var/tmp/berth-stand-ins.XXXXXX)
trap 'rm -rf "$work"' EXIT

have() { podman image exists "$1"; }

# A tar that depends only on the tree's content: sorted, numeric owners, clamped mtimes.
det_tar() {
  tar --numeric-owner --sort=name --mtime=@"$epoch" --clamp-mtime \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --exclude='./dev/*' -C "$1" -cf "$2" .
}

if have "$debian_ref"; then
  echo "stand-in: $debian_ref already present"
else
  t0=$(date +%s)
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
    awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
  r=$work/rootfs
  debootstrap --variant=minbase bookworm "$r" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # What the official slim image does: no docs/man/locales from later installs, apt caches off.
  cat > "$r/etc/dpkg/dpkg.cfg.d/docker" <<'X'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
X
  cat > "$r/etc/apt/apt.conf.d/docker-clean" <<'X'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
X
  echo 'Acquire::Languages "none";' > "$r/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' > "$r/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'APT::AutoRemove::SuggestsImportant "false";' > "$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
  # The same suites as the host's apt (main, updates, security), from the same mirror.
  rm -f "$r/etc/apt/sources.list"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    grep -v '^#' /etc/apt/sources.list.d/debian.sources > "$r/etc/apt/sources.list.d/debian.sources"
  else
    grep '^deb ' /etc/apt/sources.list > "$r/etc/apt/sources.list"
  fi
  chroot "$r" apt-get clean
  find "$r/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$r"/usr/share/man/* "$r"/usr/share/groff/* "$r"/usr/share/info/* "$r"/usr/share/lintian/* "$r"/usr/share/linda/*
  find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/ldconfig/aux-cache \
    "$r"/var/log/*.log "$r"/var/log/apt/* "$r"/tmp/* "$r"/var/tmp/* "$r"/root/.bash_history
  : > "$r/etc/machine-id"; : > "$r/etc/hostname"; : > "$r/etc/resolv.conf"
  det_tar "$r" "$work/debian.tar"
  rm -rf "$r"
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$work/debian.tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd '["bash"]' "$ctr"
  buildah commit --quiet --rm --format docker --timestamp "$epoch" "$ctr" "$debian_ref" >/dev/null
  rm -f "$work/debian.tar"
  echo "stand-in: $debian_ref made in $(($(date +%s) - t0)) s"
fi

if have "$rust_ref"; then
  echo "stand-in: $rust_ref already present"
else
  t0=$(date +%s)
  channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$root/rust-toolchain.toml")
  triple=x86_64-unknown-linux-gnu
  src=$(readlink -f "${RUSTUP_HOME:-$HOME/.rustup}/toolchains/$channel-$triple")
  rustup_bin=$(command -v rustup || echo "$HOME/.cargo/bin/rustup")
  rustup_bin=$(readlink -f "$rustup_bin")
  [ -x "$src/bin/rustc" ] || { echo "make-stand-ins: no host toolchain $channel-$triple" >&2; exit 1; }
  ctx=$work/rust-ctx; t=$ctx/tree
  mkdir -p "$t/usr/local/rustup/toolchains" "$t/usr/local/cargo/bin"
  # -L: the toolchain dir may be a symlink to stable-*; copy the real files, leave the docs out.
  rsync_like() { (cd "$1" && tar --exclude=./share/doc -cf - .) | (cd "$2" && tar -xf -); }
  mkdir -p "$t/usr/local/rustup/toolchains/$channel-$triple"
  rsync_like "$src" "$t/usr/local/rustup/toolchains/$channel-$triple"
  printf 'version = "12"\ndefault_toolchain = "%s-%s"\nprofile = "minimal"\nauto_self_update = "disable"\n\n[overrides]\n' \
    "$channel" "$triple" > "$t/usr/local/rustup/settings.toml"
  install -m 0755 "$rustup_bin" "$t/usr/local/cargo/bin/rustup"
  for p in cargo cargo-clippy cargo-fmt clippy-driver rustc rustdoc rustfmt rust-gdb rust-lldb; do
    ln -s rustup "$t/usr/local/cargo/bin/$p"
  done
  det_tar "$t" "$ctx/rust-toolchain.tar"
  rm -rf "$t"
  cat > "$ctx/Containerfile" <<X
FROM $debian_ref
ENV RUSTUP_HOME=/usr/local/rustup \\
    CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    RUST_VERSION=$channel
RUN apt-get update \\
 && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \\
 && rm -rf /var/lib/apt/lists/*
ADD rust-toolchain.tar /
RUN rustup --version && cargo --version && rustc --version
X
  buildah bud --quiet --isolation chroot --pull=never --format docker --timestamp "$epoch" \
    -t "$rust_ref" "$ctx" >"$work/rust-bud.log" 2>&1 || { tail -30 "$work/rust-bud.log" >&2; exit 1; }
  echo "stand-in: $rust_ref made in $(($(date +%s) - t0)) s"
fi
