#!/usr/bin/env bash
# Builds the Dockerfile for real and runs the image: health, readiness, first-run setup, a restart that
# keeps the data, a backup restored into a new volume, and PostgreSQL. Prints the image size and the
# container's memory. Not part of `npm test`: it installs packages, needs root, and takes minutes
# (about 10 the first time, most of it debootstrap and compiling sqlite3).
#
#   sudo scripts/docker-smoke.sh            # keeps the images afterwards (kaiku:smoke and the base)
#   KAIKU_SMOKE_KEEP=1 scripts/docker-smoke.sh   # also keeps the container and volumes, to look at them
#
# No Docker engine or image registry is needed: podman builds and runs the image, and the base image
# the Dockerfile's FROM names is made locally by scripts/local-node-image.sh (Debian plus this
# machine's Node 20). On these machines podman needs `--runtime runc` and explicit ulimits; builds
# and containers use the host's network (the build fetches Debian and npm packages; the containers
# listen on loopback only).
set -euo pipefail
cd "$(dirname "$0")/.."

TAG="localhost/kaiku:smoke"
RUN_ID="$$"
NAME="kaiku-smoke-$RUN_ID"
VOLUME="kaiku-smoke-data-$RUN_ID"
RESTORED_VOLUME="kaiku-smoke-restored-$RUN_ID"
PG_URL="${KAIKU_SMOKE_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_DB="kaiku_smoke_$RUN_ID"
LIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
PODMAN=(podman --runtime runc)
WORK="$(mktemp -d)"
current_container=""

step() { echo "== $*"; }
# podman's own chatter (without systemd it cannot schedule healthcheck timers, and says so on every
# start and stop) goes to a log that is shown when something fails.
quiet() { "$@" >/dev/null 2>>"$WORK/podman.log"; }

fail() {
  echo "!! docker-smoke FAILED: $*" >&2
  [ -s "$WORK/podman.log" ] && { echo "!! podman said:" >&2; grep -v 'systemd connection' "$WORK/podman.log" | tail -10 >&2; }
  if [ -n "$current_container" ] && podman container exists "$current_container" 2>/dev/null; then
    echo "!! last lines of $current_container's log:" >&2
    podman logs --tail 40 "$current_container" >&2 || true
  fi
  exit 1
}

