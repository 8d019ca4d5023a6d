#!/usr/bin/env bash
# Sets up what the containers provider needs, idempotently (a second run takes seconds):
#   1. a Docker engine: installs Debian's docker.io when no engine answers, starts dockerd when
#      none runs (socket /var/run/docker.sock, data root /var/lib/docker, log /var/log/dockerd.log);
#      and Compose (Debian's docker-compose 1.29.2) when neither `docker compose` nor it answers;
#   2. a base image: debian:bookworm-slim when the engine has it, otherwise one made with
#      debootstrap (chaos-harness/debian:bookworm), since no image registry is reachable here;
#   3. the environments' images, chaos-harness/<name>:<inputs hash> and :latest, each built only
#      when the hash of its inputs (build context, base image id) has no image yet.
# Usage: scripts/setup-containers.sh [IMAGE...]    (default: every image in containers/)
# Environment: DOCKER_HOST (a unix socket; default unix:///var/run/docker.sock), DOCKERD_DATA_ROOT,
#   DOCKERD_LOG, DOCKERD_START_TIMEOUT (s, 30), BASE_IMAGE (skip the base step and use this),
#   CHAOS_PULL_BASE=1 (try `docker pull debian:bookworm-slim` first; off: no registry here).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

OFFICIAL_BASE=debian:bookworm-slim
LOCAL_BASE=chaos-harness/debian:bookworm
ALL_IMAGES=(postgres redis haproxy node nettools)
SOCKET=${DOCKER_HOST:-unix:///var/run/docker.sock}
DATA_ROOT=${DOCKERD_DATA_ROOT:-/var/lib/docker}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
START_TIMEOUT=${DOCKERD_START_TIMEOUT:-30}
BUILD_LOG_DIR=${CHAOS_BUILD_LOG_DIR:-/var/log/chaos-harness}

t_start=$(date +%s.%N)
say() { echo "setup-containers: $*"; }
die() { echo "setup-containers: $*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
engine_answers() { timeout 5 docker info >/dev/null 2>&1; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# ---------------------------------------------------------------------------------------------
# 1. Engine
if engine_answers; then
  say "Docker engine answers on $SOCKET ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
else
  case "$SOCKET" in
    unix://*) socket_path=${SOCKET#unix://} ;;
    *) die "no engine answers at DOCKER_HOST=$SOCKET, and only a local unix socket can be started here" ;;
  esac
  if ! command -v dockerd >/dev/null; then
    t=$(date +%s.%N)
    say "installing Debian's docker.io (no engine answers, no dockerd installed)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends docker.io >/dev/null
    say "docker.io installed in $(since "$t")"
  fi
  pidfile=/var/run/docker.pid
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    say "dockerd (pid $(cat "$pidfile")) runs but does not answer yet; waiting"
  else
    t=$(date +%s.%N)
    say "starting dockerd: socket $socket_path, data root $DATA_ROOT, log $DOCKERD_LOG"
    $SUDO mkdir -p "$(dirname "$DOCKERD_LOG")" "$DATA_ROOT"
    # setsid + nohup: the engine outlives this script and its terminal (Ctrl-C here must not
    # take the engine down with it); stdin closed so it never holds the caller's pipes.
    # --ip: a port published without an address (testcontainers' withExposedPorts) binds
    # 127.0.0.1 instead of 0.0.0.0 and ::, so nothing of ours listens beyond loopback.
    # No descriptor above 2 either: one the caller holds (a `flock` lock around this script, as
    # around CI here) would stay held by the engine for as long as it runs.
    (
      for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
      done
      exec $SUDO setsid nohup dockerd --host "unix://$socket_path" --data-root "$DATA_ROOT" \
        --pidfile "$pidfile" --ip 127.0.0.1
    ) >>"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  deadline=$(($(date +%s) + START_TIMEOUT))
  until engine_answers; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 15 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer 'docker info' within ${START_TIMEOUT}s (log: $DOCKERD_LOG)"
    fi
    sleep 0.2
  done
  say "dockerd answers after $(since "${t:-$t_start}") ($(docker info -f '{{.Driver}}, cgroup v{{.CgroupVersion}}, {{.CgroupDriver}}' 2>/dev/null))"
fi

# Compose, for environments that point at a team's docker-compose.yml: v2 (`docker compose`) when the
# CLI has the plugin, else Debian's standalone v1 (1.29.2), installed when neither answers.
if docker compose version >/dev/null 2>&1; then
  say "Compose: $(docker compose version --short 2>/dev/null) (docker compose)"
elif command -v docker-compose >/dev/null; then
  say "Compose: $(docker-compose version --short 2>/dev/null) (docker-compose)"
else
  t=$(date +%s.%N)
  say "installing Debian's docker-compose (no Compose answers)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
  say "docker-compose $(docker-compose version --short) installed in $(since "$t")"
fi

# ---------------------------------------------------------------------------------------------
# 2. Base image
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
if [ -n "${BASE_IMAGE:-}" ]; then
  image_exists "$BASE_IMAGE" || die "BASE_IMAGE=$BASE_IMAGE is not in the engine's images"
  say "base image $BASE_IMAGE (from BASE_IMAGE)"
elif image_exists "$OFFICIAL_BASE"; then
  BASE_IMAGE=$OFFICIAL_BASE
  say "base image $BASE_IMAGE (present)"
elif [ "${CHAOS_PULL_BASE:-0}" = 1 ] && timeout 60 docker pull -q "$OFFICIAL_BASE" >/dev/null 2>&1; then
  BASE_IMAGE=$OFFICIAL_BASE
  say "base image $BASE_IMAGE (pulled)"
else
  BASE_IMAGE=$LOCAL_BASE
  if image_exists "$LOCAL_BASE"; then
    say "base image $BASE_IMAGE (present, made by debootstrap)"
  else
    t=$(date +%s.%N)
    say "building base image $LOCAL_BASE with debootstrap (no $OFFICIAL_BASE; ~20-40 s)"
    $SUDO bash containers/base/build-rootfs.sh "$LOCAL_BASE"
    say "base image built in $(since "$t") ($(docker image inspect -f '{{.Size}}' "$LOCAL_BASE" | awk '{ printf "%d MB", $1 / 1e6 }'))"
  fi
fi
base_id=$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE")

# ---------------------------------------------------------------------------------------------
# 3. Environment images
hash_files() { # sha256 over the paths and contents of the given files and directories
  find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64
}

node_modules_list() {
  node containers/node/collect-modules.mjs "$ROOT" $(grep -v '^#' containers/node/modules.txt)
}

# Input hash of an image: its containers/<name> directory, the base image and, for node, what
# setup stages into its context (the host's node binary, installed modules, the repo's code).
inputs_hash() {
  local name=$1
  {
    echo "base $base_id"
    hash_files "containers/$name"
    if [ "$name" = node ]; then
      sha256sum "$(command -v node)"
      sha256sum node_modules/.package-lock.json
      find -L node_modules/better-sqlite3/build/Release -maxdepth 1 -name '*.node' -print0 | xargs -0 sha256sum
      hash_files package.json src environments
    fi
  } | sha256sum | cut -c1-12
}

# The node image's build context: containers/node plus the staged host files.
stage_node_context() {
  local dir=$1
  cp -a containers/node/. "$dir/"
  cp "$(command -v node)" "$dir/node"
  mkdir -p "$dir/node_modules" "$dir/app"
  # node-gyp's intermediates (obj*/, .deps) are only needed to rebuild the addon.
  node_modules_list | tar -C "$ROOT/node_modules" -c \
    --exclude='build/Release/obj' --exclude='build/Release/obj.target' --exclude='build/Release/.deps' \
    --exclude='build/Release/test_extension.node' -T - | tar -C "$dir/node_modules" -x
  tar -c package.json src environments | tar -C "$dir/app" -x
}

staged=""   # a staged build context to remove, also when the script fails
trap '[ -z "$staged" ] || rm -rf "$staged"' EXIT

build_image() {
  local name=$1 hash tag t ctx log rc
  [ -f "containers/$name/Dockerfile" ] || die "no containers/$name/Dockerfile (images: ${ALL_IMAGES[*]})"
  hash=$(inputs_hash "$name")
  tag="chaos-harness/$name:$hash"
  if image_exists "$tag"; then
    docker tag "$tag" "chaos-harness/$name:latest"
    say "image $tag is up to date"
    return
  fi
  t=$(date +%s.%N)
  ctx="containers/$name"
  if [ "$name" = node ]; then
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/chaos-node-context.XXXXXX")
    staged=$ctx
    stage_node_context "$ctx"
  fi
  mkdir -p "$BUILD_LOG_DIR"
  log="$BUILD_LOG_DIR/build-$name.log"
  say "building $tag from $BASE_IMAGE (log $log)"
  # The classic builder: this engine has no BuildKit/buildx plugin. Progress: its "Step i/n" lines.
  set +e
  DOCKER_BUILDKIT=0 docker build --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --label chaos-harness=1 --label "chaos-harness.inputs=$hash" \
    -t "$tag" -t "chaos-harness/$name:latest" "$ctx" </dev/null 2>&1 |
    tee "$log" | sed -un 's/^\(Step .\{0,100\}\).*/    \1/p'
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -ne 0 ]; then
    tail -n 25 "$log" >&2
    die "building $tag failed (full log: $log)"
  fi
  if [ -n "$staged" ]; then rm -rf "$staged"; staged=""; fi
  say "built $tag in $(since "$t") ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%d MB", $1 / 1e6 }'))"
  # Older builds of the same image: drop their tags (layers still shared stay).
  docker image ls "chaos-harness/$name" --format '{{.Repository}}:{{.Tag}}' |
    grep -vx -e "$tag" -e "chaos-harness/$name:latest" | xargs -r docker rmi >/dev/null || true
}

images=("$@")
[ "${#images[@]}" -gt 0 ] || images=("${ALL_IMAGES[@]}")
for name in "${images[@]}"; do
  build_image "$name"
done

say "done in $(since "$t_start"): engine at $SOCKET, base $BASE_IMAGE, images ${images[*]/#/chaos-harness/}"
say "testcontainers needs TESTCONTAINERS_RYUK_DISABLED=true here (no Ryuk image can be pulled)"
