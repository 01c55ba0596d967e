"""FLOP and parameter counts of dense decoder-only transformers.

Two published conventions are implemented side by side, because they differ in what they count
and the difference matters when a scaling law is fitted in one convention and used in another:

* **Kaplan et al. 2020** (Table 1): ``N`` counts the non-embedding weights,
  ``N = 2 d_model n_layer (2 d_attn + d_ff)`` (biases, norms and position encodings are
  sub-leading and ignored); the embedding ``(n_vocab + n_ctx) d_model`` is reported apart.
  Forward FLOPs per token ``2N + 2 n_layer n_ctx d_attn``; training is three times the forward
  pass, ``C ~ 6N`` per token.
* **Hoffmann et al. 2022** (Chinchilla; the architecture of Rae et al. 2021, Gopher): the
  reported parameter counts include the (shared) token embedding ``n_vocab d_model`` and, in
  every layer, the projection of the Transformer-XL relative position encodings, one more
  ``d_model d_attn`` matrix: ``N = n_layer (5 d_model d_attn + 2 d_model d_ff) + n_vocab
  d_model``. This reproduces the counts of their Table A9 and of Chinchilla 70B and Gopher
  280B to better than 0.3 % (see ``tests/test_plan.py``). FLOPs are counted operation by
  operation as in their Appendix F (embeddings, attention projections, logits, softmax,
  attention-weighted values, output projection, feed-forward block, final logits), and
  training is three times the forward pass.

The DeepSeek LLM (2024) count ``M = 72 n_layer d_model^2 + 6 n_layer l_seq d_model``
(non-embedding FLOPs per token, attention included) is the Kaplan training count with
``d_attn = d_model`` and ``d_ff = 4 d_model``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

from .._checks import is_whole
from .._errors import InputError

Convention = Literal["kaplan", "chinchilla"]
FlopMethod = Literal["6N", "kaplan", "chinchilla"]
CONVENTIONS = ("kaplan", "chinchilla")
FLOP_METHODS = ("6N", "kaplan", "chinchilla")


def training_flops(params: float, tokens: float, *, flops_per_param_token: float = 6.0) -> float:
    """Training compute of a dense model, ``C = k N D`` with ``k = 6`` by default.

    Parameters
    ----------
    params : float
        Number of parameters ``N`` (in the convention of the law being used).
    tokens : float
        Training tokens ``D``.
    flops_per_param_token : float
        ``k``: 6 = 2 (forward multiply-add) x 3 (forward + backward), Kaplan et al. 2020 and
        Hoffmann et al. 2022.

    Returns
    -------
    float
        FLOPs.

    Raises
    ------
    InputError
        If a value is not a positive finite number, or the product overflows.
    """
    for name, v in (("params", params), ("tokens", tokens),
                    ("flops_per_param_token", flops_per_param_token)):
        _positive(name, v)
    C = float(flops_per_param_token) * float(params) * float(tokens)
    if not math.isfinite(C):
        raise InputError(f"{flops_per_param_token:g} x {params:g} x {tokens:g} FLOPs overflows a "
                         "float; check params and tokens")
    return C


@dataclass(frozen=True)
class Transformer:
    """Shape of a dense decoder-only transformer.

    Parameters
    ----------
    n_layers : int
        Number of transformer blocks.
    d_model : int
        Width of the residual stream.
    n_heads : int
        Attention heads.
    kv_size : int, optional
        Width of one head (default ``d_model / n_heads``, so that ``d_attn = d_model``);
        ``d_attn = n_heads * kv_size``.
    d_ff : int, optional
        Width of the feed-forward block (default ``4 d_model``). For gated (GLU) blocks with
        three matrices pass ``1.5 x`` the hidden width: the counts assume two matrices.
    vocab : int
        Vocabulary size (0 to leave embeddings out).
    n_ctx : int
        Sequence length (context) used in training.
    """

    n_layers: int
    d_model: int
    n_heads: int
    kv_size: int | None = None
    d_ff: int | None = None
    vocab: int = 0
    n_ctx: int = 2048

    def __post_init__(self) -> None:
        # counts of layers, widths, heads and tokens are whole numbers
        for name in ("n_layers", "d_model", "n_heads", "kv_size", "d_ff", "vocab", "n_ctx"):
            v = getattr(self, name)
            if v is None and name in ("kv_size", "d_ff"):
                continue
            if not is_whole(v) or v < (
                    0 if name == "vocab" else 1):
                need = ">= 0" if name == "vocab" else ">= 1"
                raise InputError(f"{name} must be a whole number {need}, got {v!r}")
        if self.kv_size is None and self.n_heads > self.d_model:
            raise InputError(f"n_heads {self.n_heads} exceeds d_model {self.d_model}: a head "
                             "would be narrower than one unit (give kv_size for another width)")

    @property
    def d_attn(self) -> float:
        """Total width of the attention heads, ``n_heads * kv_size``."""
        kv = self.kv_size if self.kv_size is not None else self.d_model / self.n_heads
        return float(self.n_heads * kv)

    @property
    def ff(self) -> float:
        """Feed-forward width (``4 d_model`` unless given)."""
        return float(self.d_ff if self.d_ff is not None else 4 * self.d_model)

    # -- parameters ---------------------------------------------------------------------------
    def params(self, convention: Convention = "kaplan") -> dict[str, float]:
        """Parameter count in a published convention.

        Parameters
        ----------
        convention : {"kaplan", "chinchilla"}
            ``"kaplan"``: non-embedding ``n_layer (4 d_model d_attn + 2 d_model d_ff)``,
            embedding ``(vocab + n_ctx) d_model`` (learned positions, Kaplan et al. 2020
            Table 1). ``"chinchilla"``: non-embedding ``n_layer (5 d_model d_attn + 2 d_model
            d_ff)`` (one more matrix per layer for relative positions), embedding
            ``vocab d_model`` shared with the output layer (Hoffmann et al. 2022, Rae et al.
            2021).

        Returns
        -------
        dict
            ``non_embedding``, ``embedding`` and ``total`` parameter counts.
        """
        _check_choice("convention", convention, CONVENTIONS)
        d, da, ff, L = float(self.d_model), self.d_attn, self.ff, float(self.n_layers)
        if convention == "kaplan":
            non_emb = L * (4.0 * d * da + 2.0 * d * ff)
            emb = (float(self.vocab) + float(self.n_ctx)) * d if self.vocab else 0.0
        else:
            non_emb = L * (5.0 * d * da + 2.0 * d * ff)
            emb = float(self.vocab) * d
        return {"non_embedding": non_emb, "embedding": emb, "total": non_emb + emb}

    # -- FLOPs ----------------------------------------------------------------------------------
    def forward_flops_per_token(self, method: FlopMethod = "kaplan", *,
                                embeddings: bool = True, attention: bool = True,
                                convention: Convention = "kaplan") -> dict[str, float]:
        """Forward-pass FLOPs per token, term by term.

        Parameters
        ----------
        method : {"6N", "kaplan", "chinchilla"}
            ``"6N"``: ``2N`` with ``N`` from :meth:`params` in ``convention`` (total when
            ``embeddings``, else non-embedding). ``"kaplan"``: Kaplan et al. 2020 Table 1,
            ``2N + 2 n_layer n_ctx d_attn`` plus, with ``embeddings``, ``4 d_model`` for the
            embedding and ``2 d_model n_vocab`` for the de-embedding. ``"chinchilla"``:
            Hoffmann et al. 2022 Appendix F, every matrix product counted (``2 m n k``) and
            ``3 n_heads n_ctx`` for the softmax, per token.
        embeddings : bool
            Count the embedding and output (logit) layers.
        attention : bool
            Count the context-dependent attention terms (logits, softmax, weighted values).
        convention : {"kaplan", "chinchilla"}
            Parameter convention for ``method="6N"``.

        Returns
        -------
        dict
            Named terms and their ``total``, FLOPs per token.
        """
        _check_choice("method", method, FLOP_METHODS)
        d, da, ff = float(self.d_model), self.d_attn, self.ff
        L, ctx = float(self.n_layers), float(self.n_ctx)
        V, H = float(self.vocab), float(self.n_heads)
        terms: dict[str, float] = {}
        if method == "6N":
            p = self.params(convention)
            terms["weights"] = 2.0 * (p["total"] if embeddings else p["non_embedding"])
        elif method == "kaplan":
            terms["weights"] = 2.0 * self.params("kaplan")["non_embedding"]
            if attention:
                terms["attention"] = 2.0 * L * ctx * da
            if embeddings and self.vocab:  # vocab 0 leaves the embeddings out, as in params()
                terms["embedding"] = 4.0 * d
                terms["de_embedding"] = 2.0 * d * V
        else:
            terms["qkv"] = L * 2.0 * 3.0 * d * da
            if attention:
                terms["attention_logits"] = L * 2.0 * ctx * da
                terms["softmax"] = L * 3.0 * H * ctx
                terms["attention_values"] = L * 2.0 * ctx * da
            terms["attention_output"] = L * 2.0 * da * d
            terms["feed_forward"] = L * 2.0 * 2.0 * d * ff
            if embeddings:
                terms["embedding"] = 2.0 * V * d
                terms["logits"] = 2.0 * d * V
        terms["total"] = sum(terms.values())
        return terms

    def training_flops_per_token(self, method: FlopMethod = "kaplan", *, embeddings: bool = True,
                                 attention: bool = True,
                                 convention: Convention = "kaplan") -> float:
        """Training FLOPs per token: three times the forward pass (forward + backward).

        Parameters
        ----------
        method, embeddings, attention, convention
            As for :meth:`forward_flops_per_token`.

        Returns
        -------
        float
        """
        return 3.0 * self.forward_flops_per_token(method, embeddings=embeddings,
                                                  attention=attention,
                                                  convention=convention)["total"]

    def describe(self, tokens: float | None = None) -> dict:
        """Everything at once: shape, parameter counts in both conventions, training FLOPs
        per token by every method (with and without embeddings and attention), and the total
        training compute for ``tokens`` when given.

        Parameters
        ----------
        tokens : float, optional
            Training tokens.

        Returns
        -------
        dict
            JSON-ready.
        """
        out: dict = {"shape": {**asdict(self), "d_attn": self.d_attn, "d_ff": self.ff},
                     "params": {c: self.params(c) for c in CONVENTIONS}}
        per_token = {}
        for m in FLOP_METHODS:
            for conv in (CONVENTIONS if m == "6N" else (None,)):
                key = f"6N_{conv}" if m == "6N" else m
                per_token[key] = {
                    "full": self.training_flops_per_token(m, convention=conv or "kaplan"),
                    "no_embedding": self.training_flops_per_token(
                        m, embeddings=False, convention=conv or "kaplan"),
                }
                if m != "6N":
                    per_token[key]["no_attention"] = self.training_flops_per_token(
                        m, attention=False)
                    per_token[key]["no_embedding_no_attention"] = self.training_flops_per_token(
                        m, embeddings=False, attention=False)
        out["training_flops_per_token"] = per_token
        if tokens is not None:
            _positive("tokens", tokens)
            out["tokens"] = float(tokens)
            out["training_flops"] = {k: v["full"] * float(tokens) for k, v in per_token.items()}
        return out


def _positive(name: str, v) -> None:
    try:
        ok = math.isfinite(float(v)) and float(v) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"{name} must be a positive number, got {v!r}")


def _check_choice(name: str, v: str, choices) -> None:
    if v not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}, got {v!r}")


__all__ = ["CONVENTIONS", "FLOP_METHODS", "Transformer", "training_flops"]
