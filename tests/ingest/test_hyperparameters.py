"""Hyperparameter extraction on short strings: each pattern family, settings, tables, and the
false positives it must not produce."""

from __future__ import annotations

import json

import pytest

from agent.ingest.hparam_names import CANONICAL, symbol_key
from agent.ingest.hparam_tables import find_text_tables, map_header, table_values
from agent.ingest.hparam_text import flatten, parse_number, split_sentences
from agent.ingest.hyperparameters import extract_from_text, extract_hyperparameters
from agent.types import Paper, Section, Table


def latex(text: str) -> dict[str, list]:
    """name -> [values] found in LaTeX prose."""
    return _by_name(extract_from_text(text, "Training", latex=True))


def pdf(text: str) -> dict[str, list]:
    return _by_name(extract_from_text(text, "Training", latex=False))


def _by_name(found) -> dict[str, list]:
    out: dict[str, list] = {}
    for h in found:
        out.setdefault(h.name, []).append(h.value)
    return out


def _paper(
    sections: list[tuple[str, str]], tables: list[Table] = (), source: str = "latex", abstract: str = ""
) -> Paper:
    return Paper(
        title="T",
        abstract=abstract,
        sections=[Section(t, 1, x) for t, x in sections],
        equations=[],
        hyperparameters=[],
        tables=list(tables),
        algorithms=[],
        source=source,
    )


# ---------------------------------------------------------------------------------------------
# numbers and text


@pytest.mark.parametrize(
    "text, value",
    [
        ("512", 512),
        ("0.1", 0.1),
        (r"10^{-9}", 1e-9),
        (r"3 \times 10^{-4}", 3e-4),
        (r"3\cdot10^{-4}", 3e-4),
        ("3·10−4", 3e-4),
        ("3e-4", 3e-4),
        ("3.0e−4", 3e-4),
        ("10−9", 1e-9),
        ("10k", 10000),
        ("100K", 100000),
        ("1M", 1000000),
        ("100,000", 100000),
        (r"4\,096", 4096),
        ("2.3 · 1019", 2.3e19),
    ],
)
def test_parse_number_spellings(text: str, value: float) -> None:
    parsed = parse_number(text)
    assert parsed is not None and parsed[0] == pytest.approx(value) and not parsed[1]
    assert isinstance(parsed[0], int) == isinstance(value, int)


def test_parse_number_refuses_words_and_names() -> None:
    assert parse_number("ResNet-50") is None
    assert parse_number("ViT-B/16") is None
    assert parse_number("(dev)") is None
    assert parse_number("92.7%") == (92.7, True)


@pytest.mark.parametrize(
    "written, flat",
    [
        (r"$d_{\text{model}}=512$", "d_model=512"),
        (r"$d_\text{model} = 512$", "d_model = 512"),
        (r"$\dmodel=512$", "dmodel=512"),
        (r"$warmup\_steps=4000$", "warmup_steps=4000"),
        (r"$\epsilon_{ls}=0.1$", "ε_ls=0.1"),
        (r"learning rate of $3 \times 10^{-4}$", "learning rate of 3e-4"),
        (r"Adam~\citep{kingma} (Table~\ref{tab:x})", "Adam (Table #)"),
    ],
)
def test_flatten_latex(written: str, flat: str) -> None:
    assert flatten(written, latex=True) == flat


def test_symbol_keys_meet_across_sources() -> None:
    assert symbol_key("d_model") == symbol_key("dmodel") == symbol_key("d_{model}")
    assert symbol_key("β_1") == symbol_key("β1") == symbol_key("beta_1")
    assert symbol_key("ε_ls") == symbol_key("ϵls")
    assert symbol_key("N") != symbol_key("n")


def test_sentences_split_outside_math_and_abbreviations() -> None:
    text = "We use Adam, e.g. as in Fig. 3. The rate is $0.1. 2$ here. See Table 1.\n\nNew paragraph"
    sentences = [s for _, s in split_sentences(text)]
    assert sentences == [
        "We use Adam, e.g. as in Fig. 3.",
        "The rate is $0.1. 2$ here.",
        "See Table 1.",
        "New paragraph",
    ]


# ---------------------------------------------------------------------------------------------
# assignments


