module tpx.local/tests/cluster/tools

go 1.24.0
