"""Reference for grouped/multi-query attention: torch's SDPA with enable_gqa on the module's weights."""

import torch.nn.functional as F


def reference(module, x, context=None):
    """F.scaled_dot_product_attention(..., enable_gqa=True) with the module's projections."""
    source = x if context is None else context
    b, n, _ = x.shape
    q = F.linear(x, module.to_q.weight, module.to_q.bias).view(b, n, module.num_heads, -1).transpose(1, 2)
    kv = F.linear(source, module.to_kv.weight, module.to_kv.bias)
    k, v = kv.view(b, source.shape[1], 2, module.num_kv_heads, -1).permute(2, 0, 3, 1, 4)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=module.causal and context is None, enable_gqa=True)
    return F.linear(out.transpose(1, 2).reshape(b, n, -1), module.to_out.weight, module.to_out.bias)