cleanup() {
  rm -rf "$WORK"
  [ "${KAIKU_SMOKE_KEEP:-}" = "1" ] && { echo "== kept container $NAME and volumes $VOLUME, $RESTORED_VOLUME"; return; }
  for container in "$NAME" "$NAME-restored" "$NAME-pg"; do podman rm -f -t 0 "$container" >/dev/null 2>&1 || true; done
  podman volume rm -f "$VOLUME" "$RESTORED_VOLUME" >/dev/null 2>&1 || true
  if command -v psql >/dev/null 2>&1; then psql "$PG_URL" -qc "drop database if exists \"$PG_DB\" with (force)" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# --- tools -----------------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || fail "run as root (apt-get and rootful podman need it)"
missing=()
for tool in podman buildah runc debootstrap curl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing ${missing[*]} from Debian"
  apt-get update -qq >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log" >&2; fail "apt-get update failed (is Debian's mirror reachable?)"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$WORK/apt.log" 2>&1 \
    || { tail -20 "$WORK/apt.log" >&2; fail "could not install ${missing[*]}"; }
fi

# --- images ----------------------------------------------------------------------------------------
step "base image (node:20-bookworm-slim, made locally)"
scripts/local-node-image.sh || fail "could not make the base image"

step "building the Dockerfile (--pull=never)"
# When this machine reaches the npm registry through a TLS-inspecting proxy, its npm names the
# proxy's certificate authority (`npm config get cafile`). The build's RUN steps get the same
# setting through a mounted global npmrc, which is not part of the image; the Dockerfile is unchanged.
build_mounts=()
cafile="$(npm config get cafile 2>/dev/null || true)"
if [ -n "$cafile" ] && [ "$cafile" != "null" ] && [ "$cafile" != "undefined" ] && [ -f "$cafile" ]; then
  printf 'cafile=/run/kaiku-build-ca.crt\n' >"$WORK/npmrc"
  build_mounts=(-v "$cafile:/run/kaiku-build-ca.crt:ro" -v "$WORK/npmrc:/usr/local/etc/npmrc:ro")
  echo "   npm's certificate authority $cafile is mounted into the build steps"
fi
started=$(date +%s)
"${PODMAN[@]}" build --pull=never --format docker --network host "${LIMITS[@]}" "${build_mounts[@]}" -t "$TAG" . >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log" >&2; fail "the image did not build (last lines above)"; }
echo "   built in $(($(date +%s) - started)) s"

size_bytes=$(podman image inspect "$TAG" --format '{{.Size}}')
base_bytes=$(podman image inspect docker.io/library/node:20-bookworm-slim --format '{{.Size}}')

# --- run with SQLite in a volume -------------------------------------------------------------------
PORT=$(free_port)
URL="http://localhost:$PORT"

run_kaiku() { # name volume [extra podman options…]
  local name="$1" volume="$2"
  shift 2
  current_container="$name"
  "${PODMAN[@]}" run -d --name "$name" "${LIMITS[@]}" --network host \
    -e HOST=127.0.0.1 -e PORT="$PORT" -e KAIKU_PUBLIC_URL="$URL" -e LOG_LEVEL=warn \
    -v "$volume:/data" "$@" "$TAG" >/dev/null 2>>"$WORK/podman.log" || { tail -5 "$WORK/podman.log" >&2; fail "podman run $name failed"; }
}

wait_ready() {
  local deadline=$(($(date +%s) + 90))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = "200" ]; do
    [ "$(podman inspect -f '{{.State.Running}}' "$current_container")" = "true" ] || fail "the container exited before answering /healthz"
    [ "$(date +%s)" -lt "$deadline" ] || fail "/healthz did not answer 200 within 90 s"
    sleep 1
  done
  local ready
  ready=$(curl -s -w ' %{http_code}' "$URL/readyz")
  [ "${ready##* }" = "200" ] || fail "/readyz answered $ready"
  echo "   /healthz 200, /readyz $ready"
}

csrf_of() { grep -o 'name="_csrf" value="[^"]*"' "$1" | head -1 | sed 's/.*value="\([^"]*\)"/\1/'; }

# A browser-like form post: GET the form (keeping the cookie), POST it with its CSRF token.
submit() { # path expected-status field=value…
  local path="$1" expected="$2"
  shift 2
  curl -s -b "$WORK/jar" -c "$WORK/jar" -o "$WORK/form.html" "$URL$path"
  local token
  token=$(csrf_of "$WORK/form.html")
  [ -n "$token" ] || fail "no form with a CSRF token at $path"
  local args=(--data-urlencode "_csrf=$token")
  for field in "$@"; do args+=(--data-urlencode "$field"); done
  local status
  status=$(curl -s -b "$WORK/jar" -c "$WORK/jar" -o "$WORK/answer.html" -w '%{http_code}' "${args[@]}" "$URL$path")
  [ "$status" = "$expected" ] || { head -c 600 "$WORK/answer.html" >&2; fail "POST $path answered $status, expected $expected"; }
}

sign_in() {
  rm -f "$WORK/jar"
  submit /login 303 email=olivia@acme.test 'password=correct horse battery'
  curl -s -b "$WORK/jar" -o "$WORK/me.html" "$URL/me"
  grep -q 'Olivia Owner' "$WORK/me.html" || fail "signed in, but /me does not show the owner"
}

step "running with SQLite in volume $VOLUME on $URL"
run_kaiku "$NAME" "$VOLUME"
wait_ready
user=$(podman exec "$NAME" id -u)
[ "$user" != "0" ] || fail "the app runs as root"
echo "   runs as uid $user"
quiet podman healthcheck run "$NAME" || fail "the image's HEALTHCHECK failed"
echo "   HEALTHCHECK passes"

step "first-run setup"
first=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/")
[ "$first" = "303 $URL/setup" ] || [ "$first" = "302 $URL/setup" ] || fail "a fresh install should lead to /setup, got '$first'"
submit /setup 303 'name=Olivia Owner' email=olivia@acme.test 'password=correct horse battery' company=Acme slug=acme domains=acme.test
sign_in
echo "   instance created, owner signed in"

step "restart keeps the data"
quiet podman stop -t 15 "$NAME"
code=$(podman inspect -f '{{.State.ExitCode}}' "$NAME")
[ "$code" = "0" ] || fail "SIGTERM should end the server with 0 (graceful shutdown), got $code"
quiet podman start "$NAME"
wait_ready
sign_in
echo "   stopped gracefully (exit 0), started again, owner still signs in"

step "memory"
sleep 5
echo "   idle after setup: $(podman stats --no-stream --format '{{.MemUsage}}' "$NAME")"

step "backup in the running container, restore into a new volume"
podman exec "$NAME" kaiku backup --out /data/backups/smoke.tar.gz || fail "kaiku backup failed"
"${PODMAN[@]}" run --rm "${LIMITS[@]}" --network none -v "$VOLUME:/source:ro" -v "$RESTORED_VOLUME:/data" "$TAG" \
  kaiku restore --in /source/backups/smoke.tar.gz 2>>"$WORK/podman.log" || { tail -5 "$WORK/podman.log" >&2; fail "kaiku restore into an empty volume failed"; }
quiet podman stop -t 15 "$NAME"
run_kaiku "$NAME-restored" "$RESTORED_VOLUME"
wait_ready
sign_in
echo "   the restored installation serves the owner"
quiet podman stop -t 15 "$NAME-restored"

# --- PostgreSQL ------------------------------------------------------------------------------------
if command -v psql >/dev/null 2>&1 && psql "$PG_URL" -qc 'select 1' >/dev/null 2>&1; then
  step "running against PostgreSQL (database $PG_DB)"
  psql "$PG_URL" -qc "create database \"$PG_DB\"" >/dev/null
  pg_url="${PG_URL%/*}/$PG_DB"
  run_kaiku "$NAME-pg" "$VOLUME" -e DATABASE_URL="$pg_url"
  wait_ready
  rm -f "$WORK/jar"
  submit /setup 303 'name=Olivia Owner' email=olivia@acme.test 'password=correct horse battery' company=Acme slug=acme domains=acme.test
  sign_in
  echo "   setup and sign-in on PostgreSQL"
else
  echo "== skipped PostgreSQL: nothing answers at $PG_URL (set KAIKU_SMOKE_POSTGRES)"
fi

step "passed"
printf '   image %s: %d MiB (base image %d MiB, Kaiku adds %d MiB)\n' "$TAG" $((size_bytes / 1048576)) $((base_bytes / 1048576)) $(((size_bytes - base_bytes) / 1048576))
