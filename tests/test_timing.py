"""The cost model: every algorithm's time on uniform links is the reference formula, ring
all-reduce on a ring with one slow link is set by that link, congestion, messages, gamma, bytes
per link, and the sim command's network flags."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sim_cases import ALGORITHMS, runs_at

from collectives.catalogue import REDUCING, ROOTED
from collectives.cli import main
from collectives.costs import reference_time
from collectives.errors import InvalidInputError, UnknownAlgorithmError
from collectives.ops import Op, resolve_op
from collectives.sim import Action, Simulation, Step, Transfer, simulate
from collectives.sim.network import fully_connected, hierarchical, ring, switch
from collectives.sim.timing import format_seconds, time_step, transfer_intervals
from collectives.spec import Problem, example_inputs

# Dyadic figures: every sum the model and the formula make is exact in floating point, so the
# two are compared with ==.
ALPHA, BANDWIDTH, GAMMA = 2.0 ** -20, 2.0 ** 30, 2.0 ** -36
SLOW = 2.0 ** 27
RANKS = (1, 2, 3, 4, 5, 8, 13)


def _problem(collective: str, ranks: int, count: int, root: int = 0,
             op: str | Op = "sum") -> Problem:
    resolved = resolve_op(op) if collective in REDUCING else None
    return Problem(collective, ranks, (count,), np.dtype("int32"), root, resolved)


def _timed(collective: str, algorithm: str, network, count: int, root: int = 0,
           op: str | Op = "sum", keep: bool | None = None):
    return Simulation.count_only(collective, ranks=network.ranks, count=count, dtype="int32",
                                 algorithm=algorithm, root=root, op=op, network=network,
                                 keep_transfers=keep).run()


def _roots(collective: str, ranks: int) -> list[int]:
    return sorted({0, ranks - 1}) if collective in ROOTED else [0]


UNIFORM_CASES = [(c, a, n, root) for c, a in ALGORITHMS for n in RANKS if runs_at(c, a, n)
                 for root in _roots(c, n)]


@pytest.mark.parametrize(("collective", "algorithm", "ranks", "root"), UNIFORM_CASES,
                         ids=[f"{c}-{a}-N{n}-r{r}" for c, a, n, r in UNIFORM_CASES])
def test_uniform_links_take_exactly_the_reference_time(collective, algorithm, ranks, root):
    """On fully connected uniform links, every algorithm's time equals the reference table's
    alpha-beta-gamma formula exactly (count divisible by N)."""
    count = 12 * ranks
    network = fully_connected(ranks, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA)
    result = _timed(collective, algorithm, network, count, root)
    try:
        expected = reference_time(_problem(collective, ranks, count, root), algorithm, ALPHA,
                                  1 / BANDWIDTH, GAMMA)
    except UnknownAlgorithmError:
        pytest.fail(f"collectives.costs has no cost for {collective} {algorithm!r}; add its "
                    f"@cost function to collectives/costs/{collective}.py")
    assert result.time == expected


@pytest.mark.parametrize(("collective", "algorithm"), ALGORITHMS)
def test_uniform_links_with_decimal_figures(collective, algorithm):
    """With everyday figures (1 µs, 10 GB/s, 1e-11 s/B) the time equals the formula to
    rounding, at N = 6 (8 for an algorithm that needs a power of two) and a count N divides."""
    ranks = 6 if runs_at(collective, algorithm, 6) else 8
    network = fully_connected(ranks, alpha=1e-6, bandwidth=1e10, gamma=1e-11)
    result = _timed(collective, algorithm, network, 600, root=5)
    expected = reference_time(_problem(collective, ranks, 600, root=5), algorithm, 1e-6, 1e-10,
                              1e-11)
    assert result.time == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("root", [0, 1, 4])
def test_noncommutative_reduce_time(root):
    """A non-commutative binomial reduce to a root other than 0 pays one more hop of K."""
    first = Op(lambda a, b: a, commutative=False, name="first")
    network = fully_connected(5, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA)
    result = _timed("reduce", "binomial", network, 40, root=root, op=first)
    expected = reference_time(_problem("reduce", 5, 40, root, first), "binomial", ALPHA,
                              1 / BANDWIDTH, GAMMA)
    assert result.time == expected
    assert expected == 3 * (ALPHA + 160 / BANDWIDTH + 160 * GAMMA) + \
        (ALPHA + 160 / BANDWIDTH if root else 0)


def _slow_ring_formula(ranks: int, nbytes: int) -> float:
    """2(N-1)(alpha + K/(N·B_slowest)) + (N-1)(K/N)·gamma."""
    return 2 * (ranks - 1) * (ALPHA + nbytes / (ranks * SLOW)) + (ranks - 1) * nbytes / ranks \
        * GAMMA


@pytest.mark.parametrize("ranks", [2, 3, 4, 5, 7, 8, 12, 16])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_ring_with_one_slow_link_is_set_by_it(ranks, where):
    """Ring all-reduce on a ring whose link u <-> u+1 is slower takes exactly
    2(N-1)(alpha + K/(N·B_slowest)) + (N-1)(K/N)·gamma, wherever the link is."""
    u = {"first": 0, "middle": ranks // 2, "last": ranks - 1}[where]
    network = ring(ranks, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA).with_link(
        u, (u + 1) % ranks, bandwidth=SLOW)
    count = 64 * ranks
    result = _timed("allreduce", "ring", network, count)
    assert result.time == _slow_ring_formula(ranks, 4 * count)
    assert result.step_times is not None
    assert set(result.step_times.tolist()) == {
        ALPHA + 4 * count / ranks / SLOW + 4 * count / ranks * GAMMA,  # reduce-scatter steps
        ALPHA + 4 * count / ranks / SLOW}  # all-gather steps


def test_slow_ring_time_stays_flat_as_n_grows():
    """With K fixed, the slow ring's time less its latency is (N-1)/N of 2K/B_slowest + Kγ:
    it grows towards that limit and never past it, from N = 8 to N = 256."""
    nbytes = 4 * 3 * 2 ** 10 * 256
    limit = 2 * nbytes / SLOW + nbytes * GAMMA
    previous = 0.0
    for ranks in (8, 32, 256):
        network = ring(ranks, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA).with_link(
            0, 1, bandwidth=SLOW)
        result = _timed("allreduce", "ring", network, nbytes // 4, keep=False)
        less_latency = result.time - 2 * (ranks - 1) * ALPHA
        assert less_latency == pytest.approx((ranks - 1) / ranks * limit, rel=1e-12)
        assert previous < less_latency < limit
        previous = less_latency
    uniform = _timed("allreduce", "ring", ring(256, alpha=ALPHA, bandwidth=BANDWIDTH,
                                                gamma=GAMMA), nbytes // 4, keep=False)
    assert result.time > 6 * uniform.time  # the slow link, 8x slower, sets the pace


def _step(*transfers: Transfer, label: str = "test") -> Step:
    return Step.from_transfers(transfers, label=label)


def test_messages_sharing_a_link_share_its_bandwidth():
    """On a ring, 0 -> 2 and 1 -> 3 both cross link 1 -> 2: each message's bottleneck is the
    bytes of both over that link."""
    network = ring(6, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA)
    step = _step(Transfer(0, 2, 0, 0, 10), Transfer(1, 3, 0, 0, 30))
    timing = time_step(network, step, 4)
    both = 4 * (10 + 30) / BANDWIDTH
    np.testing.assert_array_equal(timing.time, [2 * ALPHA + both, 2 * ALPHA + both])
    assert timing.duration == 2 * ALPHA + both
    shared = network.link_id(1, 2)
    assert dict(zip(timing.link_ids.tolist(), timing.link_load.tolist(), strict=True)) == {
        network.link_id(0, 1): 40, shared: 160, network.link_id(2, 3): 120}


def test_transfers_between_one_pair_are_one_message():
    """Two transfers 0 -> 1 in one step pay alpha once, for their bytes together."""
    network = fully_connected(3, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA)
    timing = time_step(network, _step(Transfer(0, 1, 0, 0, 3), Transfer(0, 1, 5, 5, 5),
                                      Transfer(2, 0, 0, 0, 1)), 4)
    assert timing.src.tolist() == [0, 2] and timing.nbytes.tolist() == [32, 4]
    assert timing.time[0] == ALPHA + 32 / BANDWIDTH
    assert timing.message_of.tolist() == [0, 0, 1]


def test_gamma_applies_to_reduced_bytes_at_the_destination():
    """A copy costs no gamma; a reduction costs the destination's gamma per byte; a local
    reduction costs only gamma."""
    network = fully_connected(4, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA).with_gamma(
        1, 4 * GAMMA)
    step = _step(Transfer(0, 1, 0, 0, 8, Action.REDUCE), Transfer(1, 2, 0, 0, 8),
                 Transfer(3, 3, 0, 8, 8, Action.REDUCE_SOURCE_FIRST))
    timing = time_step(network, step, 4)
    np.testing.assert_array_equal(timing.time, [ALPHA + 32 / BANDWIDTH + 32 * 4 * GAMMA,
                                                ALPHA + 32 / BANDWIDTH, 32 * GAMMA])
    assert timing.duration == timing.time[0]


def test_step_time_is_the_slowest_message():
    """Messages of 1, 2 and 8 elements: the step lasts as long as the 8-element one."""
    network = fully_connected(4, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA)
    step = _step(Transfer(0, 1, 0, 0, 1), Transfer(1, 2, 0, 0, 8), Transfer(2, 3, 0, 0, 2))
    assert time_step(network, step, 4).duration == ALPHA + 32 / BANDWIDTH


def test_an_empty_step_takes_no_time():
    """A step without transfers lasts 0 seconds."""
    assert time_step(ring(4), _step(), 4).duration == 0.0


def test_transfer_intervals_split_a_message_by_bytes():
    """A message of 3 + 5 elements: its transfers take 3/8 and 5/8 of its time, one after the
    other; a lone transfer takes its message's whole time."""
    network = fully_connected(3, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA)
    step = _step(Transfer(0, 1, 0, 0, 3), Transfer(0, 1, 5, 5, 5), Transfer(2, 0, 0, 0, 1))
    timing = time_step(network, step, 4)
    start, duration = transfer_intervals(timing, step, 4)
    whole = timing.time[0]
    np.testing.assert_allclose(duration, [whole * 3 / 8, whole * 5 / 8, timing.time[1]])
    np.testing.assert_allclose(start, [0, whole * 3 / 8, 0])


