"""Tests of basins.plot (grids, surfaces, paths, sweeps, figures) and `basins plot`: loss grids against independent formulas, pictures checked headlessly (PNG pixels, PDF/SVG/JPEG magic bytes)."""

from __future__ import annotations

import json
import math
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp

from basins.io.case import Case, Witness
from basins.errors import CaseFormatError, InvalidArgument
from basins.plot.figures import (
    PlotUnavailable,
    loss_surface,
    plot_case,
    plot_file,
    plot_path,
    plot_sweep,
)
from basins.constructions.prop4 import construct_prop4

X2 = (0.1, 2.0, 3.0)


@pytest.fixture(scope="module")
def example2() -> Case:
    """The paper's Example 2: swish, x = (0.1, 2, 3), w = v = 1, M = 100."""
    return construct_prop4("swish", X2, w=[1.0], v=[1.0], M=100.0)


@pytest.fixture(scope="module")
def wide_case() -> Case:
    """A width-2 softplus point with a witness (geometry only; not necessarily a minimum)."""
    return Case(activation=__import__("basins").as_activation("softplus"), x=(0.5, 1.0, 1.5, 2.0, 2.5),
                y=(1.0, -2.0, 0.5, 3.0, -1.0), v=(1.0, -0.5), w=(0.3, -0.7), theorem="test", loss=0.0,
                witness=Witness(v=(2.0, 0.25), w=(-1.0, 0.1), loss=0.0), name="m2")


def swish(t):
    return t / (1.0 + np.exp(-t))


def E_swish(case: Case, v: float, w: float) -> float:
    """E(v, w) of a one-neuron swish network, written independently of basins."""
    x, y = np.array(case.x), np.array(case.y)
    r = y - v * swish(w * x)
    return float(r @ r)


def dE_mp(case: Case, dv: float, dw: float) -> float:
    """E(θ + δ) − E(θ) at 60 digits (independent of the sampling kernel)."""
    with mpmath.workdps(60):
        sw = lambda t: t / (1 + mpmath.exp(-t))
        v0, w0 = mpmath.mpf(case.v[0]), mpmath.mpf(case.w[0])
        xs, ys = [mpmath.mpf(a) for a in case.x], [mpmath.mpf(a) for a in case.y]
        E = lambda v, w: mpmath.fsum((yy - v * sw(w * xx)) ** 2 for xx, yy in zip(xs, ys))
        return float(E(v0 + mpmath.mpf(dv), w0 + mpmath.mpf(dw)) - E(v0, w0))


def sympy_hessian(case: Case) -> np.ndarray:
    """The exact Hessian of E(v, w) for one swish neuron, by sympy, evaluated at the point."""
    v, w = sp.symbols("v w", real=True)
    E = sum((sp.Float(yy, 30) - v * (w * sp.Float(xx, 30)) / (1 + sp.exp(-w * sp.Float(xx, 30)))) ** 2
            for xx, yy in zip(case.x, case.y))
    H = sp.hessian(E, (v, w)).subs({v: case.v[0], w: case.w[0]})
    return np.array(H.evalf(30).tolist(), dtype=float)


# ----------------------------------------------------------------- PNG --

def read_png(path):
    mpl_image = pytest.importorskip("matplotlib.image")
    return mpl_image.imread(str(path))


def red_pixels(img: np.ndarray) -> np.ndarray:
    """(row, column) of pure-red pixels (the point's cross; viridis has no such colour)."""
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return np.argwhere((r > 0.85) & (g < 0.2) & (b < 0.2))


def assert_png(path, width: int, height: int) -> np.ndarray:
    img = read_png(path)
    assert img.shape[:2] == (height, width)
    flat = (img[..., :3] * 255).astype(int).reshape(-1, 3)
    assert len(np.unique(flat, axis=0)) > 50, "the picture is (nearly) blank"
    assert float(img[..., :3].std()) > 0.05
    return img


