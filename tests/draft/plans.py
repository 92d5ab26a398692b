"""Hand-made plans for the drafter's tests (plain dataclasses, as the planner would produce them).

Evidence strings quote the papers; the tests never depend on the planner, so the drafter is tested on
its own and these plans document what it expects from one.
"""

from __future__ import annotations

from agent.types import Paper, Plan, PlannedComponent, PlannedEquation, PlannedHyperparameter


def _hp(value: object, evidence: str, section: str | None = None, source: str = "paper") -> PlannedHyperparameter:
    return PlannedHyperparameter(value=value, source=source, evidence=evidence, section=section)  # type: ignore[arg-type]


def paper_stub(title: str, path: str) -> Paper:
    """A minimal Paper for plans built by hand."""
    return Paper(title=title, abstract="", sections=[], equations=[], hyperparameters=[], tables=[], algorithms=[],
                 source="latex", path=path)


ATTENTION = r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}(\frac{QK^T}{\sqrt{d_k}})V"
FFN = r"\mathrm{FFN}(x)=\max(0, xW_1 + b_1) W_2 + b_2"
LRATE = (r"lrate = d_{\text{model}}^{-0.5} \cdot \min({step\_num}^{-0.5}, "
         r"{step\_num} \cdot {warmup\_steps}^{-1.5})")


def transformer_plan() -> Plan:
    """The plan of Attention Is All You Need (base model), as the offline planner should make it."""
    optimizer = "We used the Adam optimizer with $\\beta_1=0.9$, $\\beta_2=0.98$ and $\\epsilon=10^{-9}$."
    return Plan(
        title="Attention Is All You Need",
        slug="attention_is_all_you_need",
        family="seq2seq",
        task="copy",
        arxiv_id="1706.03762",
        components=[
            PlannedComponent("model", "encoder_decoder_seq2seq", "The Transformer follows this overall architecture "
                             "using stacked self-attention and point-wise, fully connected layers for both the "
                             "encoder and decoder", "Model Architecture"),
            PlannedComponent("block", "post_norm_encoder_block", "the output of each sub-layer is "
                             "LayerNorm(x + Sublayer(x))", "Encoder and Decoder Stacks"),
            PlannedComponent("decoder_block", "post_norm_decoder_block", "the decoder inserts a third sub-layer, "
                             "which performs multi-head attention over the output of the encoder stack",
                             "Encoder and Decoder Stacks"),
            PlannedComponent("attention", "multi_head_attention", "In this work we employ $h=8$ parallel "
                             "attention layers, or heads.", "Multi-Head Attention"),
            PlannedComponent("ffn", "feed_forward_relu", "FFN(x)=max(0, xW_1 + b_1) W_2 + b_2",
                             "Position-wise Feed-Forward Networks"),
            PlannedComponent("norm", "layer_norm", "LayerNorm(x + Sublayer(x))", "Encoder and Decoder Stacks"),
            PlannedComponent("position", "sinusoidal_position", "we use sine and cosine functions of different "
                             "frequencies", "Positional Encoding"),
            PlannedComponent("loss", "label_smoothed_cross_entropy", "During training, we employed label "
                             "smoothing of value $\\epsilon_{ls}=0.1$", "Label Smoothing"),
            PlannedComponent("lr_schedule", "inverse_sqrt_warmup", "We varied the learning rate over the course "
                             "of training, according to the formula (3)", "Optimizer"),
        ],
        hyperparameters={
            "num_layers": _hp(6, "The encoder is composed of a stack of $N=6$ identical layers.", "Encoder"),
            "d_model": _hp(512, "all sub-layers in the model, as well as the embedding layers, produce outputs of "
                           "dimension $d_{\\text{model}}=512$", "Encoder"),
            "num_heads": _hp(8, "In this work we employ $h=8$ parallel attention layers, or heads.",
                             "Multi-Head Attention"),
            "d_ff": _hp(2048, "the inner-layer has dimensionality $d_{ff}=2048$",
                        "Position-wise Feed-Forward Networks"),
            "vocab_size": _hp(37000, "a shared source-target vocabulary of about 37000 tokens",
                              "Training Data and Batching"),
            "dropout": _hp(0.1, "For the base model, we use a rate of $P_{drop}=0.1$.", "Residual Dropout"),
            "label_smoothing": _hp(0.1, "we employed label smoothing of value $\\epsilon_{ls}=0.1$",
                                   "Label Smoothing"),
            "adam_beta1": _hp(0.9, optimizer, "Optimizer"),
            "adam_beta2": _hp(0.98, optimizer, "Optimizer"),
            "adam_eps": _hp(1e-9, optimizer, "Optimizer"),
            "warmup_steps": _hp(4000, "We used $warmup\\_steps=4000$.", "Optimizer"),
            "max_steps": _hp(100000, "We trained the base models for a total of 100,000 steps or 12 hours.",
                             "Hardware and Schedule"),
        },
        equations=[
            PlannedEquation("1", ATTENTION, "attention", "multi_head_attention", compiled=True, verified=True,
                            function="scaled_dot_product_attention", section="Scaled Dot-Product Attention"),
            PlannedEquation("2", FFN, "ffn", "feed_forward_relu", compiled=True, verified=True, function="ffn",
                            section="Position-wise Feed-Forward Networks"),
            PlannedEquation("3", LRATE, "lr_schedule", "inverse_sqrt_warmup", compiled=True, verified=True,
                            function="lrate", section="Optimizer"),
        ],
        paper_source="transformer",
    )


