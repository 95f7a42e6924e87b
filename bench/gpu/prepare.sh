#!/usr/bin/env bash
# Prepares, on a machine WITH the npm registry (a developer's), everything the GPU machine needs to
# run bench/gpu/run-on-device.sh, in the ignored folder .device/ (the one path to carry):
#   .device/node-payload.tar.xz  node + the runtime packages (../shared/device/pack.sh)
#   .device/debs/*.deb           the Vulkan loader and GL libraries the NVIDIA driver needs
#   .device/dist/<pkg>/          the built workspace packages (packages/<pkg>/dist, .js only)
#   .device/MANIFEST.txt         what was packed, from which commit
# usage: bench/gpu/prepare.sh [--repack] [--no-build]     (from anywhere inside the repository)
#   --repack    run pack.sh again even when .device/node-payload.tar.xz exists
#   --no-build  use the dist folders as they are (default: build every package first)
set -euo pipefail

die() { echo "prepare.sh: $*" >&2; exit 1; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
repack=0
build=1
for a in "$@"; do
  case "$a" in
    --repack) repack=1 ;;
    --no-build) build=0 ;;
    *) die "unknown option $a (use --repack, --no-build)" ;;
  esac
done

# every package under packages/ (the workspace's published packages; no list to keep in step)
PACKAGES=()
for d in packages/*/; do [ -f "${d}package.json" ] && PACKAGES+=("$(basename "$d")"); done
dev=.device
pack_sh=${PACK_SH:-$root/../shared/device/pack.sh}

git check-ignore -q "$dev/" || die "$dev/ is not ignored by git; add /.device/ to .gitignore or .git/info/exclude first"

# The packages the built workspace imports at run time (besides node:*), at the versions installed here.
version_of() { node -p "require('$root/node_modules/$1/package.json').version" 2>/dev/null; }
for m in mathjs tsyringe reflect-metadata; do
  version_of "$m" >/dev/null || die "$m is not installed here (run npm ci first)"
done
RUNTIME=(
  @tensorflow/tfjs-core@4.22.0
  @tensorflow/tfjs-layers@4.22.0
  @tensorflow/tfjs-backend-cpu@4.22.0
  @tensorflow/tfjs-backend-wasm@4.22.0
  @tensorflow/tfjs-backend-webgpu@4.22.0
  webgpu@0.6.2
  "mathjs@$(version_of mathjs)"
  "tsyringe@$(version_of tsyringe)"
  "reflect-metadata@$(version_of reflect-metadata)"
)

if [ "$build" = 1 ]; then
  echo "prepare.sh: building the packages"
  npx nx run-many -t build --outputStyle=static >/dev/null || die "building the packages failed (npm run build shows why)"
fi
for p in "${PACKAGES[@]}"; do
  [ -f "packages/$p/dist/index.js" ] || die "packages/$p/dist/index.js is missing: build first (npm run build)"
done
[ -f packages/backends/dist/webgpu-kernels.js ] || die "packages/backends/dist/webgpu-kernels.js is missing: build backends"

if [ "$repack" = 1 ] || [ ! -f "$dev/node-payload.tar.xz" ] || [ -z "$(ls "$dev"/debs/*.deb 2>/dev/null)" ]; then
  [ -x "$pack_sh" ] || [ -f "$pack_sh" ] || die "pack.sh not found at $pack_sh (set PACK_SH=path/to/pack.sh)"
  echo "prepare.sh: packing node + ${RUNTIME[*]} (a few minutes)"
  rm -rf "$dev/debs" "$dev/node-payload.tar.xz"
  bash "$pack_sh" "$dev" "${RUNTIME[@]}"
else
  echo "prepare.sh: keeping $dev/node-payload.tar.xz (--repack to pack again)"
fi
[ -n "$(ls "$dev"/debs/*.deb 2>/dev/null)" ] || die "no .deb files in $dev/debs: apt-get download failed in pack.sh (run apt-get update, then --repack)"

rm -rf "$dev/dist"
for p in "${PACKAGES[@]}"; do
  mkdir -p "$dev/dist/$p"
  (cd "packages/$p/dist" && find . -name '*.js' -print0 | while IFS= read -r -d '' f; do mkdir -p "$root/$dev/dist/$p/$(dirname "$f")"; cp "$f" "$root/$dev/dist/$p/$f"; done)
done

{
  echo "prepared: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "node: $(node --version)"
  echo "runtime packages: ${RUNTIME[*]}"
  echo "workspace packages: ${PACKAGES[*]}"
} > "$dev/MANIFEST.txt"

tree_mb=$( { git ls-files -co --exclude-standard -z | du -cm --files0-from=- 2>/dev/null || true; } | tail -1 | cut -f1)
dev_mb=$(du -sm "$dev" | cut -f1)
echo "prepare.sh: $dev is ${dev_mb} MiB, the working tree ${tree_mb} MiB (a run carries 64 MiB at most)"
[ $((tree_mb + dev_mb)) -lt 64 ] || die "working tree + $dev exceed 64 MiB: the device tool will refuse the run"
cat <<EOF
prepare.sh: ready. In the session with a GPU, one device call (carry .device):
  run(command="bash bench/gpu/run-on-device.sh", carry=[".device"], timeout_s=360)
then copy the JSON it returns (files_at) into bench/results/ and commit it (bench/gpu/README.md).
EOF