def expected_pixel(box, window, xy):
    """Where data point xy must land in an axes box (left, top, right, bottom) showing window (s0, s1, t0, t1)."""
    left, top, right, bottom = box
    s0, s1, t0, t1 = window
    return (left + (xy[0] - s0) / (s1 - s0) * (right - left), bottom - (xy[1] - t0) / (t1 - t0) * (bottom - top))


# ------------------------------------------------------------ surfaces --

def test_example2_surface_values_match_independent_formulas(example2):
    s = loss_surface(example2, wide=(-30, 30, -100, 500), zoom=(0.5, 1.5, 0.5, 1.5), resolution=21)
    assert s.plane == "neuron" and s.labels == ("w_1", "v_1") and s.point == (1.0, 1.0)
    # the paper's E at the point: M²||a||² with a ≈ (1, 0.0294, -0.0365), M = 100
    assert s.loss == pytest.approx(1e4 * (1 + 0.0294**2 + 0.0365**2), rel=2e-5)
    g = s.wide
    assert g.extent == (-30.0, 30.0, -100.0, 500.0)
    for j, i in [(0, 0), (3, 17), (20, 20), (10, 5)]:
        assert g.values[j, i] == pytest.approx(E_swish(example2, g.t[j], g.s[i]), rel=1e-12)
    z = s.zoom
    k = list(z.s).index(1.0)
    assert z.values[k, k] == 0.0
    for j, i in [(k + 1, k), (k, k - 1), (0, 0), (20, 3)]:
        assert z.values[j, i] == pytest.approx(dE_mp(example2, z.t[j] - 1.0, z.s[i] - 1.0), rel=1e-9, abs=1e-11)
    # a strict local minimum: all eight neighbours of the centre lie higher
    assert np.all(z.values[k - 1:k + 2, k - 1:k + 2][np.arange(9).reshape(3, 3) != 4] > 0)


def test_example2_witness_lies_in_the_neuron_plane(example2):
    s = loss_surface(example2, resolution=11)
    assert s.witness == (example2.witness.w[0], example2.witness.v[0])
    assert s.witness_offset == 0.0
    lo_s, hi_s, lo_t, hi_t = s.wide.extent
    assert lo_s < s.witness[0] < hi_s and lo_t < s.witness[1] < hi_t
    assert lo_s < 1.0 < hi_s and lo_t < 1.0 < hi_t
    z0, z1, z2, z3 = s.zoom.extent          # default zoom: around the point, inside the wide view
    assert z0 < 1 < z1 and z2 < 1 < z3 and lo_s <= z0 and z1 <= hi_s


def test_default_zoom_reaches_the_basin_rim(example2):
    """The default zoom shows the lowest rim: somewhere in it the loss stops rising away from the point."""
    s = loss_surface(example2, resolution=41)
    assert float(np.max(s.zoom.values)) > 0
    k = 20
    assert s.zoom.values[k, k] == 0.0
    # along some row or column through the point ΔE rises and then falls again (a rim inside the window)
    lines = [s.zoom.values[k, k:], s.zoom.values[k, k::-1], s.zoom.values[k:, k], s.zoom.values[k::-1, k]]
    assert any(np.any(np.diff(line) < 0) for line in lines)


def test_hessian_plane_is_the_extreme_eigenvectors(example2):
    H = sympy_hessian(example2)
    lam, vecs = np.linalg.eigh(H)
    s = loss_surface(example2, plane="hessian", resolution=11, zoom=(-0.01, 0.01, -0.01, 0.01))
    assert s.plane == "hessian" and s.point == pytest.approx((0.0, 0.0), abs=1e-15)
    assert abs(s.basis[0] @ vecs[:, 0]) == pytest.approx(1.0, abs=1e-9)
    assert abs(s.basis[1] @ vecs[:, 1]) == pytest.approx(1.0, abs=1e-9)
    assert f"{lam[0]:.4g}" in s.labels[0] and f"{lam[1]:.4g}" in s.labels[1]
    # second difference of the zoom grid along s ≈ the softest eigenvalue
    h = s.zoom.s[1] - s.zoom.s[0]
    row = s.zoom.values[5]
    assert (row[6] - 2 * row[5] + row[4]) / h**2 == pytest.approx(lam[0], rel=1e-3)


