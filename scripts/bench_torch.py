#!/usr/bin/env python3
"""PyTorch CPU peer of `fer bench`: ResNet18 at 48x48x1, training and inference.

Builds torchvision's ResNet18 (written out here, no torchvision needed) with a
one-channel input and 7 classes, either with the standard stem (7x7/2 conv +
3x3/2 max-pool) or the small stem (one 3x3/1 conv, no max-pool), exactly as
fernb/models does, and times:

  - a training step: forward, cross-entropy, backward, torch.optim.SGD step
    (momentum 0.9, weight decay 1e-4), on random images and labels;
  - inference: forward in eval mode under torch.inference_mode().

Prints one JSON object on stdout (progress goes to stderr):

  {"torch": "2.x", "threads": 2, "results": [{"stem": "standard",
   "train_images_per_s": ..., "infer_images_per_s": ..., "train_first_step_s": ...,
   "infer_first_step_s": ..., "train_step_s": [...], "infer_step_s": [...],
   "peak_rss_mib": ...}, ...]}

peak_rss_mib is this process's peak resident set size, VmHWM of /proc/self/status
(resource.getrusage's ru_maxrss where /proc is missing): the whole process's peak,
so run one stem per process to get a per-stem figure (fer bench does). ru_maxrss
is not used on Linux because it survives exec: a child of a big process (fer
bench) reports at least its parent's size at fork time.

With --profile (`fer bench --profile`) it instead profiles where a training step's
time goes, for one stem, in each memory format of --formats (nchw = PyTorch's
default, channels_last = NHWC): the forward pass in training mode with the loss,
forward + backward (gradients, no update) and the full step; then one convolution
per shape of --conv-shapes (a JSON list of {"key", "in_h", "in_w", "in_c",
"out_c", "kernel", "stride", "pad"}): F.conv2d forward under torch.no_grad(), and
forward + backward (gradients of sum(y * dy) with respect to the input and the
kernel, for a fixed random dy). It prints

  {"torch": ..., "threads": ..., "profile": {"stem": ..., "batch": ...,
   "phases": [{"format": "nchw", "forward_s": [...], "forward_backward_s": [...],
               "step_s": [...]}, ...],
   "convs": [{"key": ..., "format": "nchw", "forward_s": [...],
              "forward_backward_s": [...]}, ...]}}

Usage: python bench_torch.py --batch 128 --steps 10 --warmup 2 --threads 2 --stems standard
       python bench_torch.py --profile --batch 128 --steps 10 --warmup 3 --threads 2 \
           --stems standard --conv-shapes '[{"key": "7x7/2", "in_h": 48, ...}]'
"""

import argparse
import json
import resource
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.downsample is None else self.downsample(x)
        return F.relu(y + s)


