"""SyntheticDanceDataset: items, determinism, balance, caching, padding, and the BAS headline."""

import math

import numpy as np
import pytest
import torch

from m2p_course.features import DEFAULT_RECIPE, stack_context
from m2p_course.keypoints import rest_pose
from m2p_course.synthetic import dataset as data
from m2p_course.synthetic.choreography import DANCER_NAMES, random_motion
from m2p_course.synthetic.dataset import SyntheticDanceDataset, pad_collate
from m2p_course.synthetic.metrics import beat_alignment_score

SMALL = dict(num_clips=4, seconds=6.0, seed=0, cache_dir=False)  # one clip per dancer
T = 180  # 6 s at 30 fps
TINY = dict(num_clips=2, seconds=2.0, seed=0, cache_dir=False)  # for the tests that build again


@pytest.fixture(scope="module")
def dataset():
    return SyntheticDanceDataset(**SMALL)


@pytest.fixture(scope="module")
def tiny():
    return SyntheticDanceDataset(**TINY)


def assert_same_items(a, b):
    assert len(a) == len(b)
    for i in range(len(a)):
        for key in ("music", "pose", "beat_frames", "dancer"):
            torch.testing.assert_close(a[i][key], b[i][key], rtol=0, atol=0)


@pytest.fixture
def fresh_memo(monkeypatch):
    """An empty process memo, so the next dataset is built or read from disk."""
    monkeypatch.setattr(data, "_MEMO", {})


def test_item_shapes_and_dtypes(dataset):
    assert len(dataset) == 4
    item = dataset[0]
    assert item["music"].shape == (T, DEFAULT_RECIPE.dim) == (T, 4800)
    assert item["music"].dtype == torch.float32
    assert item["pose"].shape == (T, 134, 2) and item["pose"].dtype == torch.float32
    assert item["dancer"].dtype == torch.int64 and item["dancer"].dim() == 0
    assert item["beat_frames"].dtype == torch.int64
    assert item["style"] == DANCER_NAMES[int(item["dancer"])]
    assert 90.0 <= item["bpm"] <= 130.0
    assert torch.isfinite(item["music"]).all() and item["pose"].abs().max() <= 0.95


def test_music_is_the_stacked_descriptors(dataset):
    descriptors = dataset.descriptors(2)
    assert descriptors.shape == (T, DEFAULT_RECIPE.frame_dim)
    expected = stack_context(descriptors, DEFAULT_RECIPE.context)
    np.testing.assert_array_equal(dataset[2]["music"].numpy(), expected)
    assert (descriptors.std(axis=0) > 0).all()  # every descriptor column varies: real music


def test_beat_frames_are_the_songs_beats(dataset):
    for i in range(len(dataset)):
        song = dataset.song(i)
        assert song.bpm == dataset[i]["bpm"]
        expected = np.round(song.beat_times * 30).astype(np.int64)
        np.testing.assert_array_equal(dataset[i]["beat_frames"].numpy(), expected[expected < T])
        assert math.isclose(len(expected), 6.0 * song.bpm / 60, abs_tol=1)


def test_labels_are_balanced_and_music_matches_the_dancer():
    for num_clips in (4, 8, 12):
        plan = data._clip_plan(num_clips, seed=3, bpm_range=(90.0, 130.0), num_dancers=4)
        labels = [dancer for dancer, _, _ in plan]
        np.testing.assert_array_equal(np.bincount(labels, minlength=4), [num_clips // 4] * 4)
        assert all(90.0 <= bpm <= 130.0 for _, bpm, _ in plan)
    sub = SyntheticDanceDataset(num_clips=3, seconds=2.0, styles=["swayer", "robot"], cache_dir=False)
    assert sub.dancer_names == ("swayer", "robot") and sub.num_dancers == 2
    assert [sub[i]["style"] for i in range(3)] == ["swayer", "robot", "swayer"]
    assert sub.dancers.tolist() == [0, 1, 0]
    assert [sub.song(i).style for i in range(2)] == ["waltz", "house"]  # each dancer's own music


def test_default_dancers_and_their_music(dataset):
    assert dataset.num_dancers == len(DANCER_NAMES) and dataset.dancer_names == DANCER_NAMES
    assert dataset.dancers.tolist() == [0, 1, 2, 3]
    assert [dataset.song(i).style for i in range(4)] == [data.DANCER_STYLES[n].music for n in DANCER_NAMES]


def test_deterministic_and_seeded(tiny, fresh_memo):
    again = SyntheticDanceDataset(**TINY)  # built anew: the memo is empty
    assert again._clips is not tiny._clips
    assert_same_items(again, tiny)
    other = SyntheticDanceDataset(**{**TINY, "seed": 1, "num_clips": 1})
    assert not torch.equal(other[0]["music"], tiny[0]["music"])
    assert other.bpms[0] != tiny.bpms[0]


def test_memo_shares_one_build(dataset):
    again = SyntheticDanceDataset(**SMALL)
    assert again._clips is dataset._clips


def test_disk_cache_round_trip(tiny, tmp_path, fresh_memo, monkeypatch):
    first = SyntheticDanceDataset(**{**TINY, "cache_dir": tmp_path})
    assert first.cache_path.parent == tmp_path and first.cache_path.exists()
    assert first.cache_key == tiny.cache_key  # where the cache lives is not part of the data
    monkeypatch.setattr(data, "_MEMO", {})

    def no_build(*args, **kwargs):
        raise AssertionError("the cache file should have been used")

    monkeypatch.setattr(data, "_build", no_build)
    loaded = SyntheticDanceDataset(**{**TINY, "cache_dir": tmp_path})
    assert_same_items(loaded, tiny)


def test_cache_dir_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "here"))
    assert data.default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv(data.CACHE_ENV)
    assert data.default_cache_dir().name == "m2p_course"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong_key", "wrong_shape"])
