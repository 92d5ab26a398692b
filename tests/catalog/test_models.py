"""Whole models against stacks of torch built-ins holding the same weights (float64, 1e-6)."""

from __future__ import annotations

import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tests.catalog.helpers import close, load, randomize_, symbol


def _copy_attention(target: nn.MultiheadAttention, attention: nn.Module) -> None:
    with torch.no_grad():
        target.in_proj_weight.copy_(torch.cat([attention.to_q.weight, attention.to_kv.weight]))
        target.in_proj_bias.copy_(torch.cat([attention.to_q.bias, attention.to_kv.bias]))
        target.out_proj.weight.copy_(attention.to_out.weight)
        target.out_proj.bias.copy_(attention.to_out.bias)


def _torch_encoder_layer(block: nn.Module, *, norm_first: bool, activation: str = "relu") -> nn.Module:
    d_model, d_ff = block.ffn.w_1.in_features, block.ffn.w_1.out_features
    layer = nn.TransformerEncoderLayer(d_model, block.attention.num_heads, d_ff, dropout=0.0, activation=activation,
                                       batch_first=True, norm_first=norm_first, dtype=torch.float64).eval()
    _copy_attention(layer.self_attn, block.attention)
    layer.linear1.load_state_dict(block.ffn.w_1.state_dict())
    layer.linear2.load_state_dict(block.ffn.w_2.state_dict())
    layer.norm1.load_state_dict(block.norm1.state_dict())
    layer.norm2.load_state_dict(block.norm2.state_dict())
    return layer


def test_patch_embedding_matches_conv2d():
    module = randomize_(symbol("vit_patch_embedding")(image_size=8, patch_size=4, in_channels=3, d_model=6).double())
    images = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    conv = nn.Conv2d(3, 6, kernel_size=4, stride=4, dtype=torch.float64)  # timm's PatchEmbed
    with torch.no_grad():
        # E acts on (p1 p2 c)-flattened patches; the conv kernel is (d, c, p1, p2)
        conv.weight.copy_(module.proj.weight.view(6, 4, 4, 3).permute(0, 3, 1, 2))
        conv.bias.copy_(module.proj.bias)
    tokens = conv(images).flatten(2).transpose(1, 2)  # (b, N, d), patches in row-major order
    expected = torch.cat([module.cls_token.expand(2, -1, -1), tokens], dim=1) + module.pos_embedding  # eq. (1)
    close(module(images), expected)


def test_decoder_only_lm_matches_torch_stack():
    model = randomize_(symbol("decoder_only_lm")(vocab_size=11, d_model=16, num_layers=2, num_heads=4, d_ff=32,
                                                 max_seq_len=16, dropout=0.1).double().eval())
    assert model.lm_head.weight is model.embed.weight  # tied
    tokens = torch.randint(0, 11, (3, 7))
    x = F.embedding(tokens, model.embed.weight) + model.position.weight[:7]
    mask = nn.Transformer.generate_square_subsequent_mask(7, dtype=torch.float64)
    for block in model.blocks:
        x = _torch_encoder_layer(block, norm_first=True)(x, src_mask=mask, is_causal=True)
    x = F.layer_norm(x, (16,), model.norm.weight, model.norm.bias, model.norm.eps)
    close(model(tokens), x @ model.embed.weight.T)


def test_seq2seq_matches_torch_transformer():
    for final_norm in ("", "layer_norm"):
        cls = load(["encoder_decoder_seq2seq"], {"encoder_decoder_seq2seq": {"norm": final_norm}}).Seq2SeqTransformer
        model = randomize_(cls(vocab_size=13, d_model=16, num_layers=2, num_heads=4, d_ff=32, max_seq_len=32,
                               dropout=0.1).double().eval())
        ref = nn.Transformer(16, 4, 2, 2, 32, dropout=0.0, batch_first=True, dtype=torch.float64).eval()
        for ours, theirs in zip(model.encoder, ref.encoder.layers, strict=True):
            theirs.load_state_dict(_torch_encoder_layer(ours, norm_first=False).state_dict())
        for ours, theirs in zip(model.decoder, ref.decoder.layers, strict=True):
            _copy_attention(theirs.self_attn, ours.self_attention)
            _copy_attention(theirs.multihead_attn, ours.cross_attention)
            for name in ("linear1", "linear2"):
                getattr(theirs, name).load_state_dict(getattr(ours.ffn, "w_1" if name == "linear1" else "w_2")
                                                      .state_dict())
            for name in ("norm1", "norm2", "norm3"):
                getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())
        if final_norm:
            ref.encoder.norm.load_state_dict(model.encoder_norm.state_dict())
            ref.decoder.norm.load_state_dict(model.decoder_norm.state_dict())
        else:
            ref.encoder.norm = ref.decoder.norm = None
        src, tgt = torch.randint(0, 13, (2, 6)), torch.randint(0, 13, (2, 5))

        def embed(tokens: torch.Tensor) -> torch.Tensor:  # §3.4: shared weights times sqrt(d_model), + PE
            return model.position(F.embedding(tokens, model.embed.weight) * 16**0.5)

        mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
        out = ref(embed(src), embed(tgt), tgt_mask=mask, tgt_is_causal=True)
        close(model(src, tgt), out @ model.embed.weight.T)


