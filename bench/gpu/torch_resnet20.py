#!/usr/bin/env python3
"""PyTorch reference for bench/gpu.mjs: the same ResNet-20, batch, optimizer and timing scheme.

Measures, on CUDA when available (else CPU):
  train   ResNet-20 (CIFAR layout: 3x3 stem of 16 channels, 3 stages x 3 basic blocks of
          16/32/64 channels, 1x1 conv + BN projection shortcuts where the shape changes, global
          average pooling, linear classifier), SGD momentum 0.9, cross-entropy, batch B of random
          32x32x3 inputs held on the device; warm-up steps, then R rounds of S steps, one
          synchronisation per round; median ms per step over the rounds.
          Twice: with PyTorch's defaults (cuDNN convolutions may use TF32) and in strict fp32
          (TF32 off), since TF.js on WebGPU computes in fp32.
  admm    one ADMM epoch slice: K training steps where each compressed kernel's gradient gets
          rho*(W - Z + U), then one Z/U update (Z = TT-SVD projection of W + U at the plan's
          ranks, in the paper layout [o_1..o_m, kh*kw, i_1..i_n]; U += W - Z; residual norms).
  layers  a dense 3x3 convolution C->C against the three-stage factorized one (1x1 C->R1,
          3x3 R1->R2, 1x1 R2->C) at the ranks the TF.js side resolved, forward only.

Input: --spec FILE (JSON written by bench/gpu.mjs; every key optional). Output: one JSON line on
stdout (the last line). Run alone: python3 bench/gpu/torch_resnet20.py --batch 128
"""
import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------- the model
# The PyTorch twin of @tensorslim/models' ResNets lives with `tensorslim bench train`'s reference.
sys.dont_write_bytecode = True  # no __pycache__ inside the cli package
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packages" / "cli" / "python"))
from torch_train import ResNetCifar  # noqa: E402


# ----------------------------------------------------------------------------- timing
def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def time_rounds(fn, dev, warmup, rounds, steps):
    """Median ms per call over `rounds` rounds of `steps` calls, one synchronisation per round."""
    for _ in range(warmup):
        fn()
    sync(dev)
    per = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        sync(dev)
        per.append((time.perf_counter() - t0) * 1000 / steps)
    return statistics.median(per), per


def make_train_step(model, opt, x, y, admm=None):
    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if admm is not None:
            admm.augment()
        opt.step()
        return loss

    return step


def bench_train(dev, batch, warmup, rounds, steps, lr, seed, tf32):
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.manual_seed(seed)
    model = ResNetCifar().to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    x = torch.randn(batch, 3, 32, 32, device=dev)
    y = torch.randint(0, 10, (batch,), device=dev)
    ms, per = time_rounds(make_train_step(model, opt, x, y), dev, warmup, rounds, steps)
    return {"batch": batch, "msPerStep": ms, "imgPerSec": batch * 1000 / ms, "roundsMsPerStep": per, "tf32": tf32}


# ----------------------------------------------------------------------------- ADMM with the TT projection
def tt_project(t, ranks):
    """Nearest-TT tensor by TT-SVD (sequential truncated SVDs) at ranks [1, r_1, ..., r_{d-1}, 1]."""
    shape = t.shape
    d = len(shape)
    cores = []
    c = t
    r_prev = 1
    for k in range(d - 1):
        c = c.reshape(r_prev * shape[k], -1)
        u, s, vh = torch.linalg.svd(c, full_matrices=False)
        r = min(int(ranks[k + 1]), s.numel())
        cores.append(u[:, :r].reshape(r_prev, shape[k], r))
        c = s[:r, None] * vh[:r]
        r_prev = r
    cores.append(c.reshape(r_prev, shape[-1], 1))
    full = cores[0]
    for core in cores[1:]:
        full = torch.tensordot(full, core, dims=([full.dim() - 1], [0]))
    return full.reshape(shape)


class TTAdmm:
    """Scaled-form ADMM on some conv kernels: Z/U per layer, gradient term, Z/U update."""

    def __init__(self, model, layers, rho):
        self.rho = rho
        self.slots = []
        for spec in layers:
            w = model.kernel(spec["name"])  # [Cout, Cin, kh, kw]
            kh, kw, cin, cout = spec["kernelShape"]
            assert tuple(w.shape) == (cout, cin, kh, kw), (spec["name"], tuple(w.shape))
            modes = list(spec["outModes"]) + [kh * kw] + list(spec["inModes"])
            self.slots.append({"name": spec["name"], "w": w, "modes": modes, "ranks": spec["ranks"]})
        with torch.no_grad():
            for s in self.slots:
                s["z"] = self.project(s, s["w"])
                s["u"] = torch.zeros_like(s["w"])

    def project(self, s, w):
        cout, cin, kh, kw = w.shape
        t = w.permute(0, 2, 3, 1).reshape(s["modes"])  # the paper layout [o.., kh*kw, i..]
        p = tt_project(t, s["ranks"])
        return p.reshape(cout, kh, kw, cin).permute(0, 3, 1, 2).contiguous()

    @torch.no_grad()
    def augment(self):
        for s in self.slots:
            s["w"].grad.add_(s["w"] - s["z"] + s["u"], alpha=self.rho)

    @torch.no_grad()
    def update(self):
        primal, dual = [], []
        for s in self.slots:
            w = s["w"]
            z = self.project(s, w + s["u"])
            primal.append((torch.linalg.vector_norm(w - z) / torch.linalg.vector_norm(w).clamp_min(1e-30)).item())
            dual.append(self.rho * torch.linalg.vector_norm(z - s["z"]).item())
            s["u"].add_(w - z)
            s["z"] = z
        return max(primal), max(dual)


