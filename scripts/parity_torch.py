#!/usr/bin/env python3
"""PyTorch peer of a fernb training recipe, for the per-epoch parity table.

Trains the same ResNet18 (torchvision layout, scripts/bench_torch.py) with the
same recipe as a fernb run folder's config.json: Nesterov/momentum SGD with
weight decay added to the gradient, a per-step linear warm-up then cosine
annealing stepped per epoch (fernb's Config.LRAtStep), label smoothing, batch
size with the last partial batch dropped, flip + rotation + RandomResizedCrop
+ random erasing, normalisation by the recipe's mean and std. It uses the
exact train/val split of fernb (`fer data --write-splits DIR`), and prints one
JSON line per epoch: train loss/accuracy, val accuracy, seconds.

    fer data --data DATA --write-splits /tmp/splits
    python scripts/parity_torch.py --config runs/table/13-cpu-2h/config.json \
        --splits /tmp/splits --stop-after 10 --out parity-torch.jsonl

--stop-after N trains the first N epochs of the full schedule (so the epochs
compare one to one with the first N of fernb's run); --stop-at-val 0.60 stops
after the first epoch with val accuracy >= 60 % (time to accuracy, as
fer train --stop-at-val; scripts/time-to-accuracy.sh runs both). --table RUN_DIR prints,
instead of training, the Markdown table of BENCHMARKS.md from --out (the
PyTorch epochs) and RUN_DIR/history.json (fernb's):

    python scripts/parity_torch.py --out parity-torch.jsonl --table runs/table/13-cpu-2h

The initialisation follows the config's "init": "torchvision" (fernb's
default: Kaiming-normal fan_out kernels) or "pytorch" (PyTorch's layer
defaults, about 2.4x smaller kernels: a larger effective learning rate
under batch norm, so a different training curve). Augmentation runs on
batches with affine_grid/grid_sample (bilinear, zero fill): one resample per
image, as fernb's host pipeline does with "single_resample" (without it fernb
resamples once per transform, as torchvision does); random streams differ
from fernb's, so runs agree in distribution, not bit for bit. A config with
"precision": "bf16" trains under CPU autocast to bfloat16.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torch import ResNet18  # noqa: E402


def load_split(path):
    """NAME.tsv (source, label per line) and NAME.u8 (the decoded pixels)."""
    with open(path) as f:
        ys = [int(line.rstrip("\n").split("\t")[1]) for line in f]
    with open(path[:-4] + ".u8", "rb") as f:
        pix = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
    if pix.numel() != len(ys) * 48 * 48:
        sys.exit(f"{path}: {len(ys)} labels but {pix.numel()} pixel bytes")
    return pix.reshape(len(ys), 1, 48, 48), torch.tensor(ys)


def lr_at_step(cfg, epoch, step, steps):
    lr, w = cfg["lr"], cfg.get("warmup_epochs", 0)
    if epoch < w:
        return lr * (epoch * steps + step + 1) / (w * steps)
    e = epoch - w
    if cfg["schedule"] == "cosine":
        tmax = cfg.get("t_max") or (cfg["epochs"] - w)
        eta = cfg.get("eta_min", 0.0)
        return eta + (lr - eta) * (1 + math.cos(math.pi * min(e, tmax) / tmax)) / 2
    return lr


def augment(x, a, g, mean, std):
    """x: (B,1,48,48) float in [0,1]; a: the recipe's augment config. Returns
    normalised images; erasing runs after normalisation (0 = the mean), as in
    torchvision and fernb."""
    b = x.shape[0]
    theta = torch.zeros(b, 2, 3)
    sx = torch.ones(b)
    sy = torch.ones(b)
    tx = torch.zeros(b)
    ty = torch.zeros(b)
    if a.get("resized_crop"):
        lo, hi = a.get("resized_crop_scale", [0.08, 1.0])
        rlo, rhi = a.get("resized_crop_ratio", [0.75, 4 / 3])
        area = torch.empty(b).uniform_(lo, hi, generator=g)
        logr = torch.empty(b).uniform_(math.log(rlo), math.log(rhi), generator=g)
        r = torch.exp(logr)
        w = torch.sqrt(area * r).clamp(max=1.0)
        h = torch.sqrt(area / r).clamp(max=1.0)
        sx, sy = w, h
        tx = (torch.rand(b, generator=g) * 2 - 1) * (1 - w)
        ty = (torch.rand(b, generator=g) * 2 - 1) * (1 - h)
    ang = torch.zeros(b)
    if a.get("rotate"):
        ang = (torch.rand(b, generator=g) * 2 - 1) * math.radians(a["rotate"])
    flip = torch.ones(b)
    if a.get("hflip"):
        flip = torch.where(torch.rand(b, generator=g) < 0.5, -1.0, 1.0)
    c, s = torch.cos(ang), torch.sin(ang)
    theta[:, 0, 0] = c * sx * flip
    theta[:, 0, 1] = -s * sy
    theta[:, 1, 0] = s * sx * flip
    theta[:, 1, 1] = c * sy
    theta[:, 0, 2] = tx
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    x = (x - mean) / std
    p = a.get("erase", 0.0)
    if p > 0:
        for i in torch.nonzero(torch.rand(b, generator=g) < p).flatten().tolist():
            for _ in range(10):  # torchvision RandomErasing defaults
                area = 48 * 48 * float(torch.empty(1).uniform_(0.02, 0.33, generator=g))
                r = math.exp(float(torch.empty(1).uniform_(math.log(0.3), math.log(3.3), generator=g)))
                h, w = int(round(math.sqrt(area * r))), int(round(math.sqrt(area / r)))
                if h < 48 and w < 48:
                    y0 = int(torch.randint(0, 48 - h + 1, (1,), generator=g))
                    x0 = int(torch.randint(0, 48 - w + 1, (1,), generator=g))
                    x[i, :, y0:y0 + h, x0:x0 + w] = 0
                    break
    return x


def table(torch_jsonl, run_dir):
    """Prints fernb's and PyTorch's epochs side by side (Markdown)."""
    tt = [json.loads(line) for line in open(torch_jsonl) if line.strip()]
    ff = json.load(open(os.path.join(run_dir, "history.json")))[:len(tt)]
    if len(ff) < len(tt):
        sys.exit(f"{run_dir}: {len(ff)} epochs in history.json, {len(tt)} in {torch_jsonl}")
    print("| epoch | lr | fernb train acc | PyTorch train acc | fernb val acc | PyTorch val acc "
          "| fernb s/epoch | PyTorch s/epoch |")
    print("|---|---|---|---|---|---|---|---|")
    for f, t in zip(ff, tt):
        print(f"| {t['epoch']} | {t['lr']:.4g} | {100 * f['train_acc']:.1f}% | {100 * t['train_acc']:.1f}% "
              f"| {100 * f['val_acc']:.2f}% | {100 * t['val_acc']:.2f}% | {f['seconds']:.0f} | {t['seconds']:.0f} |")
    f, t = ff[-1], tt[-1]
    print(f"\nafter {len(tt)} epochs: fernb val {100 * f['val_acc']:.2f}%, PyTorch {100 * t['val_acc']:.2f}%, "
          f"difference {100 * (f['val_acc'] - t['val_acc']):+.2f} points; best of the {len(tt)}: "
          f"fernb {100 * max(e['val_acc'] for e in ff):.2f}%, PyTorch {100 * max(e['val_acc'] for e in tt):.2f}%")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config")
    ap.add_argument("--splits")
    ap.add_argument("--stop-after", type=int, default=0)
    ap.add_argument("--stop-at-val", type=float, default=0.0,
                    help="stop after the first epoch with val accuracy >= this fraction (as fer train --stop-at-val)")
    ap.add_argument("--give-up-after", type=float, default=0.0, metavar="SECONDS",
                    help="with --stop-at-val: stop once the epochs have taken this long without reaching it "
                         "(e.g. the other side's time to the same accuracy)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default="")
    ap.add_argument("--table", default="", metavar="RUN_DIR")
    args = ap.parse_args()
    start = time.time()
    if args.table:
        if not args.out:
            sys.exit("--table needs --out (the PyTorch epochs to compare)")
        return table(args.out, args.table)
    if not args.config or not args.splits:
        sys.exit("--config and --splits are required to train")
    cfg = json.load(open(args.config))
    a = cfg.get("augment", {})
    if cfg["model"] != "resnet18" or cfg.get("small_stem") or cfg.get("dropout") or a.get("mixup") or a.get("cutmix"):
        sys.exit("parity_torch.py covers ResNet18 with the standard stem, no dropout, mixup or cutmix")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(cfg.get("seed", 1))
    g = torch.Generator().manual_seed(cfg.get("seed", 1))
    xtr, ytr = load_split(os.path.join(args.splits, "train.tsv"))
    xva, yva = load_split(os.path.join(args.splits, "val.tsv"))
    mean, std = a.get("mean", 0.0), a.get("std", 1.0) or 1.0
    model = ResNet18(small_stem=False)
    if cfg.get("init", "torchvision") == "torchvision":
        model.init_torchvision()
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg.get("momentum", 0.0),
                          nesterov=cfg["optimizer"] == "nesterov", weight_decay=cfg.get("weight_decay", 0.0))
    bs = cfg["batch_size"]
    steps = len(ytr) // bs
    epochs = args.stop_after or cfg["epochs"]
    out = open(args.out, "w") if args.out else None
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, train {len(ytr)}, val {len(yva)}, "
          f"{steps} steps of {bs}", file=sys.stderr)
    # "precision": "bf16" = fernb's bfloat16 convolutions; here PyTorch's CPU
    # autocast (convolutions and matmuls in bfloat16, the rest float32).
    if cfg.get("precision", "f32") not in ("f32", "", "bf16"):
        sys.exit(f"unknown precision {cfg['precision']!r}")
    amp = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.get("precision") == "bf16")
    sum_s, best = 0.0, 0.0
    for epoch in range(epochs):
        t0 = time.time()
        model.train()
        perm = torch.randperm(len(ytr), generator=g)
        loss_sum = correct = 0.0
        for step in range(steps):
            idx = perm[step * bs:(step + 1) * bs]
            x = augment(xtr[idx].float() / 255, a, g, mean, std)
            y = ytr[idx]
            for group in opt.param_groups:
                group["lr"] = lr_at_step(cfg, epoch, step, steps)
            with amp():
                logits = model(x)
                loss = F.cross_entropy(logits, y, label_smoothing=cfg.get("label_smoothing", 0.0))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            correct += float((logits.argmax(1) == y).sum())
        train_s = time.time() - t0
        model.eval()
        vc = 0
        with torch.no_grad(), amp():
            for i in range(0, len(yva), 512):
                x = (xva[i:i + 512].float() / 255 - mean) / std
                vc += int((model(x).argmax(1) == yva[i:i + 512]).sum())
        rec = {"epoch": epoch + 1, "train_loss": loss_sum / steps, "train_acc": correct / (steps * bs),
               "val_acc": vc / len(yva), "lr": lr_at_step(cfg, epoch, steps - 1, steps),
               "train_seconds": train_s, "seconds": time.time() - t0}
        best = max(best, rec["val_acc"])
        line = json.dumps(rec)
        print(line, flush=True)
        if out:
            out.write(line + "\n")
            out.flush()
        if args.stop_at_val and rec["val_acc"] >= args.stop_at_val:
            print(f"val accuracy {100 * rec['val_acc']:.2f}% >= {100 * args.stop_at_val:.2f}% first at epoch {epoch + 1}: "
                  f"{sum_s + rec['seconds']:.0f} s of epochs (training + validation), {time.time() - start:.0f} s wall since the script started",
                  file=sys.stderr)
            break
        sum_s += rec["seconds"]
        if args.stop_at_val and args.give_up_after and sum_s >= args.give_up_after:
            print(f"val accuracy below {100 * args.stop_at_val:.2f}% after {epoch + 1} epochs: {sum_s:.0f} s of epochs "
                  f"(>= --give-up-after {args.give_up_after:.0f} s), {time.time() - start:.0f} s wall; best "
                  f"{100 * best:.2f}%", file=sys.stderr)
            break


if __name__ == "__main__":
    main()