def test_witness_plane_puts_the_witness_on_the_s_axis(wide_case):
    s = loss_surface(wide_case, plane="witness", resolution=11)
    d = np.array(wide_case.witness.v + wide_case.witness.w) - np.array(wide_case.v + wide_case.w)
    assert s.witness == pytest.approx((np.linalg.norm(d), 0.0), abs=1e-12)
    assert s.witness_offset == 0.0
    assert s.basis @ s.basis.T == pytest.approx(np.eye(2), abs=1e-12)


def test_neuron_plane_of_a_wider_case_projects_the_witness(wide_case):
    s = loss_surface(wide_case, plane="neuron", neuron=1, resolution=11)
    assert s.labels == ("w_2", "v_2") and s.point == (-0.7, -0.5)
    assert s.witness == (0.1, 0.25)
    assert s.witness_offset == pytest.approx(math.hypot(2.0 - 1.0, -1.0 - 0.3), rel=1e-12)
    auto = loss_surface(wide_case, resolution=11)
    assert auto.plane == "hessian"


def test_explicit_directions_are_normalised(wide_case):
    s = loss_surface(wide_case, plane=[[2, 0, 0, 0], [0, 0, 0, 3]], resolution=11, wide=(-1, 1, -1, 1),
                     zoom=(-0.1, 0.1, -0.1, 0.1))
    assert s.plane == "directions"
    assert s.basis.tolist() == [[1, 0, 0, 0], [0, 0, 0, 1]]
    # moving along direction 1 changes v_1 only
    assert s.theta(0.5, 0.0).tolist() == [1.5, -0.5, 0.3, -0.7]


# -------------------------------------------------------------- errors --

@pytest.mark.parametrize("kwargs, match", [
    ({"plane": "diagonal"}, r"plane='diagonal' is not one of auto, neuron, hessian, witness"),
    ({"plane": [[1, 0, 0, 0]]}, r"plane directions have shape \(1, 4\); two finite vectors of length 2m = 4"),
    ({"plane": [[1, 0, 0, 0], [2, 0, 0, 0]]}, r"are zero or parallel"),
    ({"plane": [["a", 0, 0, 0], [2, 0, 0, 0]]}, r"is neither a plane name nor two direction vectors"),
    ({"plane": "neuron", "neuron": 2}, r"neuron=2 must be an index 0..1 \(the case has width m = 2\)"),
    ({"resolution": 5}, r"resolution=5 must be an integer of at least 11"),
    ({"wide": (1, 0, 0, 1)}, r"wide=\(1, 0, 0, 1\) must be four finite numbers s_min < s_max"),
    ({"zoom": (0, 1, 0)}, r"zoom=\(0, 1, 0\) must be four finite numbers"),
], ids=["name", "shape", "parallel", "text", "neuron", "resolution", "wide", "zoom"])
def test_bad_surface_arguments_raise(wide_case, kwargs, match):
    with pytest.raises(InvalidArgument, match=match):
        loss_surface(wide_case, **kwargs)


def test_witness_plane_needs_a_witness_of_the_same_width(wide_case):
    with pytest.raises(InvalidArgument, match=r"plane='witness' needs a case with a witness"):
        loss_surface(wide_case.with_(witness=None), plane="witness")
    odd = wide_case.with_(witness=Witness(v=(1.0,), w=(2.0,), loss=0.0))
    with pytest.raises(InvalidArgument, match=r"the witness has 1 neurons, the point 2"):
        loss_surface(odd, plane="witness")


def test_overflowing_hessian_raises():
    case = Case(activation=__import__("basins").as_activation("exp"), x=(1.0, 2.0, 3.0), y=(0.0, 0.0, 0.0),
                v=(1.0,), w=(400.0,), theorem="test", loss=0.0, name="huge")
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(InvalidArgument, match=r"the Hessian at the point of case huge is not finite"):
        loss_surface(case)


