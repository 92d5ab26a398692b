"""Reference for weight_norm_linear: torch's weight_norm parametrisation of nn.Linear."""

import torch
from torch import nn


def reference(module, x):
    """torch.nn.utils.parametrizations.weight_norm on an nn.Linear holding the module's g, v and bias."""
    out_features, in_features = module.v.shape
    linear = nn.Linear(in_features, out_features, bias=module.bias is not None).to(x.dtype)
    linear = nn.utils.parametrizations.weight_norm(linear, dim=0)
    with torch.no_grad():
        linear.parametrizations.weight.original0.copy_(module.g[:, None])
        linear.parametrizations.weight.original1.copy_(module.v)
        if module.bias is not None:
            linear.bias.copy_(module.bias)
    return linear(x)
