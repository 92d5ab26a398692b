"""Learning to Copy with a Small Post-Norm Encoder-Decoder Transformer: the LightningModule that trains the model of
model.py.

Loss: cross-entropy against labels smoothed with epsilon_ls = 0.1 (Szegedy et al).
Optimiser: Adam(beta1=0.9, beta2=0.98, eps=1e-09, weight_decay=0.0).
Learning rate: transformer_lr: d_model^-0.5 * min(step^-0.5, step * warmup^-1.5), warmup 400 steps (eq. (3), §5.3),
times learning_rate.
Logged: train_loss and lr every step, val_loss on validation batches.
"""

import functools
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import Tensor

from learning_to_copy_with_a_small.data import BOS, PAD
from learning_to_copy_with_a_small.model import Config, Seq2SeqModel


def label_smoothed_cross_entropy(
    logits: Tensor, target: Tensor, *, smoothing: float = 0.1, ignore_index: int = -100
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


def transformer_lr(step: int, *, d_model: int = 64, warmup_steps: int = 400) -> float:
    """lrate = d_model^-0.5 * min(step_num^-0.5, step_num * warmup_steps^-1.5) (Vaswani et al., 2017, eq. (3), §5.3).

    ``step`` counts optimizer steps from 0 (step_num = step + 1). Returns the learning rate itself: use it
    as ``torch.optim.lr_scheduler.LambdaLR(optimizer, transformer_lr)`` with a base learning rate of 1.0.
    """
    step_num = step + 1
    return d_model**-0.5 * min(step_num**-0.5, step_num * warmup_steps**-1.5)  # eq. (3), §5.3



class LitModel(pl.LightningModule):
    """Trains Seq2SeqModel (encoder-decoder Transformer trained on a synthetic copy task).

    The arguments are the Config fields of model.py (the architecture) and the optimisation settings, so that
    LightningCLI (train.py) and config.yaml set every one of them; the defaults are the paper's.
    """

    def __init__(
        self,
        *,
        vocab_size: int = 16,
        d_model: int = 64,
        num_layers: int = 2,
        num_heads: int = 4,
        d_ff: int = 256,
        max_seq_len: int = 16,
        dropout: float = 0.1,
        # assumed: the schedule gives the learning rate itself; this factor scales it (1.0 = as printed)
        learning_rate: float = 1.0,
        # paper: "We use Adam [cite] with $\beta_1 = 0.9$, $\beta_2 = 0.98$ and $\epsilon = 10^{-9}$."
        optimizer: str = "adam",
        # paper: "We use Adam [cite] with $\beta_1 = 0.9$, $\beta_2 = 0.98$ and $\epsilon = 10^{-9}$." (Optimiser
        # and schedule)
        adam_beta1: float = 0.9,
        # paper: "We use Adam [cite] with $\beta_1 = 0.9$, $\beta_2 = 0.98$ and $\epsilon = 10^{-9}$." (Optimiser
        # and schedule)
        adam_beta2: float = 0.98,
        # paper: "We use Adam [cite] with $\beta_1 = 0.9$, $\beta_2 = 0.98$ and $\epsilon = 10^{-9}$." (Optimiser
        # and schedule)
        adam_eps: float = 1e-09,
        # assumed: not stated in the paper; no weight decay stated
        weight_decay: float = 0.0,
        # paper: "with $\mathit{warmup\_steps}= 400$." (Optimiser and schedule)
        warmup_steps: int = 400,
        # paper: "We use $\epsilon_{ls} = 0.1$." (Objective)
        label_smoothing: float = 0.1,
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
        self.model = Seq2SeqModel(self.config)

    def forward(self, src: Tensor, tgt: Tensor | None = None) -> Tensor:
        """Logits (b, m, v) for the target ``tgt``; without one, the greedy decoding (b, n + 2) of ``src``."""
        if tgt is None:
            return self.model.greedy_decode(src, bos=BOS, max_len=src.shape[1] + 2)
        return self.model(src, tgt)

    def _loss(self, batch: tuple[Tensor, Tensor]) -> Tensor:
        src, tgt = batch  # tgt = [BOS, y_1, ..., y_m, EOS]: teacher forcing shifts it by one
        logits = self(src, tgt[:, :-1])
        return label_smoothed_cross_entropy(
            logits, tgt[:, 1:], smoothing=self.hparams.label_smoothing, ignore_index=PAD
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
            transformer_lr, d_model=self.hparams.d_model, warmup_steps=self.hparams.warmup_steps
        )
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)  # lr = learning_rate * eq. schedule
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