def bench_admm(dev, spec, batch, seed):
    torch.manual_seed(seed)
    model = ResNetCifar().to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=spec.get("lr", 0.1), momentum=0.9)
    steps = int(spec.get("steps", 20))
    xs = torch.randn(steps, batch, 3, 32, 32, device=dev)
    ys = torch.randint(0, 10, (steps, batch), device=dev)
    t0 = time.perf_counter()
    admm = TTAdmm(model, spec["layers"], spec.get("rho", 1e-3))
    sync(dev)
    init_ms = (time.perf_counter() - t0) * 1000
    # warm-up on a copy of the first batch (kernels, allocator), not counted
    for _ in range(2):
        make_train_step(model, opt, xs[0], ys[0], admm)()
    sync(dev)
    t0 = time.perf_counter()
    for i in range(steps):
        make_train_step(model, opt, xs[i], ys[i], admm)()
    sync(dev)
    steps_ms = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    primal, dual = admm.update()
    sync(dev)
    update_ms = (time.perf_counter() - t1) * 1000
    return {
        "format": "tt",
        "steps": steps,
        "batch": batch,
        "layers": len(admm.slots),
        "stepsMs": steps_ms,
        "msPerStep": steps_ms / steps,
        "updateMs": update_ms,
        "totalMs": steps_ms + update_ms,
        "initMs": init_ms,
        "primal": primal,
        "dual": dual,
        "projection": "TT-SVD with torch.linalg.svd on the device, float32",
    }


# ----------------------------------------------------------------------------- factorized layers
def bench_layers(dev, specs, warmup, rounds, steps):
    out = []
    for sp in specs:
        b, size, c = sp["batch"], sp["size"], sp["channels"]
        r1, r2 = sp["ranks"]
        g = torch.Generator(device="cpu").manual_seed(3)
        x = torch.randn(b, c, size, size, generator=g).to(dev)
        w = torch.randn(c, c, 3, 3, generator=g).to(dev) / (3 * c**0.5)
        w_in = torch.randn(r1, c, 1, 1, generator=g).to(dev) / c**0.5 if sp.get("inMap", True) else None
        w_mid = torch.randn(r2, r1, 3, 3, generator=g).to(dev) / (3 * r1**0.5)
        w_out = torch.randn(c, r2, 1, 1, generator=g).to(dev) / r2**0.5 if sp.get("outMap", True) else None

        def dense():
            return F.conv2d(x, w, padding=1)

        def factorized():
            h = x if w_in is None else F.conv2d(x, w_in)
            h = F.conv2d(h, w_mid, padding=1)
            return h if w_out is None else F.conv2d(h, w_out)

        with torch.no_grad():
            dense_ms, _ = time_rounds(dense, dev, warmup, rounds, steps)
            fact_ms, _ = time_rounds(factorized, dev, warmup, rounds, steps)
        out.append({"format": sp.get("format"), "batch": b, "size": size, "channels": c, "ranks": [r1, r2], "denseMs": dense_ms, "factorizedMs": fact_ms, "timeRatio": dense_ms / fact_ms})
    return out


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", help="JSON file from bench/gpu.mjs")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--device", default="auto", help="auto (cuda when available), cuda or cpu")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    a = ap.parse_args()
    spec = {}
    if a.spec:
        with open(a.spec) as f:
            spec = json.load(f)
    batch = int(spec.get("batch", a.batch))
    warmup = int(spec.get("warmup", a.warmup))
    rounds = int(spec.get("rounds", a.rounds))
    steps = int(spec.get("steps", a.steps))
    lr = float(spec.get("lr", a.lr))
    device = spec.get("device", a.device)
    if a.threads > 0 or spec.get("threads"):
        torch.set_num_threads(int(spec.get("threads") or a.threads))
    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device))
    torch.backends.cudnn.benchmark = True
    res = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
        "cuda": dev.type == "cuda",
        "cudnnBenchmark": True,
    }
    t0 = time.perf_counter()
    default_tf32 = torch.backends.cudnn.allow_tf32
    res["train"] = bench_train(dev, batch, warmup, rounds, steps, lr, 1, default_tf32)
    if dev.type == "cuda" and spec.get("strictFp32", True):
        res["trainFp32"] = bench_train(dev, batch, warmup, rounds, steps, lr, 1, False)
    torch.backends.cudnn.allow_tf32 = default_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    for extra in spec.get("extraBatches", []):
        res.setdefault("trainBatches", []).append(bench_train(dev, int(extra), warmup, rounds, steps, lr, 1, default_tf32))
    if spec.get("admm"):
        try:
            res["admm"] = bench_admm(dev, spec["admm"], int(spec["admm"].get("batch", batch)), 2)
        except Exception as e:  # a plan this script cannot mirror must not cost the other figures
            res["admm"] = {"error": f"{type(e).__name__}: {e}"}
    if spec.get("layers"):
        res["layers"] = bench_layers(dev, spec["layers"], warmup, rounds, steps)
    res["wallS"] = time.perf_counter() - t0
    sys.stdout.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
