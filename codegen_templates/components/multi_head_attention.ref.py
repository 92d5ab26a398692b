"""Reference for multi_head_attention: torch's own multi-head attention on the module's weights."""

import torch
import torch.nn.functional as F


def reference(module, x, context=None):
    """torch.nn.functional.multi_head_attention_forward with the module's projections."""
    source = x if context is None else context
    n, m = x.shape[1], source.shape[1]
    causal = module.causal and context is None
    mask = torch.ones(n, m, dtype=torch.bool, device=x.device).triu(1) if causal else None
    in_bias = None
    if module.to_q.bias is not None:
        in_bias = torch.cat([module.to_q.bias, module.to_kv.bias])
    out, _ = F.multi_head_attention_forward(
        x.transpose(0, 1),
        source.transpose(0, 1),
        source.transpose(0, 1),
        x.shape[-1],
        module.num_heads,
        torch.cat([module.to_q.weight, module.to_kv.weight]),
        in_bias,
        None,
        None,
        False,
        0.0,
        module.to_out.weight,
        module.to_out.bias,
        training=False,
        need_weights=False,
        attn_mask=mask,
    )
    return out.transpose(0, 1)
