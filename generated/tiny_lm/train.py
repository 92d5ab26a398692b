"""Train TinyLM: A Small Pre-Norm Decoder-Only Language Model with RMSNorm, SwiGLU and Rotary Positions with
Lightning's CLI; config.yaml (the paper's settings) is read by default.

    python train.py fit                                   # everything from config.yaml
    python train.py fit --config config.yaml --trainer.max_steps 50
    python train.py fit --model.d_model 64 --data.batch_size 16   # override any setting
    python train.py fit --print_config                    # show the resolved configuration
"""

from pathlib import Path

from pytorch_lightning.cli import LightningArgumentParser, LightningCLI

from tinylm.data import SyntheticData
from tinylm.module import LitModel

CONFIG = Path(__file__).resolve().with_name("config.yaml")


class CLI(LightningCLI):
    """LightningCLI whose data settings follow the model's (vocab_size)."""

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.link_arguments("model.vocab_size", "data.vocab_size")


def main() -> None:
    defaults = {"default_config_files": [str(CONFIG)]}
    CLI(LitModel, SyntheticData, parser_kwargs={name: defaults for name in ("fit", "validate", "test", "predict")})


if __name__ == "__main__":
    main()
