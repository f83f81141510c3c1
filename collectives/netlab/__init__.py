"""A real network on one machine: hosts in network namespaces, cables as veth pairs with set
bandwidth, and real MPI jobs across them, beside the simulator's view of the same network."""
