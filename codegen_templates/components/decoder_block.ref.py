"""Reference for the decoder blocks: torch.nn.TransformerDecoderLayer holding the block's weights.

Valid for the default fillers (multi_head_attention, layer_norm, feed_forward_relu/_gelu).
"""

import torch
from torch import nn


def _copy_attention(target, attention):
    target.in_proj_weight.copy_(torch.cat([attention.to_q.weight, attention.to_kv.weight]))
    target.in_proj_bias.copy_(torch.cat([attention.to_q.bias, attention.to_kv.bias]))
    target.out_proj.weight.copy_(attention.to_out.weight)
    target.out_proj.bias.copy_(attention.to_out.bias)


def reference(module, x, memory):
    """torch.nn.TransformerDecoderLayer (norm_first as the block) with the block's weights, eval mode."""
    ffn = module.ffn
    layer = nn.TransformerDecoderLayer(
        x.shape[-1],
        module.self_attention.num_heads,
        ffn.w_1.out_features,
        dropout=0.0,
        activation=ffn.activation,
        layer_norm_eps=module.norm1.eps,
        batch_first=True,
        norm_first=module.norm_first,
        dtype=x.dtype,
    ).eval()
    with torch.no_grad():
        _copy_attention(layer.self_attn, module.self_attention)
        _copy_attention(layer.multihead_attn, module.cross_attention)
        layer.linear1.load_state_dict(ffn.w_1.state_dict())
        layer.linear2.load_state_dict(ffn.w_2.state_dict())
        for name in ("norm1", "norm2", "norm3"):
            getattr(layer, name).load_state_dict(getattr(module, name).state_dict())
    n = x.shape[1]
    mask = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)
    return layer(x, memory, tgt_mask=mask, tgt_is_causal=True)
