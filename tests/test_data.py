"""Data files (CSV, .npy) and generated inputs: what is read, what is refused and how the refusal reads."""

import numpy as np
import pytest

from basins.errors import InvalidArgument
from basins.io.data import generated_inputs, noisy_xor, read_inputs


@pytest.mark.parametrize("content, expected", [
    ("1,2\n3,4\n", [[1, 2], [3, 4]]),
    ("1 2\n3 4", [[1, 2], [3, 4]]),
    ("# x1, x2\n0.5, -1e-3\n\n  2 ,  3  \n", [[0.5, -1e-3], [2, 3]]),
    ("1\n2\n3\n", [[1], [2], [3]]),
    ("\ufeff1,2\n", [[1, 2]]),
], ids=["commas", "blanks", "comments-and-spaces", "one-column", "byte-order-mark"])
def test_read_csv(tmp_path, content, expected):
    path = tmp_path / "data.csv"
    path.write_text(content)
    X = read_inputs(path)
    assert X.dtype == float and X.tolist() == expected


@pytest.mark.parametrize("content, match", [
    ("1,2\n3\n", r"data.csv:2: 1 value\(s\) '3', but line 1 has 2: .*ragged"),
    ("1,2\n3,4,5\n", r"data.csv:2: 3 value\(s\)"),
    ("x1,x2\n1,2\n", r"data.csv:1: the value 'x1' is not a number"),
    ("1,2\n3,abc\n", r"data.csv:2: the value 'abc' is not a number"),
    ("1,nan\n", r"data.csv:1: the value 'nan' is not finite"),
    ("1,2\n-inf,3\n", r"data.csv:2: the value '-inf' is not finite"),
    ("1,1e999\n", r"data.csv:1: the value '1e999' is not finite"),
    ("1,,2\n", r"data.csv:1: an empty value"),
    ("", r"holds no rows of numbers \(it is empty\)"),
    ("# only a comment\n\n", r"holds no rows of numbers"),
], ids=["ragged-short", "ragged-long", "header", "non-numeric", "nan", "inf", "overflow", "empty-value",
        "empty-file", "comments-only"])
def test_bad_csv(tmp_path, content, match):
    path = tmp_path / "data.csv"
    path.write_text(content)
    with pytest.raises(InvalidArgument, match=match) as info:
        read_inputs(path)
    assert "\n" not in str(info.value)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(InvalidArgument, match="cannot be read"):
        read_inputs(tmp_path / "absent.csv")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"1,\xe9\n")
    with pytest.raises(InvalidArgument, match="not UTF-8"):
        read_inputs(bad)
    with pytest.raises(InvalidArgument, match="not a regular file"):
        read_inputs(tmp_path)


@pytest.mark.parametrize("array, shape", [(np.arange(6.0).reshape(3, 2), (3, 2)), (np.arange(4), (4, 1))],
                         ids=["2-d", "1-d"])
def test_read_npy(tmp_path, array, shape):
    path = tmp_path / "data.npy"
    np.save(path, array)
    X = read_inputs(path)
    assert X.shape == shape and X.dtype == float and np.array_equal(X.ravel(), np.asarray(array, float).ravel())


@pytest.mark.parametrize("array, match", [
    (np.array([[1.0, np.inf]]), r"row 1, column 2: the value inf is not finite"),
    (np.array([[1.0, 2.0], [np.nan, 1.0]]), r"row 2, column 1: the value nan"),
    (np.array(["a", "b"]), "not real numbers"),
    (np.zeros((2, 2, 2)), r"shape \(2, 2, 2\)"),
    (np.zeros((0, 2)), "is empty"),
], ids=["inf", "nan", "strings", "3-d", "empty"])
def test_bad_npy(tmp_path, array, match):
    path = tmp_path / "data.npy"
    np.save(path, array)
    with pytest.raises(InvalidArgument, match=match):
        read_inputs(path)


def test_npy_with_objects_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "data.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InvalidArgument, match="not a NumPy .npy array of numbers"):
        read_inputs(path)


def test_generated_inputs_are_seeded_standard_normal():
    X = generated_inputs(3, 30, seed=1)
    assert X.shape == (30, 3)
    assert np.array_equal(X, np.random.default_rng(1).standard_normal((30, 3)))
    assert not np.array_equal(X, generated_inputs(3, 30, seed=2))


@pytest.mark.parametrize("args, match", [((0, 5, 0), "d=0"), ((2, 0, 0), "N=0"), ((2, 5, -1), "seed=-1"),
                                         ((2.5, 5, 0), "d=2.5"), ((True, 5, 0), "d=True")],
                         ids=["d", "N", "seed", "d-float", "d-bool"])
def test_generated_inputs_bad_arguments(args, match):
    with pytest.raises(InvalidArgument, match=match):
        generated_inputs(*args)


def test_noisy_xor():
    X = noisy_xor(200, seed=3, noise=0.1)
    assert X.shape == (200, 2)
    assert np.array_equal(X, noisy_xor(200, seed=3, noise=0.1))
    corners = np.sign(X)
    assert {tuple(c) for c in corners.tolist()} == {(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)}
    assert np.max(np.abs(np.abs(X) - 1.0)) < 0.6          # within a few σ of the corners
    clean = noisy_xor(50, seed=3, noise=0.0)
    assert set(np.abs(clean).ravel().tolist()) == {1.0}


@pytest.mark.parametrize("noise", [-0.1, float("nan"), "0.1"], ids=["negative", "nan", "string"])
def test_noisy_xor_bad_noise(noise):
    with pytest.raises(InvalidArgument, match="noise="):
        noisy_xor(10, seed=0, noise=noise)
