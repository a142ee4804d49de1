"""Stage 5: the transformer encoder, ``[B, T, 1024] -> [B, T, 1024]``.

Exactly the guide's configuration of PyTorch's own modules: six post-norm layers of
8-head self-attention and a GELU feed-forward of width 4096, dropout 0.1, batch first.
"""

from __future__ import annotations

from torch import nn

from .checks import check_positive_int, check_real

__all__ = ["build_transformer_encoder"]


def build_transformer_encoder(d_model: int = 1024, nhead: int = 8, dim_feedforward: int = 4096,
                              dropout: float = 0.1, num_layers: int = 6) -> nn.TransformerEncoder:
    """``nn.TransformerEncoder`` of ``num_layers`` copies of the guide's ``TransformerEncoderLayer``.

    Input and output ``[B, T, d_model]``; ``src_key_padding_mask`` ``[B, T]`` (True = padded).
    """
    for value, name in ((d_model, "d_model"), (nhead, "nhead"), (dim_feedforward, "dim_feedforward"),
                        (num_layers, "num_layers")):
        check_positive_int(value, name)
    check_real(dropout, "dropout", 0, 1, high_open=True)
    if d_model % nhead:
        raise ValueError(f"hidden size {d_model} must be divisible by the number of heads {nhead}")
    layer = nn.TransformerEncoderLayer(
        d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout,
        activation="gelu", batch_first=True,
    )
    # Nested tensors are only a speed-up for padded batches at inference; they are a prototype
    # API that warns on every padded call, so the course leaves them off.
    return nn.TransformerEncoder(layer, num_layers=num_layers, enable_nested_tensor=False)
