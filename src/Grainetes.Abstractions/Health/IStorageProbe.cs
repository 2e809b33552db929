namespace Grainetes.Abstractions.Health;

/// <summary>Answers whether the object store's storage account is reachable; <c>/readyz</c> asks it.</summary>
public interface IStorageProbe
{
    Task<bool> IsReachableAsync(CancellationToken cancellationToken);
}