@pytest.mark.parametrize("build", [ring, switch, lambda n, **kw: hierarchical(n, 3, **kw)],
                         ids=["ring", "switch", "hierarchical"])
def test_link_bytes_are_every_pair_s_bytes_on_every_link_of_its_route(build):
    """Tree all-reduce on 7 ranks: each link carries the bytes of every pair whose route
    crosses it, and in total the traffic times the hops of each route."""
    network = build(7, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA)
    result = _timed("allreduce", "tree", network, 50)
    assert result.links is not None
    carried: dict[str, int] = {}
    for (src, dst), nbytes in np.ndenumerate(result.traffic):
        for u, v in network.path(src, dst) if nbytes else []:
            name = f"{network.vertex_name(u)}->{network.vertex_name(v)}"
            carried[name] = carried.get(name, 0) + int(nbytes)
    assert result.link_bytes == carried
    assert sum(carried.values()) == sum(int(nbytes) * len(network.path(src, dst))
                                        for (src, dst), nbytes in np.ndenumerate(result.traffic))


def test_fully_connected_link_bytes_are_the_traffic_matrix():
    """On direct links, link i -> j carries exactly traffic[i, j]."""
    result = _timed("alltoall", "pairwise", fully_connected(5), 7)
    expected = {f"{i}->{j}": int(result.traffic[i, j]) for i in range(5) for j in range(5)
                if result.traffic[i, j]}
    assert result.link_bytes == expected


