"""``python -m collectives netlab``: a network of hosts on this machine (network namespaces,
veth cables shaped by ``tbf``), built from a simulator topology.

- ``netlab run [TOPOLOGY] -- COMMAND...`` builds the lab, runs the MPI program COMMAND across it
  (``mpiexec`` with the lab's hosts; the program is unchanged), prints what each link carried
  with ``--bytes``, and takes the lab down.
- ``netlab predict [TOPOLOGY]`` measures every algorithm of the chosen collectives on the lab
  and prints the simulator's time, fitted to the lab's links, beside the measured one.
- ``netlab study NAME`` measures the data of the README's lab plots; ``netlab table`` prints
  predict's JSON files as the README's table.
- ``netlab down`` removes what an interrupted lab left (namespaces named ``cnl-...``).

Needs root (network namespaces and queueing disciplines).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from collectives.catalogue import CATALOGUE, runnable_algorithms
from collectives.cli.common import add_network_arguments, network_from_args
from collectives.errors import InvalidInputError
from collectives.ops import resolve_op
from collectives.sim.network import TOPOLOGIES, Network

HELP = "build hosts and shaped links on this machine and run MPI jobs across them (root)"
LAB_BANDWIDTH = 12.5e6  #: bytes per second of a link unless told: 100 Mbit/s, well below the CPU
CPU_BOUND = 25e6  #: from this rate on the two cores, not the links, set the time (docs/netlab.md)
DEFAULT_COLLECTIVES = ("allreduce", "allgather", "reduce_scatter", "broadcast")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Subcommands run, predict and down."""
    commands = parser.add_subparsers(dest="netlab_command", required=True, metavar="COMMAND")
    run_parser = commands.add_parser("run", help="run an MPI program across a lab")
    _add_topology(run_parser)
    run_parser.add_argument("--bytes", action="store_true",
                            help="print the bytes each link carried during the program")
    run_parser.add_argument("command", nargs=argparse.REMAINDER,
                            help="-- then the program, e.g. -- python -m mpi4py script.py")
    run_parser.set_defaults(netlab_run=_run)
    predict_parser = commands.add_parser(
        "predict", help="measured beside simulated time for every algorithm on a lab")
    _add_topology(predict_parser)
    predict_parser.add_argument("--collectives", default=",".join(DEFAULT_COLLECTIVES),
                                help="comma-separated collectives (default %(default)s)")
    predict_parser.add_argument("-a", "--algorithms", default=None, metavar="ALG[,ALG...]",
                                help="algorithms (default: every one that can run)")
    predict_parser.add_argument("-b", "--minbytes", default="64K", help="smallest size")
    predict_parser.add_argument("-e", "--maxbytes", default="16M", help="largest size")
    predict_parser.add_argument("-f", "--stepfactor", type=float, default=4.0,
                                help="size factor")
    predict_parser.add_argument("--json", metavar="FILE", default=None,
                                help="also write the figures and rows to FILE")
    predict_parser.set_defaults(netlab_run=_predict)
    study_parser = commands.add_parser(
        "study", help="the README's lab plots' data: ring scaling, ring against tree")
    study_parser.add_argument("name", choices=("ring-scaling", "ring-vs-tree"))
    study_parser.add_argument("--out", required=True, help="JSON file to write")
    study_parser.add_argument("--max-ranks", type=int, default=6,
                              help="ring-scaling: largest N (from 2); default %(default)s")
    study_parser.add_argument("--ranks", type=int, default=4,
                              help="ring-vs-tree: hosts on the ring; default %(default)s")
    study_parser.add_argument("--size", default="4M", help="ring-scaling: message size")
    study_parser.add_argument("--bandwidth", type=float, default=LAB_BANDWIDTH,
                              help="every link's rate, bytes per second; default %(default)g")
    study_parser.set_defaults(netlab_run=_study)
    table_parser = commands.add_parser(
        "table", help="a markdown table of measured/simulated from predict's JSON files")
    table_parser.add_argument("files", nargs="+", metavar="LAB.json")
    table_parser.set_defaults(netlab_run=_table)
    down_parser = commands.add_parser("down", help="remove what an interrupted lab left")
    down_parser.set_defaults(netlab_run=_down)


def _add_topology(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ranks", "-n", type=int, default=None,
                        help="number of ranks N (a topology file gives its own)")
    add_network_arguments(parser, topology_default="switch",
                          bandwidth_default=LAB_BANDWIDTH,
                          inter_bandwidth_default=LAB_BANDWIDTH)


def lab_network(args: argparse.Namespace) -> Network:
    """The topology the flags describe, every cable at :data:`LAB_BANDWIDTH` unless told."""
    topology = args.topology or "switch"
    if topology in TOPOLOGIES and args.ranks is None:
        raise InvalidInputError(f"expected --ranks with --topology {topology}, got none")
    # hierarchical: the links inside a node are the host's memory, not shaped (the model
    # takes their figures from a probe); the links to the switch are the shaped ones
    shaped = "inter_bandwidth" if topology == "hierarchical" else "bandwidth"
    network = network_from_args(args, topology, {shaped: LAB_BANDWIDTH})
    from collectives.netlab.plan import plan

    fastest = max((port.rate for cable in plan(network).cables for port in cable.ends),
                  default=0.0)
    if fastest >= CPU_BOUND:
        print(f"# note: links of up to {fastest * 8 / 1e6:g} Mbit/s; from "
              f"{CPU_BOUND * 8 / 1e6:g} Mbit/s on, this machine's cores rather than its links "
              "set the time", file=sys.stderr)
    return network


