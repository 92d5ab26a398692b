"""Learning to Copy with a Small Post-Norm Encoder-Decoder Transformer: data for training the model of model.py.

Synthetic task: copy a random sequence of symbols (the target is the source between BOS and EOS).
The synthetic data is a deterministic function of ``seed``: the same settings give the same tensors.

Real data: pass ``data_path`` (a file written with ``torch.save``) holding 'src' (N, n) and 'tgt' (N, m) token ids,
tgt starting with BOS and ending with EOS; ``load_real`` reads it in place of the synthetic set. The paper's own
dataset is not downloaded.
"""

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset

PAD, BOS, EOS = 0, 1, 2  # special tokens; symbols are 3 .. vocab_size - 1
FIRST_SYMBOL = 3


def make_copy_task(
    num_samples: int, seq_len: int, vocab_size: int, *, seed: int, reverse: bool = False
) -> tuple[Tensor, Tensor]:
    """Sources of ``seq_len`` random symbols and targets [BOS, source, EOS].

    Shapes: src (num_samples, seq_len), tgt (num_samples, seq_len + 2).
    """
    assert vocab_size > FIRST_SYMBOL, "the vocabulary needs PAD, BOS, EOS and at least one symbol"
    generator = torch.Generator().manual_seed(seed)
    src = torch.randint(FIRST_SYMBOL, vocab_size, (num_samples, seq_len), generator=generator)
    body = src.flip(1) if reverse else src
    bos = torch.full((num_samples, 1), BOS, dtype=torch.long)
    eos = torch.full((num_samples, 1), EOS, dtype=torch.long)
    return src, torch.cat([bos, body, eos], dim=1)


def load_real(path: str) -> tuple[Tensor, ...]:
    """The real data at ``path``: a ``torch.save`` file holding 'src' (N, n) and 'tgt' (N, m) token ids, tgt
    starting with BOS and ending with EOS."""
    data = torch.load(path, map_location="cpu", weights_only=True)
    missing = [key for key in ("src", "tgt") if key not in data]
    if missing:
        raise ValueError(f"{path}: expected the tensors src, tgt; missing {', '.join(missing)}")
    return tuple(data[key] for key in ("src", "tgt"))


class SyntheticData(pl.LightningDataModule):
    """The copy task as a LightningDataModule: ``num_batches`` batches per epoch, drawn once from ``seed``, and a
    validation set from ``seed + 1000``."""

    def __init__(
        self,
        *,
        vocab_size: int = 16,
        seq_len: int = 10,
        batch_size: int = 8,
        num_batches: int = 100,
        seed: int = 0,
        data_path: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.train_set: TensorDataset | None = None
        self.val_set: TensorDataset | None = None

    def _make(self, num_samples: int, seed: int) -> tuple[Tensor, ...]:
        h = self.hparams
        return make_copy_task(num_samples, h.seq_len, h.vocab_size, seed=seed)

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