def tiny_lm_plan() -> Plan:
    """A pre-norm decoder-only LM with RMSNorm, SwiGLU and rotary positions (the bundled TinyLM example)."""
    table = "Table 1: Architecture of TinyLM."
    return Plan(
        title="TinyLM: A Small Pre-Norm Decoder-Only Language Model with RMSNorm, SwiGLU and Rotary Positions",
        slug="tiny_lm",
        family="decoder_lm",
        task="grammar_lm",
        components=[
            PlannedComponent("model", "decoder_only_lm", "a deliberately small decoder-only language model", "Model"),
            PlannedComponent("block", "pre_norm_encoder_block", "Each block normalises the input of its two "
                             "sub-layers and adds their outputs to the residual stream", "Pre-norm residual blocks"),
            PlannedComponent("attention", "multi_head_attention", "a head computes causal scaled dot-product "
                             "attention", "Causal self-attention with rotary positions", params={"bias": False}),
            PlannedComponent("norm", "rms_norm", "RMSNorm divides it by its root mean square", "RMSNorm"),
            PlannedComponent("ffn", "swiglu", "a gated linear unit with a SiLU gate, SwiGLU", "SwiGLU"),
            PlannedComponent("position", "rotary_position", "Rotary embeddings split a query or key vector",
                             "Causal self-attention with rotary positions"),
            PlannedComponent("lr_schedule", "warmup_cosine", "rises linearly over $S_w$ warmup steps to its peak "
                             "and then follows a half cosine", "Optimiser and schedule"),
        ],
        hyperparameters={
            "num_layers": _hp(4, "Layers: 4 (row: TinyLM)", table),
            "d_model": _hp(128, "d_model: 128 (row: TinyLM)", table),
            "d_ff": _hp(344, "d_ff: 344 (row: TinyLM)", table),
            "num_heads": _hp(4, "Heads: 4 (row: TinyLM)", table),
            "dropout": _hp(0.0, "Dropout: 0.0 (row: TinyLM)", table),
            "vocab_size": _hp(256, "Vocab: 256 (row: TinyLM)", table),
            "max_seq_len": _hp(128, "Context: 128 (row: TinyLM)", table),
            "norm_eps": _hp(1e-6, "where $\\epsilon = 10^{-6}$ guards against division by zero", "RMSNorm"),
            "rope_theta": _hp(10000.0, "the base is $\\rho = 10000$", "Causal self-attention with rotary positions"),
            "learning_rate": _hp(3e-4, "We use a peak learning rate of $3 \\times 10^{-4}$", "Optimiser and schedule"),
            "warmup_steps": _hp(200, "$S_w = 200$ warmup steps", "Optimiser and schedule"),
            "max_steps": _hp(5000, "$S = 5000$ steps in total", "Optimiser and schedule"),
            "adam_beta1": _hp(0.9, "AdamW with $\\beta_1 = 0.9$, $\\beta_2 = 0.95$", "Optimiser and schedule"),
            "adam_beta2": _hp(0.95, "AdamW with $\\beta_1 = 0.9$, $\\beta_2 = 0.95$", "Optimiser and schedule"),
            "adam_eps": _hp(1e-8, "$\\epsilon = 10^{-8}$", "Optimiser and schedule"),
            "weight_decay": _hp(0.1, "a weight decay of 0.1", "Optimiser and schedule"),
            "grad_clip": _hp(1.0, "Gradients are clipped to a global norm of 1.0.", "Optimiser and schedule"),
            "optimizer": _hp("adamw", "We optimise with AdamW", "Optimiser and schedule"),
        },
        equations=[
            PlannedEquation("1", r"\mathrm{RMSNorm}(x) = \frac{x}{\sqrt{\frac{1}{d_{\text{model}}}\sum_{i=1}^{"
                            r"d_{\text{model}}} x_i^2 + \epsilon}} \odot g", "norm", "rms_norm", compiled=True,
                            verified=True, section="RMSNorm"),
            PlannedEquation("3", r"\mathrm{FFN}(x) = \left( \mathrm{SiLU}(x W_1) \odot x W_3 \right) W_2", "ffn",
                            "swiglu", compiled=True, verified=True, section="SwiGLU feed-forward network"),
            PlannedEquation("5", r"\begin{pmatrix} (R_{m} q)_{2i-1} \end{pmatrix}", "position", "rotary_position",
                            note="the rotation matrix form does not compile; RotaryEmbedding implements it"),
        ],
    )
