using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Benchmarks run in this process (BenchmarkDotNet's --inProcess): its default, a fresh build per job, recompiles
// the Envoy protos each time for nothing. Pick benchmarks with its own arguments, e.g. --filter '*Propagation*';
// --list flat lists them; --job short gives quicker, rougher figures.
var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(Path.GetTempPath(), "mesh-benchmarks"));
BenchmarkSwitcher.FromAssembly(typeof(Mesh.Benchmarks.SyntheticMesh).Assembly).Run(["--inProcess", .. args], config);
