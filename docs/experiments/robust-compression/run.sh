#!/usr/bin/env bash
# Robust compression (ATMC, Gui et al. 2019) on MNIST LeNet-5 at ~5× (Tucker ranks for 5× on the
# planned layers), 3 seeds. Budget (2-core machine shared with other jobs): 6,000 training / 1,000
# test images; dense training 3 epochs; compression: 2 ADMM epochs (Z/U every 20 steps, ρ 0.05),
# 1 fine-tuning epoch; adversarial training with PGD ε = 0.1, 3 steps of 2.5ε/3; robust accuracy
# under PGD ε = 0.1, 20 steps, random start, fixed seed. Plus one ε = 0.3 pilot (seed 1).
# Usage (from the repository root, after `npx nx run-many -t build`):
#   bash docs/experiments/robust-compression/run.sh && node docs/experiments/robust-compression/summarize.mjs
set -euo pipefail
here=docs/experiments/robust-compression
cli="node packages/cli/bin/tensorslim.js"
data="--dataset mnist --limit 6000 --eval-limit 1000 --batch 64 --backend wasm --json"
adv="--adversarial pgd --adv-eps 0.1 --adv-steps 3"
for s in 1 2 3; do
  # dense, natural training (robust accuracy at the same ε)
  $cli train --model lenet5 $data --epochs 3 --lr 0.05 --seed $s --adv-eps 0.1 --robust-steps 20 --out $here/runs/natural-s$s
  # dense, adversarial training
  $cli train --model lenet5 $data --epochs 3 --lr 0.05 --seed $s $adv --out $here/runs/adversarial-s$s
  # from the natural dense model: ATMC (adversarial ADMM onto sparsity 0.5 ∩ Tucker 5× ∩ 8 bits, decompose,
  # adversarial fine-tuning), the direct arm (decompose, adversarial fine-tuning) and the same-epochs arm
  # (adversarial dense training for the ADMM epochs, decompose, adversarial fine-tuning)
  $cli compress --model $here/runs/natural-s$s/model.json $data --seed $s --format tucker --ratio 5 \
    --admm-epochs 2 --lr 0.05 --rho 0.05 --update-every 20 --finetune-epochs 1 --finetune-lr 0.01 \
    $adv --quantize 8 --sparsity 0.5 --baseline --continued-baseline --out $here/runs/atmc-s$s > $here/runs/atmc-s$s.log
done
# the ε = 0.3 pilot: adversarial dense training at the literature's MNIST radius, same budget
$cli train --model lenet5 $data --epochs 3 --lr 0.05 --seed 1 --adversarial pgd --adv-eps 0.3 --adv-steps 3 --out $here/runs/pilot-eps0.3-adversarial-s1
$cli train --model lenet5 $data --epochs 3 --lr 0.05 --seed 1 --adv-eps 0.3 --robust-steps 20 --out $here/runs/pilot-eps0.3-natural-s1
find $here/runs -type f ! -name report.json ! -name report.md ! -name '*.log' -delete
