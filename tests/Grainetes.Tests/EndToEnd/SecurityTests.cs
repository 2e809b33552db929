using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Grainetes.Host.Kubeconfig;
using Grainetes.Host.Security;
using k8s;

namespace Grainetes.Tests.EndToEnd;

/// <summary>
/// The front door as users meet it: HTTPS that kubectl trusts through the kubeconfig's CA, 401 for missing or
/// bad credentials, client certificates, static and service account tokens, and RBAC with the default roles.
/// </summary>
public sealed class SecurityTests(SecureClusterFixture cluster) : IClassFixture<SecureClusterFixture>
{
    private static readonly TimeSpan PolicyDelay = TimeSpan.FromSeconds(20);

    private string CaPem => File.ReadAllText(Path.Combine(cluster.Host.Home, "pki", "ca.crt"));

    [Fact]
    public async Task KubectlAndTheClientTrustTheClusterCaAndPlainHttpIsNotServed()
    {
        var kubeconfig = await File.ReadAllTextAsync(cluster.Host.Kubeconfig);
        Assert.Contains("certificate-authority-data", kubeconfig);
        Assert.DoesNotContain("insecure-skip-tls-verify: true", kubeconfig);
        Assert.StartsWith("https://", cluster.Host.ApiAddress.ToString());

        var namespaces = (await cluster.Admin.RunAsync("get ns default -o name")).EnsureSuccess().Stdout;
        Assert.Equal("namespace/default", namespaces.Trim());
        var whoami = (await cluster.Admin.RunAsync("auth whoami -o json")).EnsureSuccess().Stdout;
        Assert.Contains("system:masters", whoami);

        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.Host.Kubeconfig));
        Assert.Equal("default", (await client.CoreV1.ReadNamespaceAsync("default")).Metadata.Name);

        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var http = new UriBuilder(cluster.Host.ApiAddress) { Scheme = "http" }.Uri;
        var refused = await Record.ExceptionAsync(async () =>
        {
            var response = await plain.GetAsync(new Uri(http, "/api/v1/namespaces"));
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        });
        Assert.True(refused is null or HttpRequestException, $"plain HTTP got {refused}");
    }

    [Fact]
    public async Task NoOrBadCredentialsGet401StatusThatSaysNothingMore()
    {
        using var http = TrustingClient(null);
        foreach (var token in new string?[] { null, "not-a-token", "a.b.c", cluster.AliceToken + "x" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(cluster.Host.ApiAddress, "/api/v1/namespaces/kube-system/secrets"));
            if (token is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("Status", (string?)status["kind"]);
            Assert.Equal("Unauthorized", (string?)status["reason"]);
            Assert.Equal("Unauthorized", (string?)status["message"]);
        }

        // Health stays answerable for probes that hold no credential.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(cluster.Host.ApiAddress, "/readyz"))).StatusCode);
    }

    [Fact]
    public async Task AViewerInOneNamespaceReadsItButNoSecretsNoWritesAndNoOtherNamespace()
    {
        var ns = await NewNamespaceAsync();
        var other = await NewNamespaceAsync();
        (await cluster.Admin.RunAsync($"-n {ns} create serviceaccount viewer")).EnsureSuccess();
        (await cluster.Admin.RunAsync($"-n {ns} create rolebinding viewer-view --clusterrole=view --serviceaccount={ns}:viewer")).EnsureSuccess();
        (await cluster.Admin.RunAsync($"-n {ns} create configmap settings --from-literal=a=b")).EnsureSuccess();
        (await cluster.Admin.RunAsync($"-n {ns} create secret generic hidden --from-literal=a=b")).EnsureSuccess();
        var token = (await cluster.Admin.RunAsync($"-n {ns} create token viewer")).EnsureSuccess().Stdout.Trim();
        var viewer = await KubectlAsAsync("viewer", new KubeconfigCredentials { Token = token });

        await Poll.UntilAsync(() => viewer.RunAsync($"-n {ns} get configmap settings -o name"), r => r.ExitCode == 0, PolicyDelay, "the viewer reads config maps");
        Assert.Equal("yes", (await viewer.RunAsync($"auth can-i list pods -n {ns}")).Stdout.Trim());
        Assert.Equal("no", (await viewer.RunAsync($"auth can-i get secrets -n {ns}")).Stdout.Trim());

        var secrets = await viewer.RunAsync($"-n {ns} get secret hidden");
        Assert.NotEqual(0, secrets.ExitCode);
        Assert.Contains($"secrets \"hidden\" is forbidden: User \"system:serviceaccount:{ns}:viewer\" cannot get resource \"secrets\" in API group \"\" in the namespace \"{ns}\"", secrets.Stderr);
        var write = await viewer.RunAsync($"-n {ns} create configmap nope --from-literal=a=b");
        Assert.Contains("Forbidden", write.Stderr + write.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("(Forbidden)", (await viewer.RunAsync($"-n {ns} delete configmap settings")).Stderr);
        Assert.Contains("(Forbidden)", (await viewer.RunAsync($"-n {other} get pods")).Stderr);
        Assert.Contains("(Forbidden)", (await viewer.RunAsync("get namespaces")).Stderr);
        Assert.Contains("(Forbidden)", (await viewer.RunAsync("get pods -A")).Stderr);

        // Nothing the viewer tried changed anything.
        Assert.Equal("configmap/settings", (await cluster.Admin.RunAsync($"-n {ns} get configmaps -o name")).EnsureSuccess().Stdout.Trim().Split('\n').Single(l => !l.Contains("kube-root")));
    }

    [Fact]
    public async Task StaticTokenAndClientCertificateUsersGetTheirGroupsBindings()
    {
        var ns = await NewNamespaceAsync();
        var alice = await KubectlAsAsync("alice", new KubeconfigCredentials { Token = cluster.AliceToken });
        var whoami = JsonNode.Parse((await alice.RunAsync("auth whoami -o json")).EnsureSuccess().Stdout)!;
        Assert.Equal("alice", (string?)whoami["status"]!["userInfo"]!["username"]);
        Assert.Contains("devs", whoami["status"]!["userInfo"]!["groups"]!.AsArray().Select(g => (string?)g));
        Assert.Contains("configmaps is forbidden", (await alice.RunAsync($"-n {ns} create configmap c1 --from-literal=a=b")).Stderr);

        (await cluster.Admin.RunAsync($"-n {ns} create rolebinding devs-edit --clusterrole=edit --group=devs")).EnsureSuccess();
        await Poll.UntilAsync(() => alice.RunAsync($"-n {ns} create configmap c1 --from-literal=a=b"), r => r.ExitCode == 0, PolicyDelay, "alice writes once devs can edit");

        var (certificate, key) = ClusterPki.Open(cluster.Host.Home).IssueClientCertificate("carol", ["devs"], TimeProvider.System);
        var carol = await KubectlAsAsync("carol", new KubeconfigCredentials { ClientCertificatePem = certificate, ClientKeyPem = key });
        var carolWho = JsonNode.Parse((await carol.RunAsync("auth whoami -o json")).EnsureSuccess().Stdout)!;
        Assert.Equal("carol", (string?)carolWho["status"]!["userInfo"]!["username"]);
        (await carol.RunAsync($"-n {ns} get configmap c1")).EnsureSuccess();
        Assert.Equal("no", (await carol.RunAsync("auth can-i create clusterrolebindings")).Stdout.Trim());

        // A certificate from another CA is nobody.
        var strangerCa = Path.Combine(cluster.Root, "stranger");
        var stranger = ClusterPki.LoadOrCreate(strangerCa, ["localhost"], [IPAddress.Loopback], TimeProvider.System).IssueClientCertificate("admin", ["system:masters"], TimeProvider.System);
        var impostor = await KubectlAsAsync("impostor", new KubeconfigCredentials { ClientCertificatePem = stranger.CertificatePem, ClientKeyPem = stranger.KeyPem });
        Assert.Contains("Unauthorized", (await impostor.RunAsync("get ns")).Stderr);
    }

    [Fact]
    public async Task AServiceAccountTokenSecretIsFilledAndRevokedWithItsAccount()
    {
        var ns = await NewNamespaceAsync();
        (await cluster.Admin.RunAsync($"-n {ns} create serviceaccount robot")).EnsureSuccess();
        (await cluster.Admin.RunAsync($"-n {ns} create rolebinding robot-view --clusterrole=view --serviceaccount={ns}:robot")).EnsureSuccess();
        (await cluster.Admin.RunAsync("apply -f -", $"""
            apiVersion: v1
            kind: Secret
            metadata:
              name: robot-token
              namespace: {ns}
              annotations:
                kubernetes.io/service-account.name: robot
            type: kubernetes.io/service-account-token
            """)).EnsureSuccess();
        var secret = JsonNode.Parse((await cluster.Admin.RunAsync($"-n {ns} get secret robot-token -o json")).EnsureSuccess().Stdout)!;
        var token = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["token"]!));
        Assert.NotNull(secret["data"]!["ca.crt"]);

        var robot = await KubectlAsAsync("robot", new KubeconfigCredentials { Token = token });
        await Poll.UntilAsync(() => robot.RunAsync($"-n {ns} get pods"), r => r.ExitCode == 0, PolicyDelay, "the robot lists pods");

        (await cluster.Admin.RunAsync($"-n {ns} delete serviceaccount robot")).EnsureSuccess();
        Assert.Contains("Unauthorized", (await robot.RunAsync($"-n {ns} get pods")).Stderr);
    }

    [Fact]
    public async Task AnAdminMayImpersonateAndCanIAnswersForTheImpersonated()
    {
        var ns = await NewNamespaceAsync();
        (await cluster.Admin.RunAsync($"-n {ns} create rolebinding dave-view --clusterrole=view --user=dave")).EnsureSuccess();
        await Poll.UntilAsync(() => cluster.Admin.RunAsync($"auth can-i list pods -n {ns} --as=dave"), r => r.Stdout.Trim() == "yes", PolicyDelay, "dave may list pods");
        Assert.Equal("no", (await cluster.Admin.RunAsync($"auth can-i create pods -n {ns} --as=dave")).Stdout.Trim());
        Assert.Contains("configmaps is forbidden: User \"dave\"", (await cluster.Admin.RunAsync($"-n {ns} create configmap x --from-literal=a=b --as=dave")).Stderr);

        var alice = await KubectlAsAsync("alice-imp", new KubeconfigCredentials { Token = cluster.AliceToken });
        Assert.Contains("cannot impersonate", (await alice.RunAsync($"-n {ns} get pods --as=dave")).Stderr);
    }

    [Fact]
    public async Task SecretsAreSealedInEveryTableYetReadBackInTheClear()
    {
        var ns = await NewNamespaceAsync();
        var marker = "s3cr3t-" + Guid.NewGuid().ToString("N");
        (await cluster.Admin.RunAsync($"-n {ns} create secret generic sealed --from-literal=password={marker}")).EnsureSuccess();
        (await cluster.Admin.RunAsync($"-n {ns} create configmap open --from-literal=value={marker}")).EnsureSuccess();
        var read = JsonNode.Parse((await cluster.Admin.RunAsync($"-n {ns} get secret sealed -o json")).EnsureSuccess().Stdout)!;
        Assert.Equal(marker, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)read["data"]!["password"]!)));

        var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(marker));
        var service = new Azure.Data.Tables.TableServiceClient(cluster.StorageConnectionString);
        var rowsNamingTheSecret = 0;
        var configMapRows = 0;
        await foreach (var table in service.QueryAsync())
        {
            await foreach (var row in service.GetTableClient(table.Name).QueryAsync<Azure.Data.Tables.TableEntity>())
            {
                var text = string.Join("\n", ((IDictionary<string, object>)row).Values.Select(v => v?.ToString()));
                Assert.DoesNotContain(encoded, text);
                var namesTheSecret = $"{row.PartitionKey}|{row.RowKey}".Contains("sealed", StringComparison.Ordinal) || row.GetString("Name") == "sealed";
                rowsNamingTheSecret += namesTheSecret ? 1 : 0;
                configMapRows += text.Contains(marker, StringComparison.Ordinal) ? 1 : 0;
            }
        }

        // The test looked where the data is: the config map holding the same value is stored in the clear.
        Assert.True(configMapRows > 0, "the config map's value was not found in any table, so the search proves nothing");
        Assert.True(rowsNamingTheSecret > 0, "no stored row of the secret was found");
    }

    private async Task<string> NewNamespaceAsync()
    {
        var ns = "sec-" + Guid.NewGuid().ToString("N")[..10];
        (await cluster.Admin.RunAsync($"create namespace {ns}")).EnsureSuccess();
        return ns;
    }

    private async Task<Kubectl> KubectlAsAsync(string user, KubeconfigCredentials credentials)
    {
        var path = Path.Combine(cluster.Root, "kubeconfig-" + user + "-" + Guid.NewGuid().ToString("N")[..6]);
        await new KubeconfigWriter().WriteAsync(path, cluster.Host.ApiAddress, credentials with { CertificateAuthorityPem = CaPem });
        return new Kubectl(path);
    }

    private HttpClient TrustingClient(string? token)
    {
        var ca = X509Certificate2.CreateFromPem(CaPem);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }
}
