using System.Globalization;
using Grainetes.Benchmarks;
using Grainetes.Benchmarks.Backup;
using Grainetes.Benchmarks.Scheduling;
using Grainetes.Benchmarks.Startup;
using Grainetes.Benchmarks.Workloads;
using Grainetes.Benchmarks.Cloud;
// Grainetes.Benchmarks [api] [--quick]                       the API against the storage floor (default)
// Grainetes.Benchmarks decision                              in-process scheduling decision per pod at 100/1,000/5,000 nodes
// Grainetes.Benchmarks scheduler [--config NODESxPODS]...    end to end through the API (default 100x2000 and 1000x2000; --quick 100x400)
// Grainetes.Benchmarks podstartup [--runtime process|docker]... [--quick]   create -> Ready (default both runtimes)
// Grainetes.Benchmarks workloads [--runtime process|docker]... [--quick]    Deployment scaling, healing, rolling update (default both runtimes)
// Grainetes.Benchmarks loadbalancer [--quick]               LoadBalancer create -> EXTERNAL-IP, delete -> gone, forwarding vs direct
// Grainetes.Benchmarks soak [--quick] [--minutes N]          200 clients of mixed CRUD + 1,000 watches for 2 min (--quick: 50 + 200 for 30 s)
// Grainetes.Benchmarks backup [--objects N] [--quick]          grainetes backup and restore of N ConfigMaps (default 10,000; --quick 1,000)
// Grainetes.Benchmarks failover [--timings test|default]...  three hosts, one SIGKILLed: API, node, pods recovered (default both)
// Grainetes.Benchmarks proxy [--quick]                       service proxy: NodePort and ClusterIP against a pod directly, ready-to-traffic (Docker)
// Grainetes.Benchmarks shutdown [--quick]                    signal to exit of the host with 1,000 open watches (--quick 200): live store, after a soak, store killed
const string Usage = "usage: Grainetes.Benchmarks [api|decision|scheduler|podstartup|workloads|loadbalancer|soak|backup|failover|proxy|shutdown] [--quick] [--config NODESxPODS]... [--runtime process|docker]...";
var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "api";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
try
{
    switch (command)
    {
        case "api":
            return await BenchmarkRun.RunAsync(BenchmarkOptions.Parse(rest));
        case "decision":
            if (rest.Length > 0)
            {
                throw new ArgumentException("decision takes no options; " + Usage);
            }

            SchedulingDecisionBenchmark.Run(Console.Out);
            return 0;
        case "scheduler":
        {
            var quick = false;
            var configs = new List<SchedulerEndToEndBenchmark.Config>();
            for (var i = 0; i < rest.Length; i++)
            {
                switch (rest[i])
                {
                    case "--quick":
                        quick = true;
                        break;
                    case "--config" when i + 1 < rest.Length:
                        var parts = rest[++i].Split('x');
                        configs.Add(new(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture)));
                        break;
                    default:
                        throw new ArgumentException($"unknown argument '{rest[i]}'; " + Usage);
                }
            }

            if (configs.Count == 0)
            {
                configs = quick ? [new(100, 400)] : [new(100, 2000), new(1000, 2000)];
            }

            return await SchedulerEndToEndBenchmark.RunAsync(configs);
        }

        case "podstartup":
        {
            var (quick, runtimes) = RuntimeArguments(rest);
            return await PodStartupBenchmark.RunAsync(runtimes, quick ? 10 : 50, quick ? 3 : 10);
        }

        case "workloads":
        {
            var (quick, runtimes) = RuntimeArguments(rest);
            return await WorkloadBenchmark.RunAsync(runtimes, quick ? WorkloadSettings.Quick : WorkloadSettings.Full);
        }

        case "loadbalancer":
            return await LoadBalancerBenchmark.RunAsync(rest.Length switch
            {
                0 => false,
                1 when rest[0] == "--quick" => true,
                _ => throw new ArgumentException("loadbalancer takes only --quick; " + Usage),
            });

        case "soak":
        {
            var at = Array.IndexOf(rest, "--minutes");
            double? minutes = at >= 0 && at + 1 < rest.Length ? double.Parse(rest[at + 1], CultureInfo.InvariantCulture) : null;
            return await SoakBenchmark.RunAsync(RuntimeArguments(at >= 0 ? [.. rest[..at], .. rest[(at + 2)..]] : rest).Quick, minutes);
        }


        case "backup":
        {
            var objects = rest.Contains("--quick") ? 1_000 : 10_000;
            var at = Array.IndexOf(rest, "--objects");
            if (at >= 0 && at + 1 < rest.Length)
            {
                objects = int.Parse(rest[at + 1], CultureInfo.InvariantCulture);
            }

            return await BackupBenchmark.RunAsync(objects);
        }

        case "failover":
        {
            var timings = new List<Grainetes.Benchmarks.Failover.FailoverBenchmark.Timings>();
            for (var i = 0; i < rest.Length; i++)
            {
                timings.Add(rest[i] == "--timings" && i + 1 < rest.Length
                    ? rest[++i] switch
                    {
                        "test" => Grainetes.Benchmarks.Failover.FailoverBenchmark.Test,
                        "default" => Grainetes.Benchmarks.Failover.FailoverBenchmark.Default,
                        var other => throw new ArgumentException($"unknown timings '{other}'; " + Usage),
                    }
                    : throw new ArgumentException($"unknown argument '{rest[i]}'; " + Usage));
            }

            return await Grainetes.Benchmarks.Failover.FailoverBenchmark.RunAsync(timings.Count > 0 ? timings : [Grainetes.Benchmarks.Failover.FailoverBenchmark.Test, Grainetes.Benchmarks.Failover.FailoverBenchmark.Default]);
        }

        case "proxy":
            return await Grainetes.Benchmarks.Proxy.ProxyBenchmark.RunAsync(rest.Contains("--quick"));

        case "shutdown":
            return await Grainetes.Benchmarks.Shutdown.ShutdownBenchmark.RunAsync(rest.Contains("--quick"));

        default:
            throw new ArgumentException($"unknown command '{command}'; " + Usage);
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// "[--quick] [--runtime process|docker]...": the runtimes asked for, both when none is named.
static (bool Quick, IReadOnlyList<string> Runtimes) RuntimeArguments(string[] rest)
{
    var quick = false;
    var runtimes = new List<string>();
    for (var i = 0; i < rest.Length; i++)
    {
        switch (rest[i])
        {
            case "--quick":
                quick = true;
                break;
            case "--runtime" when i + 1 < rest.Length && rest[i + 1] is "process" or "docker":
                runtimes.Add(rest[++i]);
                break;
            default:
                throw new ArgumentException($"unknown argument '{rest[i]}'; " + Usage);
        }
    }

    return (quick, runtimes.Count > 0 ? runtimes : ["process", "docker"]);
}