def test_busy_time_is_bytes_over_the_link_s_bandwidth():
    """The slow link of a ring is busy K(N-1)/N·2 / B_slow; the others 1/8 of that."""
    network = ring(4, alpha=ALPHA, bandwidth=BANDWIDTH).with_link(1, 2, bandwidth=SLOW)
    result = _timed("allreduce", "ring", network, 64)
    assert result.links is not None
    busy = dict(zip(result.links.names, result.links.busy.tolist(), strict=True))
    assert busy["1->2"] == 2 * 3 * 64 / SLOW
    assert busy["0->1"] == 2 * 3 * 64 / BANDWIDTH
    assert result.links.busiest() == ("1->2", 2 * 3 * 64, 2 * 3 * 64 / SLOW)


def test_step_durations_add_up_to_the_time():
    """Each StepRecord has its duration; the result's step_times are those, summing to time."""
    result = _timed("allreduce", "tree", ring(5, alpha=ALPHA, bandwidth=BANDWIDTH), 20)
    assert result.step_times is not None and len(result.step_times) == result.num_steps
    assert [r.duration for r in result.steps] == result.step_times.tolist()
    assert result.time == sum(result.step_times.tolist())


def test_data_mode_and_count_only_take_the_same_time():
    """Moving real data does not change the time."""
    network = hierarchical(6, 2, alpha=ALPHA, bandwidth=BANDWIDTH, inter_alpha=4 * ALPHA,
                           inter_bandwidth=SLOW, gamma=GAMMA)
    moved = simulate("allreduce", example_inputs("allreduce", 6, 30, "int32"),
                     algorithm="ring", network=network)
    counted = _timed("allreduce", "ring", network, 30)
    assert moved.verified is True
    assert moved.time == counted.time and moved.link_bytes == counted.link_bytes


