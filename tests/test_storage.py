"""The pretrained files' helpers: shapes from the safetensors header alone, and the shape check's message.
(Saving and loading whole models through them: tests/test_checkpoint.py.)"""

import pytest
import torch
from safetensors.torch import save_file

from m2p_course.storage import check_shapes, header_shapes


def test_header_shapes_gives_every_tensors_shape_or_a_clear_error(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"big": torch.zeros(1000, 64), "bias": torch.zeros(64), "scalar": torch.tensor(1.0)}, path)
    assert header_shapes(path) == {"big": (1000, 64), "bias": (64,), "scalar": ()}
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])                    # the tensors cut off
    with pytest.raises(ValueError, match=r"w\.safetensors is not a readable safetensors file \(.*not fully cover"):
        header_shapes(path)
    path.write_bytes(b"\x80\x04 a pickle")
    with pytest.raises(ValueError, match=r"w\.safetensors is not a readable safetensors file"):
        header_shapes(path)
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike path, got int 3"):
        header_shapes(3)


def test_check_shapes_names_every_kind_of_mismatch(tmp_path):
    implied = {"a": (20_000_000, 16), "b": (64,), "c": (2, 2), "gone": (3,)}
    stored = {"a": (32, 16), "b": (32,), "c": (2, 2), "new": ()}
    with pytest.raises(ValueError) as error:
        check_shapes(implied, stored, tmp_path / "model.safetensors")
    assert str(error.value) == (
        f"{tmp_path / 'model.safetensors'} does not match the model its config.json describes (checked before "
        "building it). 2 tensors have the wrong shape: a: the config implies (20_000_000, 16), the file stores "
        "(32, 16); b: the config implies (64,), the file stores (32,). 1 tensor is missing from the file: gone. "
        "1 tensor is in the file but not in the model the config describes: new")
    check_shapes(implied, implied, tmp_path / "model.safetensors")          # the same: nothing to say