def test_corrupted_cache_is_rebuilt(tiny, tmp_path, fresh_memo, damage):
    params = {**TINY, "cache_dir": tmp_path}
    path = tmp_path / f"dance_{tiny.cache_key}.npz"
    data._save(tiny._clips, path, tiny.cache_key)
    good = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"this is not an npz file")
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    else:
        with np.load(path) as stored:
            arrays = dict(stored)
        if damage == "wrong_key":
            arrays["key"] = np.array("not-the-key")
        else:
            arrays["poses"] = arrays["poses"][:, :100]
        np.savez(path, **arrays)
    with pytest.warns(RuntimeWarning, match="rebuilding"):
        rebuilt = SyntheticDanceDataset(**params)
    assert rebuilt.cache_path == path
    assert_same_items(rebuilt, tiny)
    with np.load(path) as stored:  # the file was written again, whole
        assert str(stored["key"]) == tiny.cache_key
        assert stored["poses"].shape == tiny._clips.poses.shape


def test_pad_collate_pads_and_masks(dataset):
    items = [dataset[0], dataset[1]]
    items[1] = {**items[1], "music": items[1]["music"][:100], "pose": items[1]["pose"][:100]}
    batch = pad_collate(items)
    assert batch["music"].shape == (2, T, 4800) and batch["pose"].shape == (2, T, 134, 2)
    assert batch["padding_mask"].dtype == torch.bool and batch["padding_mask"].shape == (2, T)
    assert batch["lengths"].tolist() == [T, 100]
    assert not batch["padding_mask"][0].any()
    assert not batch["padding_mask"][1, :100].any() and batch["padding_mask"][1, 100:].all()
    assert (batch["music"][1, 100:] == 0).all() and (batch["pose"][1, 100:] == 0).all()
    torch.testing.assert_close(batch["music"][1, :100], items[1]["music"])
    assert batch["dancer"].tolist() == [int(items[0]["dancer"]), int(items[1]["dancer"])]
    assert len(batch["beat_frames"]) == 2 and batch["style"] == [items[0]["style"], items[1]["style"]]


def test_dataloader_with_pad_collate(dataset):
    loader = torch.utils.data.DataLoader(dataset, batch_size=3, collate_fn=pad_collate)
    sizes = [batch["music"].shape[0] for batch in loader]
    assert sizes == [3, 1]


@pytest.mark.parametrize("batch, error", [
    ([], TypeError),
    ([{"music": torch.zeros(5, 8)}], ValueError),
    ([{"music": torch.zeros(5, 8), "pose": torch.zeros(5, 134, 2)},
      {"music": torch.zeros(5, 9), "pose": torch.zeros(5, 134, 2)}], ValueError),
    ([{"music": torch.zeros(5, 8), "pose": torch.zeros(4, 134, 2)}], ValueError),
])
def test_pad_collate_rejects_bad_batches(batch, error):
    with pytest.raises(error):
        pad_collate(batch)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(num_clips=0), ValueError, "num_clips"),
    (dict(num_clips=2.0), TypeError, "num_clips"),
    (dict(seconds=1.0), ValueError, r"^seconds must be a finite number in \[2, 600\], got 1.0$"),
    (dict(seconds="8"), TypeError, r"^seconds must be a finite number in \[2, 600\], got str '8'$"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(styles=["tango"]), ValueError, "dancer names"),
    (dict(styles="robot"), TypeError, "list of dancer names"),
    (dict(styles=3), TypeError, "list of dancer names"),
    (dict(bpm_range=(40, 100)), ValueError,
     r"^bpm_range\[0\] \(low\) must be a finite number in \[60, 200\], got 40.0$"),
    (dict(bpm_range=(120, 100)), ValueError,
     r"^bpm_range\[1\] \(high\) must be a finite number in \[120, 200\], got 100.0$"),
    (dict(bpm_range=(100, "120")), TypeError, r"^bpm_range\[1\] \(high\) must be a finite number"),
    (dict(bpm_range=120), TypeError, r"^bpm_range must be a pair of numbers \(low, high\), got int 120$"),
    (dict(bpm_range=(90, 100, 110)), TypeError, "bpm_range must be a pair"),
    (dict(recipe="4800"), TypeError, "FeatureRecipe"),
])
def test_bad_arguments_raise(kwargs, error, message):
    with pytest.raises(error, match=message):
        SyntheticDanceDataset(**{**SMALL, **kwargs})


def test_index_errors(dataset):
    with pytest.raises(IndexError, match="out of range"):
        dataset[4]
    with pytest.raises(TypeError, match="int index"):
        dataset["0"]
    assert torch.equal(dataset[-1]["pose"], dataset[3]["pose"])


def test_ground_truth_dances_score_above_still_and_random(dataset):
    """The issue's headline: BAS(ground truth) clearly above a still and a randomly moving skeleton."""
    truth, still, moving, wrong_beats = [], [], [], []
    for i in range(len(dataset)):
        item = dataset[i]
        beats = item["beat_frames"]
        truth.append(beat_alignment_score(item["pose"], beats))
        still.append(beat_alignment_score(np.repeat(rest_pose()[None], T, axis=0), beats))
        moving.append(beat_alignment_score(random_motion(T, style=item["style"], seed=i), beats))
        other = dataset[(i + 1) % len(dataset)]  # a real dance, to another song's beats
        wrong_beats.append(beat_alignment_score(other["pose"], beats))
    truth, still, moving, wrong_beats = map(np.mean, (truth, still, moving, wrong_beats))
    assert still == 0.0
    assert truth > 0.7  # 0.79 here; 0.84 on 16 clips of 8 s
    assert truth > moving + 0.3 and truth > wrong_beats + 0.15
