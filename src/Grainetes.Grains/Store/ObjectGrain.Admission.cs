using System.Text.Json.Nodes;

namespace Grainetes.Grains.Store;

/// <summary>The object grain's calls into the kind-specific admission hooks (<see cref="IObjectAdmission"/>), kept apart from the write path.</summary>
public sealed partial class ObjectGrain
{
    private readonly IEnumerable<IObjectAdmission> allAdmissions;
    private IObjectAdmission[] admissions = [];

    private ObjectAdmissionContext AdmissionContext(bool dryRun) => new(key, type, dryRun);

    private async Task BeforeCreateAsync(JsonObject obj, bool dryRun)
    {
        foreach (var admission in admissions)
        {
            await admission.BeforeCreateAsync(AdmissionContext(dryRun), obj);
        }
    }

    private async Task BeforeUpdateAsync(JsonObject live, JsonObject updated, bool dryRun)
    {
        foreach (var admission in admissions)
        {
            await admission.BeforeUpdateAsync(AdmissionContext(dryRun), live, updated);
        }
    }

    private async Task AfterFailedAsync(JsonObject obj, bool dryRun)
    {
        if (dryRun)
        {
            return;
        }

        foreach (var admission in admissions)
        {
            await admission.AfterFailedAsync(AdmissionContext(false), obj);
        }
    }

    private async Task AfterCommitAsync(JsonObject? previous, JsonObject obj, bool removed)
    {
        foreach (var admission in admissions)
        {
            await admission.AfterCommitAsync(AdmissionContext(false), previous, obj, removed);
        }
    }
}