def test_without_a_network_nothing_is_timed():
    """No network: time, step_times and link_bytes are None and the JSON has none of them."""
    result = Simulation.count_only("allreduce", ranks=4, count=8, algorithm="ring").run()
    assert result.time is None and result.step_times is None and result.link_bytes is None
    assert result.steps[0].duration is None
    assert "time" not in result.to_dict()


def test_to_dict_has_time_and_link_bytes():
    """With a network, the JSON record carries the time, step times, link bytes and the
    network's description."""
    result = _timed("allreduce", "ring", ring(3, alpha=ALPHA, bandwidth=BANDWIDTH), 6)
    record = json.loads(json.dumps(result.to_dict()))
    assert record["time"] == result.time
    assert record["step_times"] == result.step_times.tolist()
    assert record["link_bytes"] == {"0->1": 32, "1->2": 32, "2->0": 32}
    assert record["network"].startswith("ring of 3 ranks")


def test_network_of_the_wrong_size():
    """A network must have the simulation's number of ranks."""
    with pytest.raises(InvalidInputError, match="expected a network of 4 ranks, got one of 5"):
        Simulation.count_only("allreduce", ranks=4, count=8, algorithm="ring",
                              network=ring(5))


def test_large_fully_connected_network_is_lazy():
    """Tree all-reduce on 2048 fully connected ranks (4M possible links) is timed exactly, and
    only the links used are reported."""
    network = fully_connected(2048, alpha=ALPHA, bandwidth=BANDWIDTH, gamma=GAMMA)
    result = _timed("allreduce", "tree", network, 2048, keep=False)
    assert result.time == reference_time(_problem("allreduce", 2048, 2048), "tree", ALPHA,
                                         1 / BANDWIDTH, GAMMA)
    assert result.links is not None and len(result.links.link_ids) == 2 * 2047


@pytest.mark.parametrize(("seconds", "text"), [
    (2.5, "2.500 s"), (1.5e-3, "1.500 ms"), (1.5e-5, "15.000 µs"), (3e-9, "3.000 ns"),
    (0.0, "0.000 ns")])
