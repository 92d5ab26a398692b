"""TinyLM: A Small Pre-Norm Decoder-Only Language Model with RMSNorm, SwiGLU and Rotary Positions: the
LightningModule that trains the model of model.py.

Loss: cross-entropy (label_smoothing = 0: no smoothing unless the paper states it).
Optimiser: AdamW(beta1=0.9, beta2=0.95, eps=1e-08, weight_decay=0.1).
Learning rate: warmup_cosine_lr: linear warmup then cosine decay, times learning_rate.
Logged: train_loss and lr every step, val_loss on validation batches.
"""

import functools
import math
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import Tensor

from tinylm.model import Config, LanguageModel


def label_smoothed_cross_entropy(
    logits: Tensor, target: Tensor, *, smoothing: float = 0.0, ignore_index: int = -100
) -> Tensor:
    """Cross-entropy against the smoothed distribution q'(k) = (1 - eps) delta(k, y) + eps / K
    (Szegedy et al., 2016, §7); positions whose target is ``ignore_index`` are left out.

    Shapes: logits (... k), target (...) integer classes; returns a scalar mean.
    """
    log_probs = F.log_softmax(logits, dim=-1)
    keep = target != ignore_index
    nll = -log_probs.gather(-1, target.masked_fill(~keep, 0).unsqueeze(-1)).squeeze(-1)  # -log p(y)
    uniform = -log_probs.mean(dim=-1)  # -1/K sum_k log p(k)
    loss = (1 - smoothing) * nll + smoothing * uniform  # §7
    return (loss * keep).sum() / keep.sum().clamp(min=1)


def warmup_cosine_lr(
    step: int, *, warmup_steps: int = 200, max_steps: int = 5000, min_lr_ratio: float = 0.1
) -> float:
    """Linear warmup to the base learning rate, then cosine decay to ``min_lr_ratio`` of it
    (Loshchilov & Hutter, 2017, eq. (5)).

    ``step`` counts optimizer steps from 0; the factor is (step + 1) / warmup_steps during warmup, then
    min_lr_ratio + (1 - min_lr_ratio) (1 + cos(pi (step - warmup_steps) / (max_steps - warmup_steps))) / 2.
    Use it as ``torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine_lr)``.
    """
    assert 0 < warmup_steps < max_steps, "warmup must end before training does"
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(step - warmup_steps, max_steps - warmup_steps) / (max_steps - warmup_steps)
    return min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))  # eq. (5)



class LitModel(pl.LightningModule):
    """Trains LanguageModel (decoder-only language model trained on sentences of a synthetic grammar).

    The arguments are the Config fields of model.py (the architecture) and the optimisation settings, so that
    LightningCLI (train.py) and config.yaml set every one of them; the defaults are the paper's.
    """

    def __init__(
        self,
        *,
        vocab_size: int = 256,
        d_model: int = 128,
        num_layers: int = 4,
        num_heads: int = 4,
        d_ff: int = 344,
        max_seq_len: int = 128,
        dropout: float = 0.0,
        # paper: "We use a peak learning rate of $3 \times 10^{-4}$, $S_w = 200$ warmup steps and $S = 5000$ steps
        # in total." (Optimiser and schedule)
        learning_rate: float = 0.0003,
        # paper: "We optimise with AdamW [cite] with $\beta_1 = 0.9$, $\beta_2 = 0.95$, $\epsilon = 10^{-8}$ and a
        # weight decay of 0.1, applied to the weight matrices but not..."
        optimizer: str = "adamw",
        # paper: "We optimise with AdamW [cite] with $\beta_1 = 0.9$, $\beta_2 = 0.95$, $\epsilon = 10^{-8}$ and a
        # weight decay of 0.1, applied to the weight matrices but not..." (Optimiser and schedule)
        adam_beta1: float = 0.9,
        # paper: "We optimise with AdamW [cite] with $\beta_1 = 0.9$, $\beta_2 = 0.95$, $\epsilon = 10^{-8}$ and a
        # weight decay of 0.1, applied to the weight matrices but not..." (Optimiser and schedule)
        adam_beta2: float = 0.95,
        # paper: "We optimise with AdamW [cite] with $\beta_1 = 0.9$, $\beta_2 = 0.95$, $\epsilon = 10^{-8}$ and a
        # weight decay of 0.1, applied to the weight matrices but not..." (Optimiser and schedule)
        adam_eps: float = 1e-08,
        # paper: "We optimise with AdamW [cite] with $\beta_1 = 0.9$, $\beta_2 = 0.95$, $\epsilon = 10^{-8}$ and a
        # weight decay of 0.1, applied to the weight matrices but not..." (Optimiser and schedule)
        weight_decay: float = 0.1,
        # paper: "We use a peak learning rate of $3 \times 10^{-4}$, $S_w = 200$ warmup steps and $S = 5000$ steps
        # in total." (Optimiser and schedule)
        warmup_steps: int = 200,
        # paper: "Steps: 5000" (Table 2: Optimisation settings of TinyLM.)
        max_steps: int = 5000,
        # assumed: not stated in the paper; default of warmup_cosine
        min_lr_ratio: float = 0.1,
        # assumed: not stated in the paper: plain cross-entropy, no label smoothing
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.config = Config(
            vocab_size=vocab_size,
            d_model=d_model,
            num_layers=num_layers,
            num_heads=num_heads,
            d_ff=d_ff,
            max_seq_len=max_seq_len,
            dropout=dropout,
        )
        self.model = LanguageModel(self.config)

    def forward(self, tokens: Tensor) -> Tensor:
        return self.model(tokens)  # (b, n, v)

    def _loss(self, batch: tuple[Tensor]) -> Tensor:
        (tokens,) = batch  # (b, n + 1): predict token t + 1 from tokens 1..t
        logits = self(tokens[:, :-1])
        return label_smoothed_cross_entropy(
            logits, tokens[:, 1:], smoothing=self.hparams.label_smoothing
        )

    def training_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> Tensor:
        loss = self._loss(batch)
        self.log("train_loss", loss, prog_bar=True)
        self.log("lr", self.optimizers().param_groups[0]["lr"], prog_bar=True)
        return loss

    def validation_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> None:
        self.log("val_loss", self._loss(batch), prog_bar=True, sync_dist=True)  # averaged over devices

    def configure_optimizers(self) -> Any:
        """The paper's optimiser and schedule (module docstring); no weight decay on gains, biases or scalars."""
        trainable = [p for p in self.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in trainable if p.ndim >= 2], "weight_decay": self.hparams.weight_decay},
            {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0},
        ]
        optimizer_class = torch.optim.AdamW if self.hparams.optimizer == "adamw" else torch.optim.Adam
        optimizer = optimizer_class(
            [g for g in groups if g["params"]],
            lr=self.hparams.learning_rate,
            betas=(self.hparams.adam_beta1, self.hparams.adam_beta2),
            eps=self.hparams.adam_eps,
        )
        schedule = functools.partial(
            warmup_cosine_lr,
            warmup_steps=self.hparams.warmup_steps,
            max_steps=self.hparams.max_steps,
            min_lr_ratio=self.hparams.min_lr_ratio,
        )
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)  # lr = learning_rate * factor
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
