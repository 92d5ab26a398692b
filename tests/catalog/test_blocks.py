"""Transformer blocks against nn.TransformerEncoderLayer / nn.TransformerDecoderLayer with copied weights."""

from __future__ import annotations

import torch
from torch import nn

from tests.catalog.helpers import close, load, randomize_


def _copy_attention(target: nn.MultiheadAttention, attention: nn.Module) -> None:
    with torch.no_grad():
        target.in_proj_weight.copy_(torch.cat([attention.to_q.weight, attention.to_kv.weight]))
        target.in_proj_bias.copy_(torch.cat([attention.to_q.bias, attention.to_kv.bias]))
        target.out_proj.weight.copy_(attention.to_out.weight)
        target.out_proj.bias.copy_(attention.to_out.bias)


def test_encoder_block_matches_torch():
    x = torch.randn(3, 6, 16, dtype=torch.float64)
    mask = torch.ones(6, 6, dtype=torch.bool).triu(1)
    for name, norm_first in (("post_norm_encoder_block", False), ("pre_norm_encoder_block", True)):
        for ffn, activation in (("feed_forward_relu", "relu"), ("feed_forward_gelu", "gelu")):
            module_ns = load([name], {name: {"ffn": ffn}})
            cls = getattr(module_ns, "PreNormEncoderBlock" if norm_first else "PostNormEncoderBlock")
            for causal in (False, True):
                block = randomize_(cls(d_model=16, num_heads=4, d_ff=32, dropout=0.1, causal=causal).double().eval())
                layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.1, activation=activation, batch_first=True,
                                                   norm_first=norm_first, dtype=torch.float64).eval()
                _copy_attention(layer.self_attn, block.attention)
                layer.linear1.load_state_dict(block.ffn.w_1.state_dict())
                layer.linear2.load_state_dict(block.ffn.w_2.state_dict())
                layer.norm1.load_state_dict(block.norm1.state_dict())
                layer.norm2.load_state_dict(block.norm2.state_dict())
                close(block(x), layer(x, src_mask=mask if causal else None))


def test_decoder_block_matches_torch():
    x, memory = torch.randn(2, 5, 16, dtype=torch.float64), torch.randn(2, 7, 16, dtype=torch.float64)
    mask = torch.ones(5, 5, dtype=torch.bool).triu(1)
    for name, norm_first in (("post_norm_decoder_block", False), ("pre_norm_decoder_block", True)):
        cls = getattr(load([name]), "PreNormDecoderBlock" if norm_first else "PostNormDecoderBlock")
        block = randomize_(cls(d_model=16, num_heads=4, d_ff=32, dropout=0.1).double().eval())
        layer = nn.TransformerDecoderLayer(16, 4, 32, dropout=0.1, batch_first=True, norm_first=norm_first,
                                           dtype=torch.float64).eval()
        _copy_attention(layer.self_attn, block.self_attention)
        _copy_attention(layer.multihead_attn, block.cross_attention)
        layer.linear1.load_state_dict(block.ffn.w_1.state_dict())
        layer.linear2.load_state_dict(block.ffn.w_2.state_dict())
        for norm in ("norm1", "norm2", "norm3"):
            getattr(layer, norm).load_state_dict(getattr(block, norm).state_dict())
        close(block(x, memory), layer(x, memory, tgt_mask=mask))


def test_blocks_compose_with_other_fillers():
    """An LLaMA-style block: RMSNorm, SwiGLU, grouped-query attention with RoPE; runs and is causal."""
    params = {
        "pre_norm_encoder_block": {"attention": "grouped_query_attention", "norm": "rms_norm", "ffn": "swiglu"},
        "grouped_query_attention": {"position": "rotary_position", "num_kv_heads": 2},
    }
    block = load(["pre_norm_encoder_block"], params).PreNormEncoderBlock(
        d_model=16, num_heads=4, d_ff=24, dropout=0.0, causal=True
    ).double().eval()
    assert type(block.attention).__name__ == "GroupedQueryAttention" and block.attention.num_kv_heads == 2
    assert type(block.norm1).__name__ == "RMSNorm" and type(block.ffn).__name__ == "SwiGLU"
    x = torch.randn(2, 6, 16, dtype=torch.float64)
    out = block(x)
    x2 = x.clone()
    x2[:, -1] += 1
    close(block(x2)[:, :-1], out[:, :-1])