@pytest.mark.parametrize(
    "text, name, value, symbol",
    [
        (r"Outputs of dimension $d_{model}=512$.", "d_model", 512, "d_{model}"),
        (r"Outputs of dimension $d_{\text{model}}=512$.", "d_model", 512, r"d_{\text{model}}"),
        (r"Outputs of dimension $d_\text{model} = 512$.", "d_model", 512, r"d_\text{model}"),
        (r"Outputs of dimension $\dmodel=512$.", "d_model", 512, r"\dmodel"),
        (r"The inner layer has $d_{ff}=2048$.", "d_ff", 2048, "d_{ff}"),
        (r"The encoder is a stack of $N=6$ identical layers.", "num_layers", 6, "N"),
        (r"We employ $h=8$ parallel attention layers, or heads.", "num_heads", 8, "h"),
        (r"We used $warmup\_steps=4000$.", "warmup_steps", 4000, r"warmup\_steps"),
        (r"For the base model, we use a rate of $P_{drop}=0.1$.", "dropout", 0.1, "P_{drop}"),
        (
            r"We employed label smoothing of value $\epsilon_{ls}=0.1$.",
            "label_smoothing",
            0.1,
            r"\epsilon_{ls}",
        ),
        (r"We used Adam with $\epsilon=10^{-9}$.", "adam_eps", 1e-9, r"\epsilon"),
        (r"A LoRA module of rank $r = 8$.", "lora_rank", 8, "r"),
        (r"Diffusion uses $T=1000$ timesteps.", "num_timesteps", 1000, "T"),
    ],
)
def test_latex_assignments(text: str, name: str, value: float, symbol: str) -> None:
    found = [h for h in extract_from_text(text, "Model", latex=True) if h.name == name]
    assert len(found) == 1
    assert found[0].value == pytest.approx(value) and type(found[0].value) is type(value)
    assert found[0].symbol == symbol
    assert found[0].evidence.text == text and found[0].evidence.section == "Model"


def test_several_assignments_in_one_math_span() -> None:
    got = latex(r"We use Adam with $\beta_1 = 0.9, \beta_2 = 0.999$ and no more.")
    assert got == {"adam_beta1": [0.9], "adam_beta2": [0.999]}
    got = latex(r"Adam with $\beta_1=0.9$, $\beta_2=0.98$ and $\epsilon=10^{-9}$.")
    assert got == {"adam_beta1": [0.9], "adam_beta2": [0.98], "adam_eps": [1e-9]}
    assert latex(r"AdamW with $(\beta_1, \beta_2) = (0.9, 0.95)$.") == {
        "adam_beta1": [0.9],
        "adam_beta2": [0.95],
    }


def test_chain_gives_the_value_to_symbols_not_expressions() -> None:
    got = latex(r"For each of these we use $d_k=d_v=\dmodel/h=64$.")
    assert got == {"d_k": [64], "d_v": [64]}


def test_pdf_unicode_assignments() -> None:
    text = (
        "all sub-layers produce outputs of dimension dmodel = 512. The inner-layer has dimensionality\n"
        "dff = 2048. We used the Adam optimizer [20] with β1 = 0.9, β2 = 0.98 and ϵ = 10−9. We used\n"
        "warmup_steps = 4000. For the base model, we use a rate of\nPdrop = 0.1. We employed label "
        "smoothing of value ϵls = 0.1 [36]. The encoder is composed of a stack of N = 6 identical layers."
    )
    got = pdf(text)
    assert got == {
        "d_model": [512],
        "d_ff": [2048],
        "adam_beta1": [0.9],
        "adam_beta2": [0.98],
        "adam_eps": [1e-9],
        "warmup_steps": [4000],
        "dropout": [0.1],
        "label_smoothing": [0.1],
        "num_layers": [6],
    }
    assert pdf("We used Adam with ϵ = 10-9 throughout.") == {"adam_eps": [1e-9]}


def test_ambiguous_symbols_need_their_context_word() -> None:
    assert latex(r"We draw $N=1000$ samples from the prior.") == {}
    assert latex(r"Let $h=8$ be the hidden state index.") == {}
    assert latex(r"We set $\epsilon=10^{-6}$ for numerical stability.") == {}
    assert latex(r"In LayerNorm we set $\epsilon=10^{-6}$.") == {"norm_eps": [1e-6]}
    assert latex(r"The noise schedule runs from $\beta_1=10^{-4}$ to $\beta_T=0.02$ (diffusion).") == {
        "beta_start": [1e-4],
        "beta_end": [0.02],
    }


