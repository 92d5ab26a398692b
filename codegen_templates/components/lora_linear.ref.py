"""Reference for lora_linear: one torch linear map with the merged weight W_0 + (alpha / r) B A."""

import torch.nn.functional as F


def reference(module, x):
    """F.linear(x, W_0 + scaling * B @ A, b) when unmerged; F.linear(x, W, b) when merged."""
    weight = module.weight if module.merged else module.weight + module.scaling * module.lora_b @ module.lora_a
    return F.linear(x, weight, module.bias)