def test_encoder_classifier_matches_torch_stack():
    model = randomize_(symbol("encoder_classifier")(vocab_size=11, num_classes=3, d_model=16, num_layers=2,
                                                    num_heads=4, d_ff=32, max_seq_len=16, dropout=0.1)
                       .double().eval())
    tokens = torch.randint(0, 11, (4, 6))
    x = F.embedding(tokens, model.embed.weight) + model.position.weight[:6]
    for block in model.blocks:
        x = _torch_encoder_layer(block, norm_first=False)(x)
    close(model(tokens), F.linear(x.mean(dim=1), model.head.weight, model.head.bias))
    cls_model = load(["encoder_classifier"], {"encoder_classifier": {"pool": "cls"}}).EncoderClassifier(
        vocab_size=11, num_classes=3, d_model=16, num_layers=1, num_heads=4, d_ff=32, max_seq_len=16, dropout=0.0
    ).double().eval()
    x = torch.cat([cls_model.cls_token.expand(4, 1, 16), F.embedding(tokens, cls_model.embed.weight)], dim=1)
    x = _torch_encoder_layer(cls_model.blocks[0], norm_first=False)(x + cls_model.position.weight[:7])
    close(cls_model(tokens), F.linear(x[:, 0], cls_model.head.weight, cls_model.head.bias))


def test_vit_classifier_matches_torch_stack():
    params = {"pre_norm_encoder_block": {"ffn": "feed_forward_gelu"}}
    model = randomize_(load(["vit_classifier"], params).VisionTransformer(
        image_size=8, patch_size=4, in_channels=3, num_classes=5, d_model=16, num_layers=2, num_heads=4, d_ff=32,
        dropout=0.1).double().eval())
    images = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    embed = model.patch_embedding
    kernel = embed.proj.weight.view(16, 4, 4, 3).permute(0, 3, 1, 2)
    tokens = F.conv2d(images, kernel, embed.proj.bias, stride=4).flatten(2).transpose(1, 2)
    z = torch.cat([embed.cls_token.expand(2, -1, -1), tokens], dim=1) + embed.pos_embedding  # eq. (1)
    for block in model.blocks:
        z = _torch_encoder_layer(block, norm_first=True, activation="gelu")(z)  # eqs. (2)-(3)
    y = F.layer_norm(z[:, 0], (16,), model.norm.weight, model.norm.bias, model.norm.eps)  # eq. (4)
    close(model(images), F.linear(y, model.head.weight, model.head.bias))


def test_differential_attention_gets_each_layers_lambda_init():
    """lambda_init = 0.8 - 0.6 exp(-0.3 (l - 1)) depends on the layer l (Diff Transformer eq. (2)): the model
    numbers its blocks and the block hands the number to the attention; other stacks are unchanged."""
    params = {"decoder_only_lm": {"block": "pre_norm_encoder_block", "position": ""},
              "pre_norm_encoder_block": {"attention": "differential_attention", "norm": "rms_norm", "ffn": "swiglu"}}
    module = load(["decoder_only_lm"], params)
    net = module.DecoderOnlyLM(vocab_size=11, d_model=16, num_layers=3, num_heads=2, d_ff=32, max_seq_len=8)
    expected = [0.8 - 0.6 * math.exp(-0.3 * (layer - 1)) for layer in (1, 2, 3)]
    assert [block.attention.lambda_init for block in net.blocks] == pytest.approx(expected)
    plain = load(["decoder_only_lm"], {"decoder_only_lm": {"block": "pre_norm_encoder_block", "position": ""}})
    assert "layer_index" not in inspect.signature(plain.PreNormEncoderBlock).parameters