# ------------------------------------------------------------ pictures --

def test_plot_case_png_marks_point_and_witness(example2, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "surface.png"
    wide, zoom = (-10.0, 10.0, -100.0, 700.0), (0.0, 2.0, 0.0, 2.0)
    pic = plot_case(example2, out, wide=wide, zoom=zoom, resolution=31, dpi=50)
    assert (pic.width, pic.height) == (550, 450)            # 11 × 9 inches at 50 dpi
    img = assert_png(out, 550, 450)
    assert set(pic.panels) == {"wide", "zoom"}
    assert {"wide:point", "wide:witness", "zoom:point"} <= set(pic.marks)
    assert "zoom:witness" not in pic.marks                  # the witness lies outside the zoom
    for panel, window, mark, xy in [("wide", wide, "wide:point", (1.0, 1.0)), ("zoom", zoom, "zoom:point", (1.0, 1.0)),
                                    ("wide", wide, "wide:witness", (example2.witness.w[0], example2.witness.v[0]))]:
        left, top, right, bottom = pic.panels[panel]
        col, row = pic.marks[mark]
        assert left < col < right and top < row < bottom     # inside the axes
        ex = expected_pixel(pic.panels[panel], window, xy)
        assert col == pytest.approx(ex[0], abs=1.0) and row == pytest.approx(ex[1], abs=1.0)
    # the red cross is drawn where the marks say, and red appears nowhere else in the contour panels
    red = red_pixels(img)
    for mark in ("wide:point", "zoom:point"):
        col, row = pic.marks[mark]
        near = red[(np.abs(red[:, 0] - row) <= 4) & (np.abs(red[:, 1] - col) <= 4)]
        assert len(near) >= 5, f"no red cross at {mark}"
    for panel in ("wide", "zoom"):
        left, top, right, bottom = pic.panels[panel]
        inside = red[(red[:, 1] > left + 2) & (red[:, 1] < right - 2) & (red[:, 0] > top + 2) & (red[:, 0] < bottom - 2)]
        col, row = pic.marks[f"{panel}:point"]
        far = np.hypot(inside[:, 0] - row, inside[:, 1] - col) > 12
        legend = (inside[:, 1] > left + 0.5 * (right - left)) & (inside[:, 0] < top + 0.2 * (bottom - top))
        assert not np.any(far & ~legend), f"red pixels away from the point in panel {panel}"


def test_plot_case_from_a_file_and_default_windows(example2, tmp_path):
    pytest.importorskip("matplotlib")
    src = tmp_path / "case.json"
    example2.save(src)
    pic = plot_file(src, tmp_path / "s.png", resolution=21, dpi=40)
    assert_png(tmp_path / "s.png", 440, 360)
    assert {"wide:point", "wide:witness", "zoom:point"} <= set(pic.marks)
    assert pic.summary["plane"] == "neuron" and pic.summary["witness off the plane by"] == 0.0


def test_plot_case_hessian_slice_of_a_wider_case(wide_case, tmp_path):
    pytest.importorskip("matplotlib")
    pic = plot_case(wide_case, tmp_path / "m2.png", resolution=21, dpi=40,
                    wide=(-3, 3, -3, 3), zoom=(-0.5, 0.5, -0.5, 0.5))
    assert_png(tmp_path / "m2.png", 440, 360)
    col, row = pic.marks["zoom:point"]
    left, top, right, bottom = pic.panels["zoom"]
    assert col == pytest.approx((left + right) / 2, abs=1.0) and row == pytest.approx((top + bottom) / 2, abs=1.0)
    assert pic.summary["witness off the plane by"] > 0


def test_missing_matplotlib_names_the_extra(example2, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotUnavailable, match=r"optional extra 'plot': pip install 'basins\[plot\]'"):
        plot_case(example2, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_bad_output_folder_and_dpi(example2, tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(InvalidArgument, match=r"the folder .* does not exist"):
        plot_case(example2, tmp_path / "nope" / "x.png", resolution=11, dpi=20)
    with pytest.raises(InvalidArgument, match=r"dpi=5 must be an integer between 20 and 600"):
        plot_case(example2, tmp_path / "x.png", dpi=5)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- paths --

def path_record(losses, *, kind="wide", status="path", barrier=None, predicted=None):
    lam = np.linspace(0, 1, len(losses)).tolist()
    return {"schema": "basins.path/1", "kind": kind, "status": status, "theorem": "Theorem 2",
            "network": {"widths": [1, 4, 1], "activations": ["tanh(t)"]}, "lambdas": lam,
            "losses": list(map(float, losses)), "predicted": predicted, "barrier": barrier,
            "strictly_decreasing": bool(np.all(np.diff(losses) < 0)), "rounding_floor": 1e-12}


def test_plot_path_decreasing(tmp_path):
    pytest.importorskip("matplotlib")
    lam = np.linspace(0, 1, 101)
    losses = 7.0 * (1 - lam) ** 2                      # the wide path's exact profile
    pic = plot_path(path_record(losses, predicted=losses.tolist()), tmp_path / "p.png", dpi=50)
    img = assert_png(tmp_path / "p.png", 550, 225)     # 11 × 4.5 inches
    assert pic.summary["non-decreasing steps"] == 0 and pic.summary["barrier"] is None
    left, top, right, bottom = pic.panels["path"]
    (c0, r0), (c1, r1) = pic.marks["path:start"], pic.marks["path:end"]
    assert left < c0 < c1 < right and top < r0 < r1 < bottom     # starts high on the left, ends low on the right
    red = red_pixels(img)
    assert np.any((np.abs(red[:, 0] - r0) <= 4) & (np.abs(red[:, 1] - c0) <= 4))


def test_plot_path_blocked_marks_the_barrier(tmp_path):
    pytest.importorskip("matplotlib")
    lam = np.linspace(0, 1, 201)
    losses = 10.0 + 3.0 * np.sin(np.pi * lam) - 9.0 * lam      # rises by about 1.9 before it falls
    k = int(np.argmax(losses))
    rec = path_record(losses, kind="barrier", status="blocked",
                      barrier={"value": float(losses[k] - losses[0]), "max_loss": float(losses[k]),
                               "at": float(lam[k])})
    rec["case_loss"] = 10.0
    pic = plot_path(rec, tmp_path / "b.png", dpi=40)
    assert_png(tmp_path / "b.png", 440, 180)
    assert pic.summary["max_loss"] == pytest.approx(float(np.max(losses)))
    assert pic.summary["non-decreasing steps"] == k
    (cs, rs), (cb, rb) = pic.marks["path:start"], pic.marks["path:barrier"]
    assert cb > cs and rb < rs                                  # the barrier is later and higher


def test_plot_path_from_a_real_wide_path(tmp_path):
    pytest.importorskip("matplotlib")
    from basins.landscape.pt import wide_path

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((2, 5)), rng.standard_normal((1, 5))
    p = wide_path([2, 6, 1], "tanh", X, Y, samples=51)
    p.save(str(tmp_path / "path.json"))
    pic = plot_file(tmp_path / "path.json", tmp_path / "p.png", dpi=30)
    assert pic.summary["status"] == "path" and pic.summary["non-decreasing steps"] == 0
    assert "path:start" in pic.marks


@pytest.mark.parametrize("change, match", [
    ({"schema": "basins.case/1"}, r"schema='basins.case/1' is not 'basins.path/1'"),
    ({"losses": []}, r"'losses' must be a non-empty list of numbers"),
    ({"losses": [1.0, "x", 0.0]}, r"losses\[1\]='x' is not a finite number"),
    ({"lambdas": [0.0, 1.0]}, r"2 lambdas but 3 losses"),
], ids=["schema", "empty", "text", "lengths"])
def test_bad_path_records_raise(tmp_path, change, match):
    rec = {**path_record([3.0, 2.0, 1.0]), **change}
    with pytest.raises(CaseFormatError, match=match):
        plot_path(rec, tmp_path / "p.png")
    assert not (tmp_path / "p.png").exists()


# --------------------------------------------------------------- sweeps --

def sweep_record():
    rows = [{"m": 1, "found": 2, "attempts": 2, "constructions": ["prop4"], "paper": "exists for some y (Theorem 6)"},
            {"m": 2, "found": 1, "attempts": 2, "constructions": ["prop4"], "paper": "not decided by the paper"},
            {"m": 3, "found": 0, "attempts": 2, "constructions": [], "paper": "not decided by the paper"},
            {"m": 4, "found": 0, "attempts": 2, "constructions": [], "paper": "none (Theorem 2, m ≥ N)"}]
    return {"schema": "basins.sweep/1", "activation": "log(exp(t) + 1)", "N": 4, "trials": 2, "rows": rows,
            "table1": {"class": "C2", "transition": "1 < m* ≤ N"}, "observed": {"lower_bound": 3},
            "consistent": True}


def test_plot_sweep_bars(tmp_path):
    pytest.importorskip("matplotlib")
    pic = plot_sweep(sweep_record(), tmp_path / "s.png", dpi=50)
    assert_png(tmp_path / "s.png", 450, 250)            # 9 × 5 inches
    left, top, right, bottom = pic.panels["sweep"]
    tops = {m: pic.marks[f"sweep:m={m}"] for m in (1, 2, 3, 4)}
    # fraction 0 sits on the axis, 1 at 1/1.22 of the height (the y axis runs to 1.22), 1/2 halfway to that
    assert tops[3][1] == pytest.approx(bottom, abs=1.0) and tops[4][1] == pytest.approx(bottom, abs=1.0)
    assert tops[1][1] == pytest.approx(bottom - (bottom - top) / 1.22, abs=1.5)
    assert tops[2][1] == pytest.approx(bottom - 0.5 * (bottom - top) / 1.22, abs=1.5)
    cols = [tops[m][0] for m in (1, 2, 3, 4)]
    assert all(left < c < right for c in cols) and cols == sorted(cols)
    assert np.diff(cols) == pytest.approx([(right - left) / 4] * 3, abs=1.0)
    assert pic.summary["widths_with"] == [1, 2] and pic.summary["observed lower bound"] == 3


@pytest.mark.parametrize("rows, match", [
    ([], r"'rows' must be a non-empty list of objects"),
    ([{"m": 1, "found": 3, "attempts": 2}], r"rows\[0\] needs integers m, found ≤ attempts; got m=1, found=3"),
    ([{"m": "1", "found": 0, "attempts": 2}], r"rows\[0\] needs integers"),
], ids=["empty", "found>attempts", "text"])
def test_bad_sweep_records_raise(tmp_path, rows, match):
    with pytest.raises(CaseFormatError, match=match):
        plot_sweep({**sweep_record(), "rows": rows}, tmp_path / "s.png")
    with pytest.raises(CaseFormatError, match=r"schema=None is not 'basins.sweep/1'"):
        plot_sweep({"rows": rows}, tmp_path / "s.png")


# ------------------------------------------------------------- plot_file --

def test_plot_file_rejects_bad_files(tmp_path):
    with pytest.raises(CaseFormatError, match=r"cannot be read"):
        plot_file(tmp_path / "missing.json", tmp_path / "x.png")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CaseFormatError, match=r"is not JSON"):
        plot_file(bad, tmp_path / "x.png")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "something/1"}))
    with pytest.raises(CaseFormatError, match=r"schema='something/1'; pictures exist for basins.case/1"):
        plot_file(other, tmp_path / "x.png")
    sw = tmp_path / "sweep.json"
    sw.write_text(json.dumps(sweep_record()))
    with pytest.raises(InvalidArgument, match=r"option\(s\) plane apply to case files only"):
        plot_file(sw, tmp_path / "x.png", plane="hessian")
    assert not (tmp_path / "x.png").exists()


