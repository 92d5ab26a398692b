"""A tiny hand-written implementation folder (manifest + LightningModule + datamodule) for the
experiment tests: linear regression trained with SGD, whose logged ``val_loss`` can carry a
synthetic effect of known size.

* ``shift`` adds a fixed amount to ``val_loss`` (a real effect of exactly that size);
* ``dummy`` does nothing to the distribution of the metric, although level "b" draws one extra random
  number first, so its runs are not copies of the baseline's (a genuine null effect with noise);
* ``noise`` scales a per-seed offset drawn from the global RNG at construction (seed-to-seed noise).

With ``noise = 0`` it is a clean toy problem for learning-rate sweeps: plain SGD on a noiseless
least-squares problem whose inputs are standard normal, so the loss Hessian is about ``2 I``; SGD
converges for learning rates below about 1, fastest near 0.5, and crawls below 1e-2.
"""

from __future__ import annotations

from pathlib import Path

MANIFEST = '''[project]
name = "toyexp"

[[module]]
name = "regressor"
target = "toyexp.module:Regressor"
init = { features = 4 }
inputs = { x = "b d" }
dims = { d = 4, o = 1 }
output = "b o"

[training]
module = "toyexp.module:LitToy"
datamodule = "toyexp.data:ToyData"
init = { features = 4, learning_rate = 0.3 }
datamodule_init = { features = 4, batch_size = 32, num_batches = 8 }
max_steps = 40
loss_drop = 0.5
'''

MODULE = '''"""Linear regression with SGD; val_loss = mse + shift + noise * offset(seed)."""

import pytorch_lightning as pl
import torch
from torch import nn


class Regressor(nn.Module):
    def __init__(self, *, features: int = 4) -> None:
        super().__init__()
        self.linear = nn.Linear(features, 1)

    def forward(self, x):
        return self.linear(x)


class LitToy(pl.LightningModule):
    def __init__(self, *, features: int = 4, learning_rate: float = 0.3, shift: float = 0.0, dummy: str = "a",
                 noise: float = 0.0, max_steps: int = 40) -> None:
        super().__init__()
        self.save_hyperparameters()
        if dummy == "b":
            torch.rand(1)  # changes which offset the seed draws, not its distribution
        self.offset = float(torch.randn(()))
        self.model = Regressor(features=features)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.model(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        mse = torch.nn.functional.mse_loss(self.model(x), y)
        self.log("val_mse", mse)
        self.log("val_loss", mse + self.hparams.shift + self.hparams.noise * self.offset)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.learning_rate)
'''

DATA = '''"""y = x . w* + 1 with standard normal x: a noiseless least-squares problem."""

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset


class ToyData(pl.LightningDataModule):
    def __init__(self, *, features: int = 4, batch_size: int = 32, num_batches: int = 8) -> None:
        super().__init__()
        self.save_hyperparameters()

    def _make(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(n, self.hparams.features, generator=g)
        w = torch.linspace(-1.0, 1.0, self.hparams.features)
        return TensorDataset(x, (x @ w + 1.0).unsqueeze(-1))

    def train_dataloader(self):
        data = self._make(self.hparams.batch_size * self.hparams.num_batches, 0)
        return DataLoader(data, batch_size=self.hparams.batch_size, shuffle=True,
                          generator=torch.Generator().manual_seed(0))

    def val_dataloader(self):
        return DataLoader(self._make(64, 1), batch_size=64)
'''


def write_toy(folder: Path) -> Path:
    """Write the toy implementation into ``folder`` (created) and return it."""
    package = folder / "toyexp"
    package.mkdir(parents=True, exist_ok=True)
    (folder / "paper2code.toml").write_text(MANIFEST, encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "module.py").write_text(MODULE, encoding="utf-8")
    (package / "data.py").write_text(DATA, encoding="utf-8")
    return folder
