"""PyTorch CPU reference for `tensorslim bench train`.

Trains the same architecture as @tensorslim/models (ResNet-20/32/56 for CIFAR, LeNet-5 for
MNIST) with the same batch, SGD momentum 0.9 at lr 0.01 and cross-entropy, on synthetic data,
once per requested thread count (torch.set_num_threads), in NCHW (PyTorch's natural layout).
Prints one JSON object on stdout. No network, no files.

    python3 torch_train.py --model resnet20 --batch 64 --threads 1,2 --steps 5 --warmup 1
"""
import argparse
import json
import platform
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    """conv3×3-BN-ReLU-conv3×3-BN plus the shortcut (1×1 conv + BN where the shape changes), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + (x if self.shortcut is None else self.shortcut(x)))


class ResNetCifar(nn.Module):
    """ResNet-20/32/56 for CIFAR; layer names follow @tensorslim/models (stage{s}_block{b}_conv1...).

    The one PyTorch twin of those ResNets: bench/gpu/torch_resnet20.py imports it from here.
    """

    def __init__(self, blocks=(3, 3, 3), channels=(16, 32, 64), num_classes=10, in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels[0], eps=1e-5, momentum=0.1)
        self.blocks = nn.ModuleDict()
        cin = channels[0]
        for s, (n, c) in enumerate(zip(blocks, channels)):
            for b in range(n):
                stride = 2 if s > 0 and b == 0 else 1
                self.blocks[f"stage{s + 1}_block{b + 1}"] = BasicBlock(cin, c, stride)
                cin = c
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for blk in self.blocks.values():
            x = blk(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    def kernel(self, name):
        """The weight of a layer named as in @tensorslim/models (stage1_block1_conv1, conv1, ...)."""
        if name == "conv1":
            return self.conv1.weight
        block, _, conv = name.rpartition("_")
        return getattr(self.blocks[block], conv).weight


class LeNet5(nn.Module):
    """conv 6@5×5 (same padding), 2×2 max pool, conv 16@5×5, 2×2 max pool, dense 120, 84, classes; ReLU."""

    def __init__(self, in_channels, size, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        side = ((size[0] // 2 - 4) // 2, (size[1] // 2 - 4) // 2)
        self.fc1 = nn.Linear(16 * side[0] * side[1], 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


RESNET_BLOCKS = {"resnet20": 3, "resnet32": 5, "resnet56": 9}
DEFAULT_SHAPE = {"lenet5": (28, 28, 1), "resnet20": (32, 32, 3), "resnet32": (32, 32, 3), "resnet56": (32, 32, 3)}


def build(name, shape, classes):
    h, w, c = shape
    if name == "lenet5":
        return LeNet5(c, (h, w), classes)
    if name in RESNET_BLOCKS:
        n = RESNET_BLOCKS[name]
        return ResNetCifar((n, n, n), num_classes=classes, in_channels=c)
    raise SystemExit(f"torch_train.py: no PyTorch twin of model {name!r} (have: lenet5, {', '.join(RESNET_BLOCKS)})")


def measure(name, shape, classes, batch, steps, warmup, threads, seed):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = build(name, shape, classes).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    h, w, c = shape
    x = torch.randn(batch, c, h, w)
    y = torch.randint(0, classes, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()  # like tensorslim's step, it ends with the loss read back

    for _ in range(warmup):
        step()
    wall = []
    cpu = []
    for _ in range(steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        step()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {
        "threads": threads,
        "threadsInUse": torch.get_num_threads(),
        "imgPerSec": batch * steps * 1000 / sum(wall),
        "msPerStep": statistics.median(wall),
        "cpuMsPerStep": statistics.median(cpu),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", default="1", help="comma-separated thread counts")
    ap.add_argument("--input-shape", default=None, help="H,W,C (default: the model's)")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    shape = tuple(int(v) for v in a.input_shape.split(",")) if a.input_shape else DEFAULT_SHAPE.get(a.model)
    if shape is None:
        build(a.model, (1, 1, 1), a.classes)  # exits with the list of models
    runs = [measure(a.model, shape, a.classes, a.batch, a.steps, a.warmup, int(t), a.seed) for t in a.threads.split(",")]
    print(json.dumps({
        "torch": torch.__version__,
        "python": platform.python_version(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "model": a.model,
        "batch": a.batch,
        "layout": "NCHW",
        "runs": runs,
    }))


if __name__ == "__main__":
    main()
