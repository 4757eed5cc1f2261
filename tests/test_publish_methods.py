"""Every series' chart look and order (publish.methods.LOOKS): the catalog's methods, the registry's code, the peers."""

from __future__ import annotations

from detgrad.publish import aggregate, methods
from detgrad.publish.charts.style import style


def test_every_registry_method_and_peer_has_one_look():
    from detgrad.catalog import CATALOG
    from detgrad.impls.registry import IMPLEMENTATIONS, METHODS, get_method  # the test may import TF; publish may not
    from detgrad.sweep.peers import PEERS

    assert set(IMPLEMENTATIONS) == set(CATALOG), "detgrad/catalog.py and impls/registry.py must name the same methods"
    for name in METHODS:
        assert name in methods.LOOKS, f"publish/methods.py LOOKS has no entry for the registry's method {name!r}"
        assert not methods.LOOKS[name].peer
        assert methods.KNOWN_SINGULAR_SAFE[name] == get_method(name).singular_safe, name
        facts, method = CATALOG[name], get_method(name)
        assert (method.summary, method.xla, method.max_n, method.flops) == (facts.summary, facts.xla, facts.max_n, facts.flops)
        module = IMPLEMENTATIONS[name].__name__
        assert module.startswith(f"detgrad.impls.{facts.family}."), f"{name}: catalog family {facts.family!r}, code in {module}"
    peer_series = {aggregate.series_name(p, p) for p in PEERS}
    assert peer_series == {"jax.jit", "torch", "numpy"}  # as users write them
    assert set(methods.LOOKS) == set(METHODS) | peer_series  # nothing stale either
    assert all(methods.LOOKS[s].peer for s in peer_series)


def test_no_two_series_look_alike():
    pairs = [(entry.color, entry.marker) for entry in methods.LOOKS.values()]
    assert len(set(pairs)) == len(pairs)
    colors = [entry.color for entry in methods.LOOKS.values()]
    assert len(set(colors)) == len(colors)  # one colour per series: a legend reads without the markers too
    # names without an entry (a peer's other method, a newer method) never take an entry's pair
    extra = ["jax.slogdet", "numpy.det", "torch.slogdet", "newmethod", "other"]
    looks = [(methods.look(s).color, methods.look(s).marker) for s in extra]
    assert not set(looks) & set(pairs) and len(set(looks)) == len(looks)
    assert methods.look("jax.slogdet") == methods.look("jax.slogdet")  # stable


def test_display_order_is_the_tables_order():
    names = ["numpy", "builtin", "jax.slogdet", "zeta", "blocklu", "jax.jit", "lu", "auto"]
    assert methods.series_order(names) == ["lu", "auto", "blocklu", "builtin", "jax.jit", "jax.slogdet", "numpy", "zeta"]
    assert list(methods.LOOKS)[-4:] == ["builtin", "jax.jit", "torch", "numpy"]
    assert style("blocklu") == {"color": methods.LOOKS["blocklu"].color, "marker": "d", "linestyle": "-"}
    assert style("torch")["linestyle"] == "--"
