"""Hand-built bad minima of the model of SPEC §11, for tests that must not depend on the construction.

:func:`hand_case` follows the generalized Proposition 4 literally: a seeded w,
a ∈ S⊥ drawn at random until every A_i(a) is definite, v_i with the sign of
A_i(a), y = ŷ − M a, and a witness found by a seeded scan of one-neuron points
(SPEC §11: ṽ_1 = ρM, w̃_1 = w_0, the other v = 0, c unchanged).
"""

import numpy as np

from basins.activations import as_activation
from basins.io.case import Case, Witness
from basins.model import engine


def hand_case(name="swish", d=2, N=14, m=1, bias=True, output_bias=True, seed=0, M=10.0, tries=5000):
    act = as_activation(name)
    model = engine.Model(d, bias, output_bias)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(N, d))
    Xt = np.hstack([X, np.ones((N, 1))]) if bias else X
    ctx = engine.float_context(act)
    for _ in range(tries):
        W = rng.normal(size=(m, model.D))
        F = ctx.features(Xt, W, 1)
        S = np.array(list(F.z) + list(F.z1) + ([np.ones(N)] if output_bias else [])).T
        U, sv, _ = np.linalg.svd(S)
        rank = int(np.sum(sv > 1e-9 * sv[0]))
        Q = U[:, rank:]
        if Q.shape[1] == 0:
            continue
        a = Q @ rng.normal(size=Q.shape[1])
        a /= np.abs(a).max()
        s2 = act.numpy(2)(W @ Xt.T)
        v = []
        for i in range(m):
            ev = np.linalg.eigvalsh((Xt.T * (a * s2[i])) @ Xt)
            if ev[0] > 1e-3 * ev[-1] > 0:
                v.append(1.0)
            elif ev[-1] < 1e-3 * ev[0] < 0:
                v.append(-1.0)
        if len(v) == m:
            break
    else:
        raise RuntimeError("no a with definite A_i(a) found")
    v = np.array(v)
    c = 0.5 if output_bias else None
    y = engine.output(ctx, X, v, W, c=c, model=model) - M * a
    E = float(engine.loss(ctx, X, y, v, W, c=c, model=model))
    best = None
    for _ in range(100):
        w0 = rng.normal(size=(m, model.D)) * 2
        for rho in np.linspace(-2, 2, 81):
            vw = np.zeros(m)
            vw[0] = rho * M
            Ew = float(engine.loss(ctx, X, y, vw, w0, c=c, model=model))
            if best is None or Ew < best[0]:
                best = (Ew, vw, w0)
    wit = Witness(tuple(best[1]), tuple(map(tuple, best[2])), best[0], c) if best[0] < E else None
    return Case(act, x=tuple(map(tuple, X)), y=tuple(y), v=tuple(v), w=tuple(map(tuple, W)),
                theorem="Proposition 4 (SPEC §11)", loss=E, witness=wit, bias=bias, output_bias=c,
                name=f"hand-{name}-d{d}-m{m}")
