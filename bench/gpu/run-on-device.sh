#!/usr/bin/env bash
# The one script a session with a GPU machine runs (from the repository root, .device carried):
#   run(command="bash bench/gpu/run-on-device.sh", carry=[".device"], timeout_s=360)
# It unpacks node + node_modules (.device/node-payload.tar.xz), installs the Vulkan/GL libraries
# (.device/debs), points Vulkan at the NVIDIA driver, puts the built workspace packages in place
# (.device/dist → packages/*/dist, node_modules/@tensorslim/* → packages/*), then runs
# bench/gpu.mjs on webgpu (with PyTorch on the same card) under a time limit, writing the JSON
# and a log to $OUT. Prepare .device first, on a machine with the npm registry:
# bench/gpu/prepare.sh (see bench/gpu/README.md).
#
# Environment (all optional):
#   OUT         where results go (default: bench/results)
#   TIME_LIMIT  seconds for the benchmark itself (default 225; the issue asks for < 4 minutes)
#   DEB_ROOT    where the .deb files are unpacked (default /, as the driver's loader expects;
#               another folder is added to LD_LIBRARY_PATH instead of running ldconfig)
#   SKIP_DEBS=1 do not unpack the .deb files (a machine that has the Vulkan loader already)
#   NODE_BIN    the node binary (default: ./node from the payload, else node on PATH)
# Arguments after the script's name go to bench/gpu.mjs (e.g. --variants original,im2col).
set -euo pipefail

say() { echo "run-on-device: $*"; }
die() { echo "run-on-device: error: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
dev=.device
out=${OUT:-$root/bench/results}
limit=${TIME_LIMIT:-225}
deb_root=${DEB_ROOT:-/}
# every package under packages/ (the workspace's published packages; no list to keep in step)
PACKAGES=()
for d in packages/*/; do [ -f "${d}package.json" ] && PACKAGES+=("$(basename "$d")"); done
mkdir -p "$out"
start=$(date +%s)

# ---------------------------------------------------------------- guard: not a developer's checkout
marker=node_modules/.tensorslim-device-payload
if [ -f node_modules/.package-lock.json ] && [ ! -f "$marker" ] && [ "${FORCE:-0}" != 1 ]; then
  die "node_modules here was installed by npm: this is a developer's checkout, which this script would overwrite (node_modules, packages/*/dist). It is meant for the GPU machine's copy of the tree; set FORCE=1 to run it anyway"
fi

# ---------------------------------------------------------------- what was carried
[ -d "$dev" ] || die "$dev/ is missing: prepare it with bench/gpu/prepare.sh and name it in the run call's carry list"
[ -f "$dev/node-payload.tar.xz" ] || die "$dev/node-payload.tar.xz is missing: run bench/gpu/prepare.sh (it calls ../shared/device/pack.sh)"
[ -f "$dev/MANIFEST.txt" ] && sed 's/^/  /' "$dev/MANIFEST.txt"

# ---------------------------------------------------------------- node and node_modules
say "unpacking node and node_modules"
tar -xJf "$dev/node-payload.tar.xz" -C "$root" || die "could not unpack $dev/node-payload.tar.xz"
echo "unpacked from $dev/node-payload.tar.xz by bench/gpu/run-on-device.sh" > "$marker"
node_bin=${NODE_BIN:-}
if [ -z "$node_bin" ]; then
  if [ -x "$root/node" ]; then node_bin=$root/node; else node_bin=$(command -v node || true); fi
fi
[ -n "$node_bin" ] && [ -x "$node_bin" ] || die "no node binary (the payload's ./node is missing and node is not on PATH)"
say "node $("$node_bin" --version) at $node_bin"
for m in @tensorflow/tfjs-core @tensorflow/tfjs-layers @tensorflow/tfjs-backend-webgpu webgpu mathjs tsyringe reflect-metadata; do
  [ -f "node_modules/$m/package.json" ] || die "the payload lacks $m: repack with bench/gpu/prepare.sh --repack"
done

# ---------------------------------------------------------------- Vulkan loader and driver
if [ "${SKIP_DEBS:-0}" = 1 ]; then
  say "SKIP_DEBS=1: not unpacking $dev/debs"
else
  shopt -s nullglob
  debs=("$dev"/debs/*.deb)
  shopt -u nullglob
  [ ${#debs[@]} -gt 0 ] || die "no .deb files in $dev/debs (pack.sh's apt-get download failed: run apt-get update, then prepare.sh --repack)"
  command -v dpkg >/dev/null || die "dpkg is not available to unpack $dev/debs"
  mkdir -p "$deb_root"
  say "unpacking ${#debs[@]} .deb files into $deb_root"
  for f in "${debs[@]}"; do dpkg -x "$f" "$deb_root" || die "dpkg -x $f failed"; done
  if [ "$deb_root" = / ]; then
    ldconfig || say "warning: ldconfig failed"
  else
    export LD_LIBRARY_PATH="$deb_root/usr/lib/x86_64-linux-gnu:$deb_root/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
fi
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; break; fi
  done
fi
if [ -n "${VK_DRIVER_FILES:-}" ]; then say "VK_DRIVER_FILES=$VK_DRIVER_FILES"; else say "warning: no NVIDIA Vulkan ICD file found; webgpu will likely find no adapter"; fi
for egl in /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json /usr/share/glvnd/egl_vendor.d/10_nvidia.json; do
  if [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$egl" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES=$egl; fi
done
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/  GPU: /' || say "nvidia-smi not found"

# ---------------------------------------------------------------- the workspace packages
mkdir -p node_modules/@tensorslim
for p in "${PACKAGES[@]}"; do
  if [ -d "$dev/dist/$p" ]; then
    rm -rf "packages/$p/dist"
    mkdir -p "packages/$p/dist"
    cp -R "$dev/dist/$p/." "packages/$p/dist/"
  fi
  [ -f "packages/$p/dist/index.js" ] || die "packages/$p/dist/index.js is missing: prepare.sh copies the built packages into $dev/dist"
  ln -sfn "../../packages/$p" "node_modules/@tensorslim/$p"
done
"$node_bin" --input-type=module -e "
  const backends = await import('@tensorslim/backends');
  await import('@tensorslim/core'); await import('@tensorslim/models'); await import('@tensorslim/admm'); await import('@tensorslim/decomp-tt');
  if (typeof backends.selectBackend !== 'function') throw new Error('@tensorslim/backends has no selectBackend');
  console.log('run-on-device: workspace packages load');
" || die "the workspace packages do not load with the payload's node_modules (see the error above)"

# ---------------------------------------------------------------- the benchmark
command -v "${TENSORSLIM_PYTHON:-python3}" >/dev/null || say "warning: ${TENSORSLIM_PYTHON:-python3} not found; the PyTorch reference will be skipped"
say "bench/gpu.mjs on webgpu, at most ${limit} s ($(( $(date +%s) - start )) s spent on set-up)"
rc=0
timeout -k 10 "$limit" "$node_bin" bench/gpu.mjs --backend webgpu --out "$out" --budget-s $((limit - 25)) --extra-batches 512 "$@" 2>&1 | tee "$out/gpu-bench.log" || rc=$?
case $rc in
  0) say "done in $(( $(date +%s) - start )) s; results:"; ls -l "$out"/*.json ;;
  3) say "webgpu did not start (reason in the log and the JSON's backend.error); the PyTorch figures were still taken" ;;
  124|137) say "the benchmark ran past ${limit} s and was stopped; the JSON holds the sections that finished" ;;
  *) say "the benchmark failed (exit $rc); see $out/gpu-bench.log" ;;
esac
exit $rc
