"""Reference for the encoder blocks: torch.nn.TransformerEncoderLayer holding the block's weights.

Valid for the default fillers (multi_head_attention, layer_norm, feed_forward_relu/_gelu).
"""

import torch
from torch import nn


def reference(module, x):
    """torch.nn.TransformerEncoderLayer (norm_first as the block) with the block's weights, eval mode."""
    d_model = x.shape[-1]
    attention, ffn = module.attention, module.ffn
    layer = nn.TransformerEncoderLayer(
        d_model,
        attention.num_heads,
        ffn.w_1.out_features,
        dropout=0.0,
        activation=ffn.activation,
        layer_norm_eps=module.norm1.eps,
        batch_first=True,
        norm_first=module.norm_first,
        dtype=x.dtype,
    ).eval()
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(torch.cat([attention.to_q.weight, attention.to_kv.weight]))
        layer.self_attn.in_proj_bias.copy_(torch.cat([attention.to_q.bias, attention.to_kv.bias]))
        layer.self_attn.out_proj.weight.copy_(attention.to_out.weight)
        layer.self_attn.out_proj.bias.copy_(attention.to_out.bias)
        layer.linear1.load_state_dict(ffn.w_1.state_dict())
        layer.linear2.load_state_dict(ffn.w_2.state_dict())
        layer.norm1.load_state_dict(module.norm1.state_dict())
        layer.norm2.load_state_dict(module.norm2.state_dict())
    n = x.shape[1]
    mask = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1) if attention.causal else None
    return layer(x, src_mask=mask)

