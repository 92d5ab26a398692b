"""Forward+backward speed of the catalog's generated encoder layer against nn.TransformerEncoderLayer.

The generated layer is ``post_norm_encoder_block`` rendered with its defaults (multi_head_attention on
F.scaled_dot_product_attention, layer_norm, feed_forward_relu); the trusted one is
``torch.nn.TransformerEncoderLayer`` of the same size (batch_first, post-norm, ReLU). Both run in training
mode with the same dropout; timings alternate between the two so that machine load hits both alike.

    python benchmarks/attention_speed.py                 # d_model 512, 8 heads, d_ff 2048, b 8, n 128
    python benchmarks/attention_speed.py --check 1.15    # exit 1 when slower than 1.15x
    python benchmarks/attention_speed.py --device cuda --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import types

import torch
from torch import nn

from agent.catalog import render_module


def generated_layer_class() -> type[nn.Module]:
    """Render the encoder block and its fillers into a module and return the block class."""
    source = render_module(["post_norm_encoder_block"])
    module = types.ModuleType("generated_encoder_block")
    exec(compile(source, "<generated encoder block>", "exec"), module.__dict__)
    return module.PostNormEncoderBlock


def _step(layer: nn.Module, x: torch.Tensor) -> None:
    layer.zero_grad(set_to_none=True)
    layer(x).sum().backward()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(args: argparse.Namespace) -> dict:
    device = torch.device(args.device)
    torch.manual_seed(0)
    ours = generated_layer_class()(
        d_model=args.d_model, num_heads=args.heads, d_ff=args.d_ff, dropout=args.dropout
    ).to(device).train()
    theirs = nn.TransformerEncoderLayer(
        args.d_model, args.heads, args.d_ff, dropout=args.dropout, batch_first=True
    ).to(device).train()
    x = torch.randn(args.batch, args.seq, args.d_model, device=device, requires_grad=True)
    for _ in range(args.warmup):
        _step(ours, x)
        _step(theirs, x)
    times: dict[str, list[float]] = {"generated": [], "torch": []}
    for _ in range(args.reps):
        for name, layer in (("generated", ours), ("torch", theirs)):
            _sync(device)
            start = time.perf_counter()
            _step(layer, x)
            _sync(device)
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in times.items()}
    best = {name: min(values) for name, values in times.items()}
    params = {name: sum(p.numel() for p in layer.parameters()) for name, layer in (("generated", ours),
                                                                                    ("torch", theirs))}
    return {
        "config": {k: getattr(args, k) for k in ("d_model", "heads", "d_ff", "batch", "seq", "dropout", "reps")},
        "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "parameters": params,
        "median_ms": {k: round(v * 1e3, 3) for k, v in median.items()},
        "best_ms": {k: round(v * 1e3, 3) for k, v in best.items()},
        "ratio_median": round(median["generated"] / median["torch"], 4),
        "ratio_best": round(best["generated"] / best["torch"], 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d-model", dest="d_model", type=int, default=512)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--d-ff", dest="d_ff", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--check", type=float, default=None, help="exit 1 when the median ratio exceeds this")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    result = measure(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        cfg = result["config"]
        print(f"encoder layer d_model={cfg['d_model']} heads={cfg['heads']} d_ff={cfg['d_ff']} "
              f"batch={cfg['batch']} seq={cfg['seq']} on {result['device']} ({result['threads']} threads), "
              f"torch {result['torch']}")
        for name in ("generated", "torch"):
            print(f"  {name:9s} forward+backward median {result['median_ms'][name]:9.3f} ms  "
                  f"best {result['best_ms'][name]:9.3f} ms  params {result['parameters'][name]}")
        print(f"  ratio generated/torch: median {result['ratio_median']:.3f}, best {result['ratio_best']:.3f}")
    if args.check is not None and result["ratio_median"] > args.check:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