def test_format_seconds(seconds, text):
    """Seconds in the largest unit that keeps the number >= 1."""
    assert format_seconds(seconds) == text


# -- the sim command ----------------------------------------------------------------------------

def _sim_json(capsys, *argv: str) -> dict:
    assert main(["sim", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_sim_json_has_time_and_link_bytes(capsys):
    """``--topology ring --slow-link 2-3:1e9``: the JSON's time is the slow-ring formula and
    its reference time the uniform formula."""
    record = _sim_json(capsys, "allreduce", "-a", "ring", "-n", "8", "-c", "8000",
                       "--topology", "ring", "--alpha", "1e-6", "--bandwidth", "1e10",
                       "--gamma", "1e-11", "--slow-link", "2-3:1e9")
    k = 32000
    assert record["time"] == pytest.approx(2 * 7 * (1e-6 + k / (8 * 1e9)) + 7 * k / 8 * 1e-11,
                                           rel=1e-12)
    assert record["reference"]["time"] == pytest.approx(
        2 * 7 * 1e-6 + 2 * k * 7 / 8 * 1e-10 + k * 7 / 8 * 1e-11, rel=1e-12)
    assert record["link_bytes"]["2->3"] == 2 * 7 * k // 8
    assert len(record["step_times"]) == 14


def test_sim_summary_shows_time_beside_the_formula(capsys):
    """The readable summary prints the network, the time and the reference formula, the
    busiest link and the bytes per link."""
    assert main(["sim", "allreduce", "-a", "tree", "-n", "4", "-c", "256", "-t", "switch"]) == 0
    out = capsys.readouterr().out
    assert "network: switch of 4 ranks" in out
    assert "time: " in out and "(reference formula " in out
    assert "busiest link: " in out and "0->switch" in out


def test_sim_any_network_flag_turns_timing_on(capsys):
    """--bandwidth alone times the run on a fully connected network."""
    record = _sim_json(capsys, "broadcast", "-a", "binomial", "-n", "4", "-c", "250",
                       "--bandwidth", "1e9")
    assert record["network"].startswith("fully_connected of 4 ranks")
    assert record["time"] == pytest.approx(2 * (1e-6 + 1000 / 1e9), rel=1e-12)


def test_sim_topology_file(capsys, tmp_path):
    """--topology FILE.json reads the network from the file."""
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"ranks": 3, "base": "ring", "bandwidth": 2e9,
                                "links": [{"between": [0, 1], "bandwidth": 1e9}]}))
    record = _sim_json(capsys, "allgather", "-a", "ring", "-n", "3", "-c", "100",
                       "--topology", str(path))
    assert record["time"] == pytest.approx(2 * (1e-6 + 400 / 1e9), rel=1e-12)


@pytest.mark.parametrize(("argv", "match"), [
    (["-t", "ring", "--group-size", "2"], "expected --group-size only with --topology "
                                          "hierarchical"),
    (["-t", "mesh"], "expected a topology, one of"),
    (["-t", "ring", "--slow-link", "0-2:1e9"], "link '0-2:1e9': expected a link of this ring"),
    (["--slow-link", "0-1"], "expected a link as A-B:BANDWIDTH"),
])
def test_sim_network_flag_errors(capsys, argv, match):
    """Bad network flags exit 2 with a one-line message."""
    assert main(["sim", "allreduce", "-a", "ring", "-n", "4", *argv]) == 2
    assert match in capsys.readouterr().err


def test_sim_figures_with_a_topology_file_are_refused(capsys, tmp_path):
    """A JSON topology carries its own figures: --alpha beside it is an error."""
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"ranks": 4, "base": "ring"}))
    assert main(["sim", "allreduce", "-a", "ring", "-n", "4", "-t", str(path),
                 "--alpha", "1e-6"]) == 2
    assert "expected the figures of a topology file inside the file" in capsys.readouterr().err
