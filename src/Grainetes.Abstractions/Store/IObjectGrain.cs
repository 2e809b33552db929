namespace Grainetes.Abstractions.Store;

/// <summary>
/// One Kubernetes object, keyed by <see cref="ObjectKey.GrainKey"/>. Its persisted state is the object's
/// commit point; every write is validated, versioned and then reported to the kind's change log.
/// Errors surface as <c>ApiException</c>s with the Kubernetes status code.
/// </summary>
public interface IObjectGrain : IGrainWithStringKey
{
    /// <summary>The object's JSON, or null when it does not exist.</summary>
    [AlwaysInterleave]
    Task<string?> Get();

    /// <summary>Creates the object; 409 AlreadyExists when it exists.</summary>
    Task<string> Create(string json, WriteOptions options);

    /// <summary>Replaces the object (PUT). A stale <c>resourceVersion</c> answers 409 Conflict.</summary>
    Task<string> Update(string json, WriteOptions options);

    /// <summary>Applies a patch of <see cref="WriteOptions.PatchType"/> atomically (read, patch, validate, write).</summary>
    Task<string> Patch(string patch, WriteOptions options);

    /// <summary>Deletes the object, or marks it with a deletion timestamp while finalizers remain.</summary>
    Task<DeleteResult> Delete(DeleteOptions options);
}
