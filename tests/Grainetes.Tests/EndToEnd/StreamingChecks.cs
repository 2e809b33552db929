using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>
/// <c>kubectl exec</c>, <c>attach</c>, <c>cp</c> and <c>port-forward</c> against a running cluster, with real kubectl
/// over its default WebSocket protocols: the same checks for every container runtime.
/// </summary>
/// <param name="remoteDirectory">Where <c>kubectl cp</c> puts files in a container ("" for its working directory).</param>
/// <param name="webPod">A pod spec (YAML, named <c>web</c>) serving <c>index.html</c> over HTTP, its port, and the page's text.</param>
internal sealed class StreamingChecks(ClusterFixture cluster, string remoteDirectory, Func<(string Yaml, int Port, string Body)> webPod)
{
    private readonly Lazy<(string Yaml, int Port, string Body)> web = new(webPod);

    private Kubectl Kubectl => cluster.Kubectl;

    public async Task<string> NewNamespaceWithBoxAsync()
    {
        var ns = "s-" + Guid.NewGuid().ToString("N")[..10];
        (await Kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        await ApplyAndWaitAsync(ns, "box", $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: box}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: {{cluster.TestImage}}, command: [sh, -c, 'exec sleep 3600']}
            """);
        return ns;
    }

    public async Task ExecReportsOutputStreamsAndTheExitCodeAsync(string ns)
    {
        var result = await Kubectl.RunAsync($"exec -n {ns} box -- sh -c 'echo out; echo err >&2; exit 3'");
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("out\n", result.Stdout);
        Assert.StartsWith("err\n", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("command terminated with exit code 3", result.Stderr, StringComparison.Ordinal);

        var ok = (await Kubectl.RunAsync($"exec -n {ns} box -c main -- sh -c 'exit 0'")).EnsureSuccess();
        Assert.Equal("", ok.Stdout);
    }

    public async Task ExecPipesStdinUntilItsEndAsync(string ns)
    {
        var echoed = (await Kubectl.RunAsync($"exec -i -n {ns} box -- cat", stdin: "hi\n")).EnsureSuccess();
        Assert.Equal("hi\n", echoed.Stdout);

        // wc prints only once its input ends: the client's close of stdin (v5) must reach the command.
        var lines = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i}\n"));
        var counted = (await Kubectl.RunAsync($"exec -i -n {ns} box -- wc -c", stdin: lines)).EnsureSuccess();
        Assert.Equal(Encoding.ASCII.GetByteCount(lines).ToString(CultureInfo.InvariantCulture), counted.Stdout.Trim());
    }

    public async Task ExecOverSpdyAsync(string ns)
    {
        // kubectl's fallback when a WebSocket upgrade is refused, forced here.
        var spdy = new Dictionary<string, string> { ["KUBECTL_REMOTE_COMMAND_WEBSOCKETS"] = "false" };
        var result = await Kubectl.RunAsync($"exec -n {ns} box -- sh -c 'echo out; echo err >&2; exit 5'", environment: spdy);
        Assert.Equal(5, result.ExitCode);
        Assert.Equal("out\n", result.Stdout);
        Assert.StartsWith("err\n", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Streaming exec for {ns}/box main over SPDY/3.1", cluster.HostOutput, StringComparison.Ordinal);

        var lines = string.Concat(Enumerable.Range(0, 5_000).Select(i => $"line {i}\n"));
        var counted = (await Kubectl.RunAsync($"exec -i -n {ns} box -- wc -c", stdin: lines, environment: spdy)).EnsureSuccess();
        Assert.Equal(Encoding.ASCII.GetByteCount(lines).ToString(CultureInfo.InvariantCulture), counted.Stdout.Trim());
    }

    public async Task ExecWithATerminalAsync(string ns)
    {
        // kubectl asks for a TTY only when its own stdin is a terminal: script gives it one, of a known size. The size
        // comes on the resize channel as the command starts (Docker's exec may start first), so wait up to 5 s for it.
        var output = await RunInTerminalAsync(
            $"exec -it -n {ns} box -- sh -c 'tty; i=0; while [ \"$(stty size 2>/dev/null)\" != \"33 77\" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; stty size; read x; echo got-$x; exit 4'",
            "hello\n");
        Assert.Equal(4, output.ExitCode);
        Assert.Matches("/dev/pts/[0-9]+", output.Stdout);
        Assert.Contains("33 77", output.Stdout, StringComparison.Ordinal);
        Assert.Contains("got-hello", output.Stdout, StringComparison.Ordinal);
    }

    public async Task AttachSeesOutputAndFeedsStdinAsync(string ns)
    {
        await ApplyAndWaitAsync(ns, "reader", $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: reader}
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: {{cluster.TestImage}}, stdin: true, command: [sh, -c, 'echo ready; read line; echo got-$line']}
            """);
        await Poll.UntilAsync(() => Kubectl.RunAsync($"logs -n {ns} reader"), r => r.Stdout.Contains("ready", StringComparison.Ordinal), what: "the reader to start");