class ResNet18(nn.Module):
    def __init__(self, small_stem, classes=7):
        super().__init__()
        if small_stem:
            self.conv1 = nn.Conv2d(1, 64, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.bn1 = nn.BatchNorm2d(64)
        layers, cin = [], 64
        for stage, ch in enumerate([64, 128, 256, 512]):
            for blk in range(2):
                stride = 2 if stage > 0 and blk == 0 else 1
                layers.append(BasicBlock(cin, ch, stride))
                cin = ch
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(512, classes)

    def init_torchvision(self):
        """torchvision's ResNet initialisation, which fernb uses: convolution
        kernels Kaiming-normal in fan_out mode, the linear layer's bias zero
        (its weight keeps nn.Linear's uniform default). Without this call the
        layers keep PyTorch's layer defaults (Kaiming-uniform, a=sqrt(5):
        kernels about 2.4x smaller, which under batch norm is a larger
        effective learning rate)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        nn.init.zeros_(self.fc.bias)
        return self

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layers(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def peak_rss_mib():
    """VmHWM of /proc/self/status in MiB, else ru_maxrss (KiB on Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def log(msg):
    print(f"[bench_torch] {msg}", file=sys.stderr, flush=True)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, warmup, steps, what, budget=0.0, verbose=True):
    """Runs fn warmup times, then up to steps timed times, stopping once the
    timed ones took budget seconds (if > 0) and at least 2 ran. Returns
    (first call seconds, timed steps' seconds). verbose=False logs one line
    at the end (the median) instead of one per call."""
    times = []
    t_all = time.perf_counter()
    n = warmup + steps
    for i in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        done = i + 1
        timed_s = times[warmup:]
        stop = budget > 0 and len(timed_s) >= 2 and sum(timed_s) >= budget and done < n
        eta = 0 if stop else (time.perf_counter() - t_all) / done * (n - done)
        if budget > 0:
            eta = min(eta, max(0.0, budget - sum(timed_s)) + max(0, warmup - done) * times[-1])
        note = f", budget of {budget:.0f}s reached after {len(timed_s)} timed steps" if stop else ""
        if verbose:
            log(f"{what}: step {done}/{n} {times[-1]:.3f}s{note}, ETA {eta:.0f}s")
        if stop:
            break
    if not verbose:
        t = sorted(times[warmup:])
        log(f"{what}: {len(t)} timed calls, median {1e3 * t[len(t) // 2]:.2f} ms")
    return times[0], times[warmup:]


def bench(stem, batch, steps, warmup, infer_steps, channels_last, seed, device, budget, autocast=""):
    torch.manual_seed(seed)
    net = ResNet18(small_stem=(stem == "small"))
    mf = torch.channels_last if channels_last else torch.contiguous_format
    net = net.to(device=device, memory_format=mf)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    # A few distinct batches, cycled, so no step sees the exact same input.
    xs = [torch.randn(batch, 1, 48, 48, generator=gen).to(device).contiguous(memory_format=mf) for _ in range(4)]
    ys = [torch.randint(0, 7, (batch,), generator=gen).to(device) for _ in range(4)]
    state = {"i": 0}
    # --autocast bf16: PyTorch's automatic mixed precision on the device
    # (convolutions and matmuls in bfloat16, weights and batch norm float32).
    amp = lambda: torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast == "bf16")

    def train_step():
        i = state["i"] % len(xs)
        state["i"] += 1
        net.train()
        opt.zero_grad(set_to_none=True)
        with amp():
            loss = F.cross_entropy(net(xs[i]), ys[i])
        loss.backward()
        opt.step()
        sync(device)
        return loss.item()

    def infer_step():
        i = state["i"] % len(xs)
        state["i"] += 1
        net.eval()
        with torch.inference_mode(), amp():
            return net(xs[i]).sum().item()

    train_first, train_times = timed(train_step, warmup, steps, f"{stem} train", budget)
    infer_first, infer_times = timed(infer_step, warmup, infer_steps, f"{stem} inference", budget)
    return {
        "stem": stem,
        "batch": batch,
        "train_images_per_s": batch * len(train_times) / sum(train_times),
        "infer_images_per_s": batch * len(infer_times) / sum(infer_times),
        "train_first_step_s": train_first,
        "infer_first_step_s": infer_first,
        "train_step_s": train_times,
        "infer_step_s": infer_times,
        "peak_rss_mib": peak_rss_mib(),
        "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def profile_phases(stem, batch, steps, warmup, fmt, seed, device, budget):
    """Times the three phases of a training step of ResNet18 (stem) in memory
    format fmt ("nchw" or "channels_last"): forward in training mode with the
    loss; forward + backward (gradients, no update); the full step with
    torch.optim.SGD (momentum 0.9, weight decay 1e-4), as bench() does."""
    torch.manual_seed(seed)
    mf = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
    net = ResNet18(small_stem=(stem == "small")).to(device=device, memory_format=mf)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    xs = [torch.randn(batch, 1, 48, 48, generator=gen).to(device).contiguous(memory_format=mf) for _ in range(4)]
    ys = [torch.randint(0, 7, (batch,), generator=gen).to(device) for _ in range(4)]
    state = {"i": 0}

    def batch_i():
        i = state["i"] % len(xs)
        state["i"] += 1
        return xs[i], ys[i]

    def forward():
        x, y = batch_i()
        loss = F.cross_entropy(net(x), y)
        sync(device)
        return loss.item()

    def forward_backward():
        x, y = batch_i()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        sync(device)
        return loss.item()

    def step():
        x, y = batch_i()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        sync(device)
        return loss.item()

    out = {"format": fmt}
    for name, fn in (("forward", forward), ("forward_backward", forward_backward), ("step", step)):
        _, out[name + "_s"] = timed(fn, warmup, steps, f"{stem} {fmt} {name}", budget)
    return out


def profile_conv(shape, batch, steps, warmup, fmt, seed, device, budget):
    """Times one F.conv2d of shape (a dict of --conv-shapes) at the batch in
    memory format fmt: forward under torch.no_grad(), and forward + backward
    (torch.autograd.grad of sum(y * dy) with respect to input and kernel)."""
    gen = torch.Generator().manual_seed(seed)
    k, s, p = shape["kernel"], shape["stride"], shape["pad"]
    ho = (shape["in_h"] + 2 * p - k) // s + 1
    wo = (shape["in_w"] + 2 * p - k) // s + 1
    mf = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
    x = torch.randn(batch, shape["in_c"], shape["in_h"], shape["in_w"], generator=gen)
    w = torch.randn(shape["out_c"], shape["in_c"], k, k, generator=gen) * (2.0 / (k * k * shape["out_c"])) ** 0.5
    dy = torch.randn(batch, shape["out_c"], ho, wo, generator=gen)
    x, w, dy = (t.to(device).contiguous(memory_format=mf) for t in (x, w, dy))
    xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()

    def forward():
        with torch.no_grad():
            y = F.conv2d(x, w, stride=s, padding=p)
        sync(device)
        return y

    def forward_backward():
        y = F.conv2d(xg, wg, stride=s, padding=p)
        gx, gw = torch.autograd.grad((y * dy).sum(), (xg, wg))
        sync(device)
        return gx, gw

    what = f"conv {shape['key']} {fmt}"
    _, fwd = timed(forward, warmup, steps, what + " forward", budget, verbose=False)
    _, fb = timed(forward_backward, warmup, steps, what + " forward+backward", budget, verbose=False)
    return {"key": shape["key"], "format": fmt, "forward_s": fwd, "forward_backward_s": fb}


def profile(a, stem, device):
    """The --profile mode: phases per format, then each convolution shape per format."""
    formats = [f for f in a.formats.split(",") if f]
    for f in formats:
        if f not in ("nchw", "channels_last"):
            raise SystemExit(f"unknown format {f!r} (want nchw or channels_last)")
    shapes = json.loads(a.conv_shapes) if a.conv_shapes else []
    phases = [profile_phases(stem, a.batch, a.steps, a.warmup, f, a.seed, device, a.budget) for f in formats]
    convs = []
    for shape in shapes:
        for f in formats:
            convs.append(profile_conv(shape, a.batch, a.conv_steps, a.conv_warmup, f, a.seed, device, a.budget))
    return {"stem": stem, "batch": a.batch, "phases": phases, "convs": convs}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=10, help="timed training steps")
    p.add_argument("--infer-steps", type=int, default=0, help="timed inference steps (default: --steps)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps before the timed ones")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (default: all CPUs)")
    p.add_argument("--stems", default="standard", help="comma-separated: standard, small")
    p.add_argument("--channels-last", action="store_true", help="NHWC (channels_last) memory format")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--budget", type=float, default=0, help="stop a phase's timed steps after this many seconds (at least 2 run)")
    p.add_argument("--autocast", default="", help="bf16: run under torch.autocast to bfloat16 (default: float32)")
    p.add_argument("--profile", action="store_true", help="profile phases and convolutions instead (see above); one stem")
    p.add_argument("--formats", default="nchw,channels_last", help="--profile: memory formats, comma-separated: nchw, channels_last")
    p.add_argument("--conv-shapes", default="", help="--profile: JSON list of convolution shapes")
    p.add_argument("--conv-steps", type=int, default=20, help="--profile: timed calls per convolution and pass")
    p.add_argument("--conv-warmup", type=int, default=3, help="--profile: untimed calls per convolution and pass (the first included)")
    a = p.parse_args()
    if a.batch < 1 or a.steps < 1 or a.warmup < 0:
        p.error("--batch and --steps must be >= 1, --warmup >= 0")
    stems = [s for s in a.stems.split(",") if s]
    for s in stems:
        if s not in ("standard", "small"):
            p.error(f"unknown stem {s!r} (want standard or small)")
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    infer_steps = a.infer_steps or a.steps
    device = torch.device(a.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: torch.cuda.is_available() is False")
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "channels_last": a.channels_last,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
    }
    if a.profile:
        if len(stems) != 1:
            p.error("--profile measures one stem")
        if a.conv_steps < 1 or a.conv_warmup < 0:
            p.error("--conv-steps must be >= 1, --conv-warmup >= 0")
        out["profile"] = profile(a, stems[0], device)
    else:
        if a.autocast not in ("", "bf16"):
            p.error(f"unknown --autocast {a.autocast!r} (want bf16)")
        out["autocast"] = a.autocast
        out["results"] = [bench(s, a.batch, a.steps, a.warmup, infer_steps, a.channels_last, a.seed, device, a.budget, a.autocast) for s in stems]
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