# ------------------------------------------------------------------ CLI --

def test_cli_plot_case_json(example2, tmp_path):
    pytest.importorskip("matplotlib")
    from click.testing import CliRunner

    from basins.cli import main

    src = tmp_path / "case.json"
    example2.save(src)
    out = tmp_path / "surface.png"
    res = CliRunner().invoke(main, ["plot", str(src), "-o", str(out), "--resolution", "21", "--dpi", "30",
                                    "--zoom", "0.5,1.5,0.5,1.5", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["file"] == str(out) and (data["width"], data["height"]) == (330, 270)
    assert data["summary"]["zoom"] == [0.5, 1.5, 0.5, 1.5]
    assert_png(out, 330, 270)


def test_cli_plot_errors_are_one_line_and_write_nothing(example2, tmp_path):
    pytest.importorskip("matplotlib")
    from click.testing import CliRunner

    from basins.cli import main

    src = tmp_path / "case.json"
    example2.save(src)
    out = tmp_path / "x.png"
    runner = CliRunner()
    res = runner.invoke(main, ["plot", str(src), "-o", str(out), "--plane", "neuron", "--neuron", "3"])
    assert res.exit_code == 1 and "Error: neuron=2 must be an index 0..0" in res.output
    assert res.output.strip().count("\n") == 0
    res = runner.invoke(main, ["plot", str(src), "-o", str(out), "--wide", "1,2,3"])
    assert res.exit_code == 2 and "four numbers" in res.output
    res = runner.invoke(main, ["plot", str(src), "-o", str(out), "--directions", "1,0"])
    assert res.exit_code == 2 and "two vectors separated by ';'" in res.output
    res = runner.invoke(main, ["plot", str(src), "-o", str(out), "--directions", "1,0;0,1", "--plane", "hessian"])
    assert res.exit_code == 2 and "exclude each other" in res.output
    assert not out.exists()


def test_default_windows_stay_finite_and_ignore_a_far_off_plane_witness():
    """A shipped wide softplus case whose witness is ~1e6 away, far off the Hessian plane."""
    import pathlib

    src = pathlib.Path(__file__).resolve().parent.parent / "basins" / "cases" / "softplus_m5_n24.json"
    if not src.exists():
        pytest.skip("shipped case softplus_m5_n24.json not present")
    s = loss_surface(src, resolution=21)
    assert s.plane == "hessian" and s.witness is not None
    in_plane = math.hypot(*s.witness)
    assert s.witness_offset > in_plane                      # the plane passes far from the witness...
    lo_s, hi_s, lo_t, hi_t = s.wide.extent
    assert not (lo_s <= s.witness[0] <= hi_s and lo_t <= s.witness[1] <= hi_t)   # ...so it does not frame the view
    assert np.all(np.isfinite(s.zoom.values))                # the zoom stops short of σ's overflow
    assert np.all(s.zoom.values >= 0)


# -------------------------------------------------- formats and styling --

@pytest.mark.parametrize("suffix, magic", [(".pdf", b"%PDF-"), (".svg", b"<?xml"), (".jpg", b"\xff\xd8\xff"),
                                           (".png", b"\x89PNG\r\n\x1a\n")], ids=["pdf", "svg", "jpg", "png"])
def test_the_suffix_chooses_the_format(example2, tmp_path, suffix, magic):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"ex2{suffix}"
    pic = plot_case(example2, out, resolution=11, dpi=30, wide=(-10, 10, -100, 700), zoom=(0, 2, 0, 2))
    head = out.read_bytes()[:400]
    assert head.startswith(magic)
    if suffix == ".svg":
        assert b"<svg" in head
    assert pic.format == {".jpg": "jpeg"}.get(suffix, suffix[1:])


def test_path_and_sweep_write_vector_files(tmp_path):
    pytest.importorskip("matplotlib")
    plot_path(path_record(np.linspace(2.0, 0.0, 21)), tmp_path / "p.pdf", dpi=30)
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF-")
    plot_sweep(sweep_record(), tmp_path / "s.svg", dpi=30)
    assert b"<svg" in (tmp_path / "s.svg").read_bytes()[:400]


def test_cli_refuses_an_unknown_suffix_and_writes_nothing(example2, tmp_path):
    from click.testing import CliRunner

    from basins.cli import main

    src = tmp_path / "case.json"
    example2.save(src)
    res = CliRunner().invoke(main, ["plot", str(src), "-o", str(tmp_path / "ex2.bmpx")])
    assert res.exit_code == 1
    assert "suffix '.bmpx'" in res.output and res.output.strip().count("\n") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.json"]
    with pytest.raises(InvalidArgument, match=r"has no suffix"):
        plot_file(src, tmp_path / "noext")


def test_figsize_and_font_size_take_effect(example2, tmp_path):
    pytest.importorskip("matplotlib")
    kw = dict(resolution=11, dpi=40, wide=(-10, 10, -100, 700), zoom=(0, 2, 0, 2))
    pic = plot_case(example2, tmp_path / "a.png", figsize=(8, 6), **kw)
    assert (pic.width, pic.height) == (320, 240)
    assert_png(tmp_path / "a.png", 320, 240)
    small = plot_case(example2, tmp_path / "b.png", font_size=6, figsize=(12, 10), **kw)
    big = plot_case(example2, tmp_path / "c.png", font_size=16, figsize=(12, 10), **kw)
    width = lambda p: p.panels["zoom"][2] - p.panels["zoom"][0]
    assert width(big) < width(small) - 5          # larger labels leave less room for the axes
    p = plot_path(path_record(np.linspace(2.0, 0.0, 21)), tmp_path / "p.png", dpi=40, figsize=(5, 3), font_size=12)
    assert (p.width, p.height) == (200, 120)


@pytest.mark.parametrize("kwargs, match", [
    ({"figsize": (0.5, 3)}, r"figsize=\(0.5, 3\) must be two numbers between 1 and 50"),
    ({"font_size": 1}, r"font_size=1 must be a number of points between 4 and 40"),
    ({"style": "no-such-style"}, r"style='no-such-style' is not a matplotlib style"),
], ids=["figsize", "font_size", "style"])
def test_bad_styling_options_raise(example2, tmp_path, kwargs, match):
    pytest.importorskip("matplotlib")
    with pytest.raises(InvalidArgument, match=match):
        plot_case(example2, tmp_path / "x.png", resolution=11, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_cli_styling_options(example2, tmp_path):
    pytest.importorskip("matplotlib")
    from click.testing import CliRunner

    from basins.cli import main

    src = tmp_path / "case.json"
    example2.save(src)
    out = tmp_path / "ex2.svg"
    res = CliRunner().invoke(main, ["plot", str(src), "-o", str(out), "--figsize", "7,5", "--font-size", "9",
                                    "--style", "default", "--resolution", "11", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["format"] == "svg" and (data["width"], data["height"]) == (700, 500)
    assert b"<svg" in out.read_bytes()[:400]


def test_sweep_tells_not_applicable_from_none_found(tmp_path):
    from basins.plot.sweeps import row_outcome

    assert row_outcome({"found": 1, "reasons": []}) == "found"
    assert row_outcome({"found": 0, "reasons": ["NotApplicable: a", "not attempted (b)"]}) == "not applicable"
    assert row_outcome({"found": 0, "reasons": ["HypothesisFailed: a", "NotApplicable: b"]}) == "none found"
    pytest.importorskip("matplotlib")
    rec = sweep_record()
    rec["rows"] = [dict(r) for r in rec["rows"]]
    rec["rows"][-1] = {**rec["rows"][-1], "found": 0, "reasons": ["NotApplicable: m ≥ N"]}
    pic = plot_sweep(rec, tmp_path / "s.png", dpi=40)
    assert pic.summary["widths_not_applicable"] == [rec["rows"][-1]["m"]]