        var attached = (await Kubectl.RunAsync($"attach -i -n {ns} reader", stdin: "hello\n")).EnsureSuccess();
        Assert.Contains("got-hello", attached.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", attached.Stdout, StringComparison.Ordinal);
    }

    public async Task CpCopiesBothWaysAsync(string ns)
    {
        var local = Path.Combine(Path.GetTempPath(), "exec-cp-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(local);
        try
        {
            var content = new byte[300_000];
            Random.Shared.NextBytes(content);
            var source = Path.Combine(local, "source.bin");
            await File.WriteAllBytesAsync(source, content);
            var remote = remoteDirectory + "copied.bin";

            (await Kubectl.RunAsync($"cp {source} {ns}/box:{remote}")).EnsureSuccess();
            var sum = (await Kubectl.RunAsync($"exec -n {ns} box -- wc -c {remote}")).EnsureSuccess();
            Assert.StartsWith(content.Length.ToString(CultureInfo.InvariantCulture), sum.Stdout.Trim(), StringComparison.Ordinal);

            var back = Path.Combine(local, "back.bin");
            (await Kubectl.RunAsync($"cp {ns}/box:{remote} {back}")).EnsureSuccess();
            Assert.Equal(content, await File.ReadAllBytesAsync(back));
        }
        finally
        {
            Directory.Delete(local, recursive: true);
        }
    }

    public async Task PortForwardReachesThePodAsync(string ns, bool websockets)
    {
        var (yaml, podPort, body) = web.Value;
        if ((await Kubectl.RunAsync($"get pod web -n {ns}")).ExitCode != 0)
        {
            await ApplyAndWaitAsync(ns, "web", yaml);
        }

        var localPort = FreePort.Next();
        using var forward = Kubectl.Start(
            $"port-forward -n {ns} pod/web {localPort}:{podPort}",
            new Dictionary<string, string> { ["KUBECTL_PORT_FORWARD_WEBSOCKETS"] = websockets ? "true" : "false" });
        try
        {
            var ready = await forward.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.StartsWith("Forwarding from 127.0.0.1:", ready, StringComparison.Ordinal);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            for (var i = 0; i < 3; i++)
            {
                // A new connection each time: every one is its own pair of SPDY streams.
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{localPort}/index.html") { Headers = { ConnectionClose = true } };
                using var response = await http.SendAsync(request);
                Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode} through the forward");
                Assert.Equal(body, (await response.Content.ReadAsStringAsync()).Trim());
            }
        }
        finally
        {
            forward.Kill(entireProcessTree: true);
            await forward.WaitForExitAsync();
        }
    }

    /// <summary>Runs <paramref name="body"/> in a new namespace holding the pod <c>box</c>, and deletes the namespace (and waits for its pods to go) whatever happens.</summary>
    public async Task InNamespaceWithBoxAsync(Func<string, Task> body)
    {
        var ns = await NewNamespaceWithBoxAsync();
        try
        {
            await body(ns);
        }
        finally
        {
            await Kubectl.RunAsync($"delete namespace {ns} --timeout=60s", timeout: TimeSpan.FromSeconds(70));
        }
    }

    private async Task ApplyAndWaitAsync(string ns, string pod, string yaml)
    {
        (await Kubectl.RunAsync($"apply -n {ns} -f -", yaml)).EnsureSuccess();
        (await Kubectl.RunAsync($"wait --for=condition=Ready pod/{pod} -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100))).EnsureSuccess();
    }

    /// <summary>Runs kubectl under util-linux <c>script</c>, so that it sees a terminal (33 rows, 77 columns) and types <paramref name="input"/> into it.</summary>
    private async Task<CommandResult> RunInTerminalAsync(string arguments, string input)
    {
        var info = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-qefc");
        info.ArgumentList.Add($"stty rows 33 cols 77; kubectl {arguments}");
        info.ArgumentList.Add("/dev/null");
        info.Environment["KUBECONFIG"] = cluster.Host.Kubeconfig;

        // As in a real terminal; without TERM, kubectl sends no terminal size.
        info.Environment["TERM"] = "xterm";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        await process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            // Stdin stays open until the end: its end would reach the remote command as a ^D.
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {arguments} in a terminal did not finish; output so far: {await stdout}");
        }

        process.StandardInput.Close();
        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }
}
