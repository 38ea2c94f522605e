"""A GPT-2-style decoder-only transformer, in one file to read from top to bottom.

The shape follows GPT-2 (Radford et al. 2019) as nanoGPT writes it: pre-LayerNorm blocks of causal
self-attention and a 4x-wide GELU MLP, the token embedding tied to the output head, residual
projections initialised with std 0.02/sqrt(2 * n_layer). Our own choices, each for a reason:

- Positions are rotary (RoPE, Su et al. 2021, "RoFormer"), not GPT-2's learned table. RoPE has no
  parameters, so the context length is a run setting rather than a weight shape (`--context` may be
  changed for short test runs without a different model class), it encodes relative distance
  directly in the attention scores, and it is what current open models (Llama) and the
  modded-nanogpt speedrun use because it trains to a lower loss per token than a learned table.
- Linear layers and LayerNorms carry no bias (nanoGPT's `bias=False` option, which it reports as a
  little better and faster).
- Attention is `F.scaled_dot_product_attention(is_causal=True)`, which runs flash-attention kernels
  on CUDA and a fused kernel on CPU.
- The embedding table is padded to a multiple of 128 rows (the matrix units like such shapes; the
  padded ids never occur in the data, and `generate` never samples them).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F

VOCAB_MULTIPLE = 128


@dataclass
class GPTConfig:
    vocab_size: int  # the tokenizer's vocabulary (manifest.json's vocab_size)
    block_size: int = 1024  # context length in tokens
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0  # 0 for pretraining (nanoGPT's advice); >0 when fine-tuning small data
    rope_base: float = 10000.0

    @property
    def padded_vocab_size(self) -> int:
        return math.ceil(self.vocab_size / VOCAB_MULTIPLE) * VOCAB_MULTIPLE

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


# Shapes only; the vocabulary comes from the shards. gpt2-124m / gpt2-350m are GPT-2 small / medium.
CONFIGS: dict[str, dict[str, int]] = {
    "tiny": {"n_layer": 2, "n_head": 4, "n_embd": 128, "block_size": 128},  # CPU tests and demos
    "gpt2-124m": {"n_layer": 12, "n_head": 12, "n_embd": 768, "block_size": 1024},
    "gpt2-350m": {"n_layer": 24, "n_head": 16, "n_embd": 1024, "block_size": 1024},
}


def make_config(name: str, vocab_size: int, block_size: int | None = None, dropout: float = 0.0) -> GPTConfig:
    if name not in CONFIGS:
        raise ValueError(f"unknown model config {name!r}; choose one of: {', '.join(CONFIGS)}")
    shape = dict(CONFIGS[name])
    if block_size is not None:
        if block_size < 1:
            raise ValueError(f"--context must be at least 1, got {block_size}")
        shape["block_size"] = block_size
    return GPTConfig(vocab_size=vocab_size, dropout=dropout, **shape)


class Rotary(nn.Module):
    """cos/sin tables of rotary position embeddings for every position up to block_size."""

    def __init__(self, head_dim: int, block_size: int, base: float) -> None:
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        angles = torch.outer(torch.arange(block_size, dtype=torch.float32), inv_freq)  # (T, head_dim/2)
        # Not saved in checkpoints: recomputed from the config.
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rotate x (B, heads, T, head_dim) by its positions ("rotate half" pairing, as GPT-NeoX/Llama)."""
        T = x.size(-2)
        cos, sin = self.cos[:T].to(x.dtype), self.sin[:T].to(x.dtype)
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"n_embd {config.n_embd} is not a multiple of n_head {config.n_head}")
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=False)  # q, k, v in one matmul
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.rotary = Rotary(config.n_embd // config.n_head, config.block_size, config.rope_base)
        self.dropout = config.dropout
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        # (B, T, C) -> (B, heads, T, head_dim)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        q, k = self.rotary(q), self.rotary(k)
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
        )
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=False)
        self.gelu = nn.GELU(approximate="tanh")  # GPT-2's GELU
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=False)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=False)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=False)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.padded_vocab_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, bias=False)
        self.lm_head = nn.Linear(config.n_embd, config.padded_vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # tied input/output embeddings (GPT-2)
        self.apply(self._init_weights)
        # GPT-2 paper, section 2.3: scale the residual projections by 1/sqrt(number of residual layers).
        for name, param in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(param, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self) -> int:
        """Parameters, the tied embedding counted once (it is also the output matmul)."""
        return sum(p.numel() for p in self.parameters())

    def flops_per_token(self) -> int:
        """Training FLOPs per token: 6N for the matmuls' forward+backward plus 12 * layers * context *
        width for attention scores and values (PaLM, Chowdhery et al. 2022, appendix B; nanoGPT's
        estimate_mfu uses the same). Counts the full T x T score matrix, as both sources do, although a
        causal flash kernel skips about half of it."""
        c = self.config
        return 6 * self.num_params() + 12 * c.n_layer * c.block_size * c.n_embd

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """idx (B, T) token ids -> logits (B, T, padded vocab); with targets (B, T), also the mean
        cross-entropy loss."""
        if idx.size(1) > self.config.block_size:
            raise ValueError(
                f"sequence of {idx.size(1)} tokens is longer than the context {self.config.block_size}"
            )
        x = self.drop(self.wte(idx))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits, None
        # Upcast before the softmax: bf16 logits lose the small differences the loss depends on.
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    def configure_optimizer(
        self, lr: float, weight_decay: float, betas: tuple[float, float], device_type: str
    ) -> torch.optim.AdamW:
        """AdamW with weight decay on the 2-D weights (matmuls, embedding) only; LayerNorm gains are
        not decayed. The fused CUDA kernel on GPU (one launch for all parameters)."""
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
        extra = {"fused": True} if device_type == "cuda" else {}
        return torch.optim.AdamW(groups, lr=lr, betas=betas, **extra)

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
        stop_id: int | None = None,
    ) -> torch.Tensor:
        """Extend idx (1, T) by up to max_new_tokens sampled tokens (greedy when temperature is 0),
        stopping after stop_id. Recomputes the whole window per token (no KV cache): simple, and
        fast enough for the small models this bundles."""
        for _ in range(max_new_tokens):
            window = idx[:, -self.config.block_size :]
            logits, _ = self(window)
            logits = logits[:, -1, : self.config.vocab_size].float()  # never sample a padding id
            if temperature <= 0:
                next_id = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None and top_k < logits.size(-1):
                    kth = torch.topk(logits, top_k).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                probs = F.softmax(logits, dim=-1)
                next_id = torch.multinomial(probs, num_samples=1, generator=generator)
            idx = torch.cat((idx, next_id), dim=1)
            if stop_id is not None and int(next_id) == stop_id:
                break
        return idx
