using System.Net;
using Grainetes.Host.Cli;

namespace Grainetes.Host.Security;

/// <summary>
/// Brings this host's <c>HOME/pki</c> in line with the cluster before the silo starts. <c>up</c> finds the cluster's
/// sealed keys in the storage account and opens them with the home's secret, or, for a new cluster, makes a secret
/// and the keys (keeping a single-host cluster's existing CA) and stores them sealed. <c>join</c> opens them with the
/// secret it was given. Either way the host then issues its own certificates from the cluster CA.
/// </summary>
public static class ClusterCredentials
{
    /// <exception cref="ClusterJoinException">No keys to join, no secret, or the wrong secret.</exception>
    public static async Task<(ClusterPki Pki, ClusterSecret Secret)> EstablishAsync(
        UpSettings settings,
        string connectionString,
        IReadOnlyCollection<string> dnsNames,
        IReadOnlyCollection<IPAddress> addresses,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var store = new ClusterKeyStore(connectionString, settings.ClusterId);
        var joining = settings.ClusterSecret is not null;
        var secret = joining ? ClusterSecret.Parse(settings.ClusterSecret!) : await ClusterSecret.ReadAsync(settings.Home, cancellationToken);
        var stored = await store.ReadAsync(cancellationToken);
        ClusterKeys keys;
        if (stored is not null)
        {
            if (secret is null)
            {
                throw new ClusterJoinException(
                    $"The storage account already holds cluster '{settings.ClusterId}' and {ClusterSecret.FileIn(settings.Home)} does not exist: "
                    + "join that cluster with `grainetes join --storage ... --cluster-secret ...` (the first host's HOME/join-command), or give this cluster another storage account.");
            }

            keys = stored.Unseal(secret, settings.ClusterId);
        }
        else if (joining)
        {
            throw new ClusterJoinException(
                $"The storage account holds no cluster '{settings.ClusterId}' to join: run `grainetes up` on the first host, then the join command it prints.");
        }
        else
        {
            // Kept before the keys are stored, so a crash in between cannot leave keys nobody can open.
            secret ??= ClusterSecret.Create();
            await secret.SaveAsync(settings.Home, cancellationToken);
            var made = ClusterKeys.FromHome(settings.Home, time) ?? ClusterKeys.Create(time);
            keys = await store.TryAddAsync(SealedClusterKeys.Seal(made, secret, settings.ClusterId), cancellationToken)
                ? made
                : (await store.ReadAsync(cancellationToken))!.Unseal(secret, settings.ClusterId);
        }

        await secret.SaveAsync(settings.Home, cancellationToken);
        return (ClusterPki.Install(settings.Home, keys, dnsNames, addresses, time), secret);
    }
}
