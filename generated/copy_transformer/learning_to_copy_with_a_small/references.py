"""Trusted reference implementations (torch built-ins holding a module's own weights) that the
components of model.py are checked against: `reference =` in paper2code.toml, tests/test_model.py.

From paper2code's catalog:

- decoder_block.ref.py: Reference for the decoder blocks: torch.nn.TransformerDecoderLayer holding the block's
  weights
- encoder_block.ref.py: Reference for the encoder blocks: torch.nn.TransformerEncoderLayer holding the block's
  weights
- feed_forward_relu.ref.py: Reference for feed_forward_relu: torch.nn.functional ops on the module's weights
- multi_head_attention.ref.py: Reference for multi_head_attention: torch's own multi-head attention on the module's
  weights
- norm.ref.py: References for the normalisation components: torch's functional kernels on the module's weights
"""

import torch
import torch.nn.functional as F
from torch import nn


def _decoder_block_copy_attention(target, attention):
    target.in_proj_weight.copy_(torch.cat([attention.to_q.weight, attention.to_kv.weight]))
    target.in_proj_bias.copy_(torch.cat([attention.to_q.bias, attention.to_kv.bias]))
    target.out_proj.weight.copy_(attention.to_out.weight)
    target.out_proj.bias.copy_(attention.to_out.bias)


def decoder_block_reference(module, x, memory):
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
        _decoder_block_copy_attention(layer.self_attn, module.self_attention)
        _decoder_block_copy_attention(layer.multihead_attn, module.cross_attention)
        layer.linear1.load_state_dict(ffn.w_1.state_dict())
        layer.linear2.load_state_dict(ffn.w_2.state_dict())
        for name in ("norm1", "norm2", "norm3"):
            getattr(layer, name).load_state_dict(getattr(module, name).state_dict())
    n = x.shape[1]
    mask = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)
    return layer(x, memory, tgt_mask=mask, tgt_is_causal=True)


def encoder_block_reference(module, x):
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


def feed_forward_relu_reference(module, x):
    """linear2(relu(linear1(x))), the feed-forward half of torch.nn.TransformerEncoderLayer."""
    hidden = F.relu(F.linear(x, module.w_1.weight, module.w_1.bias))
    return F.linear(hidden, module.w_2.weight, module.w_2.bias)


def multi_head_attention_reference(module, x, context=None):
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


def layer_norm_reference(module, x):
    """torch.nn.functional.layer_norm."""
    return F.layer_norm(x, x.shape[-1:], module.weight, module.bias, module.eps)


def rms_norm_reference(module, x):
    """torch.nn.functional.rms_norm."""
    return F.rms_norm(x, x.shape[-1:], module.weight, module.eps)


def batch_norm_reference(module, x):
    """torch.nn.functional.batch_norm in eval mode (running statistics), features last."""
    flat = x.reshape(-1, x.shape[-1])
    stats = (module.running_mean, module.running_var)
    out = F.batch_norm(flat, *stats, module.weight, module.bias, training=False, eps=module.eps)
    return out.reshape(x.shape)


def group_norm_reference(module, x):
    """torch.nn.functional.group_norm."""
    return F.group_norm(x, module.num_groups, module.weight, module.bias, module.eps)
