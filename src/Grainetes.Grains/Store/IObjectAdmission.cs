using System.Text.Json.Nodes;

namespace Grainetes.Grains.Store;

/// <summary>
/// Kind-specific work an object grain does around a write, as the API server's admission and registry
/// strategies do (a Service's ClusterIP and NodePorts). Registered in DI; an object grain uses those whose
/// <see cref="Handles"/> accepts its kind. Before-hooks run after defaulting and before validation and may
/// change the object or refuse it with an <c>ApiException</c>; after-hooks run once a write is committed.
/// </summary>
public interface IObjectAdmission
{
    bool Handles(string storageKey);

    /// <summary>A create about to be validated and committed.</summary>
    Task BeforeCreateAsync(ObjectAdmissionContext context, JsonObject obj);

    /// <summary>An update (or patch) about to be validated and committed; <paramref name="live"/> is the stored object.</summary>
    Task BeforeUpdateAsync(ObjectAdmissionContext context, JsonObject live, JsonObject updated);

    /// <summary>
    /// A write was committed: <paramref name="obj"/> is stored now (it replaced <paramref name="previous"/>, null
    /// on a create), or is gone when <paramref name="removed"/>. The write stands whatever happens here, so
    /// implementations handle their own failures.
    /// </summary>
    Task AfterCommitAsync(ObjectAdmissionContext context, JsonObject? previous, JsonObject obj, bool removed);

    /// <summary>
    /// A create or update whose before-hooks ran was not committed (refused by a later hook or by validation,
    /// or the storage write failed): give back what the before-hook took. Must tolerate nothing having been taken.
    /// </summary>
    Task AfterFailedAsync(ObjectAdmissionContext context, JsonObject obj) => Task.CompletedTask;
}