def run(args: argparse.Namespace) -> int:
    """Dispatch to the subcommand."""
    return int(args.netlab_run(args))


def _run(args: argparse.Namespace) -> int:
    from collectives.netlab.cluster import Cluster

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise InvalidInputError("expected a program after --, got none")
    with Cluster(lab_network(args)) as lab:
        before = lab.link_bytes()
        done = lab.run(command)
        if args.bytes:
            after = lab.link_bytes()
            print(f"# bytes each link carried ({lab.network.describe()})")
            for (u, v), total in after.items():
                print(f"{lab.network.vertex_name(u):>8} -> {lab.network.vertex_name(v):<8} "
                      f"{total - before[u, v]:>14}")
    return done.returncode


def _calls(args: argparse.Namespace, ranks: int) -> list[tuple[str, str, int]]:
    from collectives.bench.sizes import parse_size, size_sweep

    sizes = size_sweep(parse_size(args.minbytes), parse_size(args.maxbytes), args.stepfactor)
    calls = []
    for collective in [name.strip() for name in args.collectives.split(",") if name.strip()]:
        if collective not in CATALOGUE:
            raise InvalidInputError(f"expected collectives among {', '.join(CATALOGUE)}, got "
                                    f"{collective!r}")
        names = list(CATALOGUE[collective])
        if args.algorithms:
            names = [name for name in args.algorithms.split(",") if name in names]
        able, _ = runnable_algorithms(collective, names, resolve_op("sum"), ranks)
        calls += [(collective, algorithm, size) for size in sizes for algorithm in able]
    if not calls:
        raise InvalidInputError(f"expected algorithms of {args.collectives} that can run on "
                                f"{ranks} ranks, got none in {args.algorithms!r}")
    return calls


def _predict(args: argparse.Namespace) -> int:
    from collectives.netlab.compare import compare

    network = lab_network(args)
    result = compare(network, _calls(args, network.ranks))
    fit = result.fit
    print(f"# lab: {network.describe()}")
    print(f"# fitted links: latency {fit.alpha * 1e6:.1f} us per link ({fit.path_alpha * 1e6:.1f}"
          f" us over {fit.hops} on the probe), {fit.efficiency:.3f} of each link's rate for "
          f"data ({fit.path_bandwidth / 1e6:.2f} MB/s on the probe), a send completes with "
          f"{fit.send_buffer / 1024:.0f} KiB still to cross, gamma {fit.gamma:.3g} s/B")
    print(f"# {'collective':<15} {'algorithm':<22} {'size (B)':>10} {'measured (ms)':>14} "
          f"{'simulated (ms)':>15} {'measured/sim':>13}")
    for row in result.rows:
        print(f"  {row['collective']:<15} {row['algorithm']:<22} {row['size']:>10} "
              f"{row['measured'] * 1e3:>14.2f} {row['predicted'] * 1e3:>15.2f} "
              f"{row['ratio']:>13.3f}")
    summary = result.summary()
    print(f"# from 1 MiB: geometric mean of |measured/simulated - 1| = {summary.geomean:.1%}, "
          f"largest {summary.largest:.1%}, over {summary.cells} cells")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"lab": network.describe(), "fit": fit.__dict__, "rows": result.rows},
                      handle, indent=1)
    return 0


def _study(args: argparse.Namespace) -> int:
    from collectives.bench.sizes import parse_size, size_sweep
    from collectives.netlab.studies import ring_against_tree, ring_scaling

    if args.name == "ring-scaling":
        rows = ring_scaling(range(2, args.max_ranks + 1), parse_size(args.size), args.bandwidth,
                            progress=lambda text: print(f"# {text}", flush=True))
    else:
        rows = ring_against_tree(args.ranks, size_sweep(1 << 18, 1 << 24, 4), args.bandwidth)
    with open(args.out, "w") as handle:
        json.dump({"study": args.name, "rows": rows}, handle, indent=1)
    for row in rows:
        print(f"  N={row['ranks']} {row['algorithm']:<5} {row['size']:>9} B"
              + (f" slow link {row['slow']:g} B/s" if row.get("slow") else "")
              + f": measured {row['measured'] * 1e3:.1f} ms, simulated "
                f"{row['predicted'] * 1e3:.1f} ms ({row['ratio']:.3f})")
    print(f"wrote {args.out}")
    return 0


def _table(args: argparse.Namespace) -> int:
    from collectives.netlab.report import markdown_table

    print(markdown_table({Path(name).stem.removeprefix("predict_"): Path(name)
                          for name in args.files}))
    return 0


def _down(args: argparse.Namespace) -> int:
    from collectives.netlab.system import check_privileges, remove_all

    check_privileges()
    removed = remove_all()
    print(f"removed {len(removed)} namespaces" + (f": {' '.join(removed)}" if removed else ""),
          file=sys.stdout)
    return 0
