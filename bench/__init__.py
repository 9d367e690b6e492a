"""The benchmark's modules, as one package so that they import each other as `bench.<module>`.

Kept empty on purpose: the variants program imports `bench.variants` in the benchmarked processes, which
must load nothing else from here."""
