#!/usr/bin/env bash
# Early decomposition (Elhoushi et al., arXiv 1909.05675) against dense training, same run:
# LeNet-5 on an MNIST subset and ResNet-20 on synthetic 32×32×3 data, K ∈ {1, 2}, seeds 1–3.
# Budgets (2-core machine shared with other jobs): LeNet-5 6,000 train / 2,000 test images,
# 3 epochs, Tucker at 5×; ResNet-20 1,024 train / 256 test synthetic images, 3 epochs, Tucker at 3×.
# Usage (from the repository root, after `npx nx run-many -t build`):
#   bash docs/experiments/early-decomposition/run.sh && node docs/experiments/early-decomposition/summarize.mjs
set -euo pipefail
here=docs/experiments/early-decomposition
cli="node packages/cli/bin/tensorslim.js"
for seed in 1 2 3; do
  for k in 1 2; do
    $cli train --model lenet5 --dataset mnist --limit 6000 --eval-limit 2000 --epochs 3 --lr 0.05 --batch 64 \
      --decompose-at-epoch $k --format tucker --ratio 5 --seed $seed --backend wasm --json --out $here/runs/lenet5-k$k-s$seed
    $cli train --model resnet20 --dataset synthetic --limit 1024 --eval-limit 256 --epochs 3 --lr 0.02 --batch 64 \
      --decompose-at-epoch $k --format tucker --ratio 3 --seed $seed --backend wasm --json --out $here/runs/resnet20-k$k-s$seed
  done
done
# keep the reports only (the trained models are not committed)
find $here/runs -type f ! -name report.json ! -name report.md -delete