# ---------------------------------------------------------------------------------------------
# phrases


@pytest.mark.parametrize(
    "text, name, value, unit",
    [
        ("We train with a batch size of 4096 on TPUs.", "batch_size", 4096, None),
        ("Models use batch size 512, for all tasks.", "batch_size", 512, None),
        ("We use a learning rate warmup of 10k steps.", "warmup_steps", 10000, "steps"),
        ("We use 2, 000 warmup steps.", "warmup_steps", 2000, "steps"),
        ("We apply a dropout rate 0.1 to every layer.", "dropout", 0.1, None),
        ("We apply dropout of 10% to every layer.", "dropout", 0.1, None),
        ("We use a learning rate of 3e-4.", "learning_rate", 3e-4, None),
        (r"We use a learning rate of $3 \times 10^{-4}$.", "learning_rate", 3e-4, None),
        ("We use a base learning rate of 3·10−4.", "learning_rate", 3e-4, None),
        ("We apply a high weight decay of 0.1 to all weights.", "weight_decay", 0.1, None),
        ("The big models were trained for 300K steps (3.5 days).", "max_steps", 300000, "steps"),
        ("We pre-trained the model for 90 epochs.", "epochs", 90, "epochs"),
        ("We used gradient clipping at global norm 1.", "grad_clip", 1.0, None),
        ("We fine-tune using SGD with a momentum of 0.9.", "momentum", 0.9, None),
        ("It uses a shared vocabulary of about 37000 tokens.", "vocab_size", 37000, "tokens"),
        ("Tokens are split into a 32000 word-piece vocabulary.", "vocab_size", 32000, "tokens"),
        ("Each batch held approximately 25000 source tokens.", "batch_size", 25000, "tokens"),
        ("We trained a 4-layer transformer on WSJ.", "num_layers", 4, None),
        ("The model has 16 attention heads.", "num_heads", 16, None),
        ("ViT-L/16 means the Large variant with 16×16 input patch size.", "patch_size", 16, "pixels"),
        ("Training resolution is 224.", "image_size", 224, "pixels"),
        ("We use a linear warmup over the first 2000 steps.", "warmup_steps", 2000, "steps"),
        ("The contrastive loss uses a temperature of 0.07.", "temperature", 0.07, None),
        ("We train with a context length of 2048 tokens.", "max_seq_len", 2048, "tokens"),
        ("All models are fine-tuned with no weight decay.", "weight_decay", 0.0, None),
    ],
)
def test_phrases(text: str, name: str, value: float, unit: str | None) -> None:
    found = [h for h in extract_from_text(text, "Setup", latex=True) if h.name == name]
    assert [h.value for h in found] == [pytest.approx(value)]
    assert type(found[0].value) is type(value)
    assert found[0].unit == unit
    assert found[0].evidence.text == text


def test_respectively_pairs_names_with_values_in_order() -> None:
    got = latex(
        "We set the model size and FFN hidden size to be 512 and 2048, respectively, and use 8 heads."
    )
    assert got == {"d_model": [512], "d_ff": [2048], "num_heads": [8]}
    assert latex("The batch size and learning rate are 256, 0.1 and 5, respectively.") == {}


def test_a_symbol_after_a_phrase_names_the_value() -> None:
    assert pdf("The FFN layers have hidden size dff = 3072.") == {"d_ff": [3072]}
    assert pdf("We used a beam size of 4 and length penalty α = 0.6.") == {
        "beam_size": [4],
        "length_penalty": [0.6],
    }


def test_warmup_in_epochs_is_its_own_name() -> None:
    assert latex("We use a warmup of 5 epochs.") == {"warmup_epochs": [5.0]}


def test_lists_and_ranges_are_strings() -> None:
    got = latex(r"We sweep learning rates in $\{0.001, 0.003, 0.01\}$ and dropout from 0.1 to 0.3.")
    assert got == {"learning_rate": ["{0.001, 0.003, 0.01}"], "dropout": ["[0.1, 0.3]"]}


