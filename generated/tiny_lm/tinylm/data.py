"""TinyLM: A Small Pre-Norm Decoder-Only Language Model with RMSNorm, SwiGLU and Rotary Positions: data for training
the model of model.py.

Synthetic task: next-token prediction on sentences of a random finite-state grammar.
The synthetic data is a deterministic function of ``seed``: the same settings give the same tensors.

Real data: pass ``data_path`` (a file written with ``torch.save``) holding 'tokens' (N, n + 1) token ids;
``load_real`` reads it in place of the synthetic set. The paper's own dataset is not downloaded.
"""

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset


def make_grammar(vocab_size: int, branching: int, *, seed: int) -> Tensor:
    """A random finite-state grammar: after token i only ``successors[i]`` may follow (``branching`` tokens).

    Shape: (vocab_size, branching). A model that learns the grammar reaches a loss of log(branching).
    """
    assert 1 <= branching <= vocab_size, "branching must be between 1 and the vocabulary size"
    generator = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randperm(vocab_size, generator=generator)[:branching] for _ in range(vocab_size)])


def make_grammar_lm_task(
    num_samples: int, seq_len: int, vocab_size: int, *, branching: int, task_seed: int, seed: int
) -> Tensor:
    """Sentences of ``seq_len + 1`` tokens (inputs and next-token targets) from the grammar ``task_seed``
    fixes; ``seed`` draws the sentences, so training and validation share one grammar.

    Shape: (num_samples, seq_len + 1).
    """
    successors = make_grammar(vocab_size, branching, seed=task_seed)
    generator = torch.Generator().manual_seed(seed + 1)
    tokens = torch.empty(num_samples, seq_len + 1, dtype=torch.long)
    tokens[:, 0] = torch.randint(0, vocab_size, (num_samples,), generator=generator)
    choices = torch.randint(0, branching, (num_samples, seq_len), generator=generator)
    for t in range(seq_len):
        tokens[:, t + 1] = successors[tokens[:, t], choices[:, t]]
    return tokens


def load_real(path: str) -> tuple[Tensor, ...]:
    """The real data at ``path``: a ``torch.save`` file holding 'tokens' (N, n + 1) token ids."""
    data = torch.load(path, map_location="cpu", weights_only=True)
    missing = [key for key in ("tokens",) if key not in data]
    if missing:
        raise ValueError(f"{path}: expected the tensors tokens; missing {', '.join(missing)}")
    return tuple(data[key] for key in ("tokens",))


class SyntheticData(pl.LightningDataModule):
    """The grammar_lm task as a LightningDataModule: ``num_batches`` batches per epoch, drawn once from ``seed``,
    and a validation set from ``seed + 1000``."""

    def __init__(
        self,
        *,
        vocab_size: int = 256,
        seq_len: int = 64,
        batch_size: int = 8,
        num_batches: int = 100,
        branching: int = 2,
        seed: int = 0,
        data_path: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.train_set: TensorDataset | None = None
        self.val_set: TensorDataset | None = None

    def _make(self, num_samples: int, seed: int) -> tuple[Tensor, ...]:
        h = self.hparams
        tokens = make_grammar_lm_task(
            num_samples, h.seq_len, h.vocab_size, branching=h.branching, task_seed=h.seed, seed=seed
        )
        return (tokens,)

    def setup(self, stage: str | None = None) -> None:
        h = self.hparams
        if h.data_path:
            tensors = load_real(h.data_path)
            split = max(1, len(tensors[0]) // 10)
            self.val_set = TensorDataset(*(t[:split] for t in tensors))
            self.train_set = TensorDataset(*(t[split:] for t in tensors))
            return
        self.train_set = TensorDataset(*self._make(h.batch_size * h.num_batches, h.seed))
        self.val_set = TensorDataset(*self._make(h.batch_size * max(1, h.num_batches // 10), h.seed + 1000))

    def train_dataloader(self) -> DataLoader:
        if self.train_set is None:
            self.setup("fit")
        generator = torch.Generator().manual_seed(self.hparams.seed)
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True, generator=generator)

    def val_dataloader(self) -> DataLoader:
        if self.val_set is None:
            self.setup("validate")
        return DataLoader(self.val_set, batch_size=self.hparams.batch_size)
