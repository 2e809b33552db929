using k8s;
using k8s.KubeConfigModels;

namespace Grainetes.Host.Kubeconfig;

/// <summary>
/// Writes the kubeconfig that points kubectl (and any client-go or KubernetesClient program) at this host's
/// API server: cluster, user and context all named <c>grainetes</c>/<c>admin</c>, the context current.
/// </summary>
public sealed class KubeconfigWriter
{
    public const string ClusterName = "grainetes";
    public const string ContextName = "grainetes";
    public const string UserName = "admin";

    /// <summary>What the user of a kubeconfig for an <c>--insecure-http</c> server sends; the server ignores it.</summary>
    public const string InsecurePlaceholderToken = "grainetes-insecure-http";

    /// <summary>The kubeconfig for an API server on <paramref name="server"/>.</summary>
    public static K8SConfiguration Build(Uri server, KubeconfigCredentials? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        credentials ??= new KubeconfigCredentials();
        if (credentials.Token is null && credentials.ClientCertificatePem is null)
        {
            // A server on --insecure-http asks for nothing, but client libraries refuse a user with no credential.
            credentials = credentials with { Token = InsecurePlaceholderToken };
        }
        return new K8SConfiguration
        {
            ApiVersion = "v1",
            Kind = "Config",
            CurrentContext = ContextName,
            Clusters =
            [
                new Cluster
                {
                    Name = ClusterName,
                    ClusterEndpoint = new ClusterEndpoint
                    {
                        Server = server.ToString().TrimEnd('/'),
                        CertificateAuthorityData = Base64(credentials.CertificateAuthorityPem),
                    },
                },
            ],
            Users =
            [
                new User
                {
                    Name = UserName,
                    UserCredentials = new UserCredentials
                    {
                        Token = credentials.Token,
                        ClientCertificateData = Base64(credentials.ClientCertificatePem),
                        ClientKeyData = Base64(credentials.ClientKeyPem),
                    },
                },
            ],
            Contexts =
            [
                new Context
                {
                    Name = ContextName,
                    ContextDetails = new ContextDetails { Cluster = ClusterName, User = UserName },
                },
            ],
        };
    }

    /// <summary>The kubeconfig as YAML, ending in a newline like files kubectl writes.</summary>
    public static string ToYaml(Uri server, KubeconfigCredentials? credentials = null) =>
        KubernetesYaml.Serialize(Build(server, credentials)).TrimEnd('\n') + "\n";

    /// <summary>
    /// Writes the kubeconfig for <c>http://127.0.0.1:<paramref name="apiPort"/></c> to <paramref name="path"/>,
    /// creating its directory.
    /// </summary>
    public Task WriteAsync(string path, int apiPort, KubeconfigCredentials? credentials = null, CancellationToken cancellationToken = default) =>
        WriteAsync(path, new Uri($"http://127.0.0.1:{apiPort}"), credentials, cancellationToken);

    /// <summary>
    /// Writes the kubeconfig for <paramref name="server"/> to <paramref name="path"/>, creating its directory. The file
    /// is replaced atomically (a client never reads half of it) and readable by its owner only, since it holds a token.
    /// </summary>
    public async Task WriteAsync(string path, Uri server, KubeconfigCredentials? credentials = null, CancellationToken cancellationToken = default)
    {
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"{path} has no directory.", nameof(path));
        Directory.CreateDirectory(directory);

        var temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Options = FileOptions.Asynchronous,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using (var writer = new StreamWriter(temporary, options))
            {
                await writer.WriteAsync(ToYaml(server, credentials).AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    private static string? Base64(string? pem) => pem is null ? null : Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pem));
}