# ---------------------------------------------------------------------------------------------
# false positives


@pytest.mark.parametrize(
    "text",
    [
        r"We scale the dot products by $\frac{1}{\sqrt{d_k}}$ for large values of $d_k$.",
        r"Here $\mathrm{head_i} = \mathrm{Attention}(QW^Q_i, KW^K_i, VW^V_i)$ and "
        r"$W^O \in \mathbb{R}^{hd_v}$.",
        "Dropout [33] was proposed in 2014 (Srivastava et al., 2014).",
        "As shown in Table 3 and Figure 2, see Section 5.2 and Eq. 4.",
        "Our model reaches 28.4 BLEU and 92.7% accuracy with a batch of examples.",
        "The final learning rate is equal to 10% of the maximal learning rate.",
        "We use a learning rate warmup and decay, see Appendix B.1 for details.",
        "We compare with ResNet-50 and ViT-B/16 at 10-minute intervals.",
        "In 2017, learning rates were tuned by 3 people over 12 hours.",
        "Our dropout of attention weights improves BLEU by 0.9 points over 4 runs.",
        "0 1 2 3 4 5 6 7 Epochs of training 25 30 35 40 lr=0.0008 45 50 55 60",
        r"The FFN size is $\frac{8}{3} \times d_{\text{model}}$.",
        r"The scheduler decays the learning rate to $0.1$ times the base learning rate.",
        "We keep an EMA of the weights with a momentum of 0.999.",
        "We fine-tune with learning rates 2,3,4,5e-5.",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert extract_from_text(text, "Results", latex=True) == []


def test_related_work_is_not_this_papers_setup() -> None:
    paper = _paper(
        [("Related Work", "Smith et al. use a batch size of 256."), ("Setup", "We use a batch size of 64.")]
    )
    assert [h.value for h in extract_hyperparameters(paper)] == [64]


# ---------------------------------------------------------------------------------------------
# settings


def test_settings_from_the_sentence() -> None:
    found = extract_from_text(
        "We trained the base models for a total of 100,000 steps. The big models were trained for "
        "300,000 steps. For fine-tuning we use SGD with momentum, batch size 512. We use a batch size "
        "of 4096. The Transformer (big) model used dropout rate $P_{drop}=0.1$, instead of $0.3$.",
        "Training",
    )
    assert [(h.name, h.value, h.setting) for h in found] == [
        ("max_steps", 100000, "base"),
        ("max_steps", 300000, "big"),
        ("batch_size", 512, "fine-tuning"),
        ("batch_size", 4096, None),
        ("dropout", 0.1, "big"),
    ]


def test_fine_tuning_section_sets_the_setting() -> None:
    found = extract_from_text("We use a learning rate of 0.01.", "B.1.1 Fine-tuning", latex=False)
    assert [(h.value, h.setting) for h in found] == [(0.01, "fine-tuning")]


# ---------------------------------------------------------------------------------------------
# tables

VIT_ROWS = [
    ["Model", "Layers", "Hidden size $D$", "MLP size", "Heads", "Params"],
    ["ViT-Base", "12", "768", "3072", "12", "86M"],
    ["ViT-Large", "24", "1024", "4096", "16", "307M"],
    ["ViT-Huge", "32", "1280", "5120", "16", "632M"],
]
VARIATION_ROWS = [
    [
        "",
        "$N$",
        r"$d_{\text{model}}$",
        r"$d_{\text{ff}}$",
        "$h$",
        "$d_k$",
        "$P_{drop}$",
        r"$\epsilon_{ls}$",
        "train",
        "PPL",
        "params",
    ],
    ["", "", "", "", "", "", "", "", "steps", "(dev)", r"$\times10^6$"],
    ["base", "6", "512", "2048", "8", "64", "0.1", "0.1", "100K", "4.92", "65"],
    ["(A)", "", "", "", "1", "512", "", "", "", "5.29", ""],
    ["", "", "", "", "4", "128", "", "", "", "5.00", ""],
    ["(E)", "", "positional embedding instead of sinusoids", "", "", "", "", "4.92", ""],
    ["big", "6", "1024", "4096", "16", "", "0.3", "", "300K", "4.33", "213"],
]


@pytest.mark.parametrize(
    "header, name",
    [
        ("Layers", "num_layers"),
        ("Hidden size D", "d_model"),
        ("HiddensizeD", "d_model"),
        ("MLP size", "d_ff"),
        ("Heads", "num_heads"),
        ("N", "num_layers"),
        ("d_model", "d_model"),
        ("P_drop", "dropout"),
        ("ε_ls", "label_smoothing"),
        ("train steps", "max_steps"),
        ("Base LR", "learning_rate"),
        ("n_kv_heads", "num_kv_heads"),
        ("Params", None),
        ("LR decay", None),
        ("BLEU", None),
    ],
)
def test_map_header(header: str, name: str | None) -> None:
    assert map_header(header)[0] == name


def test_model_table_rows_become_settings() -> None:
    values = table_values(VIT_ROWS, latex=True)
    base = {v.name: v.value for v in values if v.setting == "ViT-Base"}
    assert base == {"num_layers": 12, "d_model": 768, "d_ff": 3072, "num_heads": 12}
    assert len(values) == 12
    assert values[1].evidence == "Hidden size D: 768 (row: ViT-Base)" and values[1].symbol == "Hidden size D"


def test_two_row_header_variations_and_misaligned_rows() -> None:
    values = table_values(VARIATION_ROWS, latex=True)
    got = {(v.name, v.setting): v.value for v in values if v.setting in ("base", "big")}
    assert got == {
        ("num_layers", "base"): 6,
        ("d_model", "base"): 512,
        ("d_ff", "base"): 2048,
        ("num_heads", "base"): 8,
        ("d_k", "base"): 64,
        ("dropout", "base"): 0.1,
        ("label_smoothing", "base"): 0.1,
        ("max_steps", "base"): 100000,
        ("num_layers", "big"): 6,
        ("d_model", "big"): 1024,
        ("d_ff", "big"): 4096,
        ("num_heads", "big"): 16,
        ("dropout", "big"): 0.3,
        ("max_steps", "big"): 300000,
    }
    variations = [(v.name, v.value) for v in values if v.setting == "(A)"]
    assert variations == [("num_heads", 1), ("d_k", 512), ("num_heads", 4), ("d_k", 128)]
    assert not [v for v in values if v.setting == "(E)"]  # its cells do not line up: skipped


def test_key_value_table_and_multiplier_header() -> None:
    rows = [
        ["Hyperparameter", "Base", "Large"],
        ["Learning rate ($\\times 10^{-4}$)", "3", "1"],
        ["Batch size", "256", "512"],
        ["Optimizer", "AdamW", "AdamW"],
    ]
    got = [(v.name, v.value, v.setting) for v in table_values(rows, latex=True)]
    assert got == [
        ("learning_rate", 3e-4, "Base"),
        ("learning_rate", 1e-4, "Large"),
        ("batch_size", 256, "Base"),
        ("batch_size", 512, "Large"),
    ]


def test_pdf_cells_stacking_rows_are_split() -> None:
    rows = [
        ["Model", "Layers", "HiddensizeD", "MLPsize", "Heads", "Params"],
        ["ViT -Base\nViT -Large", "12\n24", "768\n1024", "3072\n4096", "12\n16", "86M\n307M"],
    ]
    got = [(v.name, v.value, v.setting) for v in table_values(rows, latex=False)][:4]
    assert got == [
        ("num_layers", 12, "ViT-Base"),
        ("d_model", 768, "ViT-Base"),
        ("d_ff", 3072, "ViT-Base"),
        ("num_heads", 12, "ViT-Base"),
    ]


def test_tables_in_pdf_text_one_cell_per_line() -> None:
    text = "\n".join(
        [
            "Published as a conference paper at ICLR 2021 and a long line",
            *sum(VIT_ROWS, []),
            "Table 1: Details of Vision Transformer model variants.",
            "We also evaluate.",
        ]
    )
    text = text.replace("$D$", "D")
    (table,) = find_text_tables(text)
    assert table.rows == [r[:2] + ["Hidden size D"] + r[3:] if i == 0 else r for i, r in enumerate(VIT_ROWS)]
    assert table.caption == "Table 1: Details of Vision Transformer model variants."
    found = extract_from_text(text, "Setup", latex=False)
    assert [(h.name, h.value) for h in found if h.setting == "ViT-Base"] == [
        ("num_layers", 12),
        ("d_model", 768),
        ("d_ff", 3072),
        ("num_heads", 12),
    ]
    assert found[0].evidence.table == table.caption
    key_value = "Parameter\nValue\ndim\n4096\nn_layers\n32\nhead_dim\n128\nn_kv_heads\n8"
    assert pdf(key_value) == {"d_model": [4096], "num_layers": [32], "head_dim": [128], "num_kv_heads": [8]}


def test_table_cells_printed_by_pdfs() -> None:
    rows = [
        ["Dataset", "Steps", "Base LR"],
        ["ImageNet", "20 000", "{0.003, 0.01}"],
        ["R50x1", "2 500", "10−3"],
    ]
    got = [(v.name, v.value, v.setting) for v in table_values(rows, latex=False)]
    assert got == [
        ("max_steps", 20000, "ImageNet"),
        ("learning_rate", "{0.003, 0.01}", "ImageNet"),
        ("max_steps", 2500, "R50x1"),
        ("learning_rate", 0.001, "R50x1"),
    ]


def test_rows_of_cited_models_and_setting_headers_are_skipped() -> None:
    rows = [
        ["Method", "Layers", "r = 64"],
        ["GPT-2 [cite]", "48", "70.1"],
        ["BERT (Devlin et al., 2019)", "24", "1"],
        ["Ours", "12", "73.2"],
    ]
    assert [(v.name, v.value, v.setting) for v in table_values(rows, latex=True)] == [
        ("num_layers", 12, "Ours")
    ]


def test_table_captions_are_read_too() -> None:
    caption = (
        "Table 3: Hyperparameters. All models are trained with a batch size of 4096 and warmup of 10k steps."
    )
    table = Table("tab3", caption, None, [["Model", "Epochs"], ["ViT-B", "7"]], section="B.1", number="3")
    found = extract_hyperparameters(_paper([("B.1", "Training details.")], [table], source="pdf"))
    assert [(h.name, h.value, h.setting) for h in found] == [
        ("epochs", 7, "ViT-B"),
        ("batch_size", 4096, None),
        ("warmup_steps", 10000, None),
    ]
    assert {h.evidence.table for h in found} == {caption}


def test_results_tables_give_nothing() -> None:
    rows = [
        ["Model", "BLEU", "Training Cost"],
        ["ByteNet [18]", "23.75", "1.0e20"],
        ["Ours", "28.4", "2.3e19"],
    ]
    assert table_values(rows, latex=False) == []


# ---------------------------------------------------------------------------------------------
# the whole paper


def test_extract_hyperparameters_document_order_dedupe_and_json() -> None:
    table = Table("tab1", "Model sizes.", "tab:sizes", VIT_ROWS, section="Model", number="1")
    paper = _paper(
        [
            ("Model", r"Outputs have $d_{model}=512$. Again, $d_{model}=512$."),
            ("Training", "We use a batch size of 4096 and a weight decay of 0.1."),
        ],
        [table],
        abstract="We train for 300K steps.",
    )
    found = extract_hyperparameters(paper)
    names = [h.name for h in found]
    assert names[:2] == ["max_steps", "d_model"]
    assert found[0].evidence.section == "Abstract"
    assert names.count("d_model") == 4  # text once (deduplicated) + three table rows
    assert names[-2:] == ["batch_size", "weight_decay"]  # the table sits in "Model", before "Training"
    assert found[2].evidence.table == "Table 1: Model sizes."
    assert json.loads(json.dumps([h.to_dict() for h in found]))[1]["evidence"]["text"].startswith("Outputs")
    assert extract_hyperparameters(paper) == found  # deterministic


def test_canonical_names_cover_the_design_list() -> None:
    design = (
        "num_layers d_model d_ff num_heads num_kv_heads head_dim dropout attention_dropout "
        "label_smoothing learning_rate warmup_steps batch_size weight_decay adam_beta1 adam_beta2 "
        "adam_eps grad_clip patch_size image_size num_timesteps beta_start beta_end lora_rank "
        "lora_alpha temperature epochs max_steps vocab_size max_seq_len rope_theta norm_eps"
    ).split()
    assert set(design) <= set(CANONICAL)
    assert all(c.low <= c.high and c.description for c in CANONICAL.values())
