using Grainetes.Benchmarks;

return await BenchmarkRun.RunAsync(BenchmarkOptions.Parse(args));
