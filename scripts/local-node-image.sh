#!/usr/bin/env bash
# Builds a stand-in for the official `node:20-bookworm-slim` image from Debian's own packages and the
# Node.js of this machine, and tags it with the exact name the Dockerfile's FROM uses. For machines
# that reach Debian's package mirror but no image registry: the Dockerfile stays the one real users
# build, and `podman build --pull=never` finds its base image locally.
#
#   sudo scripts/local-node-image.sh            # builds it unless it exists
#   sudo scripts/local-node-image.sh --rebuild
#
# What it carries, like the official image: Debian 12 (bookworm, minbase), node, npm and npx in
# /usr/local/bin, Node's C headers in /usr/local/include/node (node-gyp builds against them), the
# user `node` (uid and gid 1000) and an entrypoint that runs `node` when the command is not a program.
set -euo pipefail

IMAGE="docker.io/library/node:20-bookworm-slim"
CACHE="${KAIKU_SMOKE_CACHE:-/var/cache/kaiku-smoke}"

fail() {
  echo "local-node-image: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root: debootstrap and rootful podman need it"
command -v podman >/dev/null || fail "podman is missing (apt-get install podman)"
command -v debootstrap >/dev/null || fail "debootstrap is missing (apt-get install debootstrap)"

if [ "${1:-}" != "--rebuild" ] && podman image exists "$IMAGE"; then
  echo "local-node-image: $IMAGE exists; --rebuild to make it again"
  exit 0
fi

node_bin="$(readlink -f "$(command -v node)")" || fail "no node on this machine"
node_version="$("$node_bin" --version)"
case "$node_version" in
  v20.*) ;;
  *) fail "this machine's Node is $node_version; the image must carry Node 20" ;;
esac
node_prefix="$(dirname "$(dirname "$node_bin")")"
npm_dir="$(npm root -g)/npm"
headers="$node_prefix/include/node"
[ -d "$npm_dir" ] || fail "npm is not at $npm_dir"
[ -f "$headers/node.h" ] || fail "Node's headers are not at $headers (node-gyp needs them to build sqlite3)"

mkdir -p "$CACHE"
rootfs="$CACHE/bookworm-minbase"
# A debootstrap takes minutes; the bare Debian tree is kept and copied for each build.
if [ ! -f "$rootfs/.complete" ]; then
  rm -rf "$rootfs"
  echo "local-node-image: debootstrap bookworm (minbase) into $rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" >"$CACHE/debootstrap.log" 2>&1 \
    || fail "debootstrap failed; see $CACHE/debootstrap.log"
  touch "$rootfs/.complete"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tree="$work/rootfs"
cp -a "$rootfs" "$tree"
rm -f "$tree/.complete"

install -D -m 755 "$node_bin" "$tree/usr/local/bin/node"
mkdir -p "$tree/usr/local/lib/node_modules" "$tree/usr/local/include"
cp -a "$npm_dir" "$tree/usr/local/lib/node_modules/npm"
cp -a "$headers" "$tree/usr/local/include/node"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$tree/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$tree/usr/local/bin/npx"
cat >"$tree/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# Like the official image: an option or a file that is not a program is given to node.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
chmod 755 "$tree/usr/local/bin/docker-entrypoint.sh"

chroot "$tree" groupadd --gid 1000 node
chroot "$tree" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# What the slim image leaves out too: package lists, caches, documentation, manual pages.
rm -rf "$tree"/var/lib/apt/lists/* "$tree"/var/cache/apt/* "$tree"/usr/share/doc/* "$tree"/usr/share/man/* \
  "$tree"/usr/share/info/* "$tree"/var/log/*.log "$tree"/var/cache/debconf/*-old

echo "local-node-image: importing as $IMAGE (node $node_version)"
tar --numeric-owner -C "$tree" -cf "$work/rootfs.tar" .
podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$IMAGE" >/dev/null
podman image ls "$IMAGE"
