using Azure.Data.Tables;
using Grainetes.Abstractions.Hosting;
using Grainetes.Abstractions.Telemetry;
using Grainetes.Grains.Storage;
using Grainetes.Grains.Store;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Serialization.Configuration;

namespace Grainetes.Grains.Hosting;

/// <summary>Adds the object store and controllers to a silo, on the Azure Table account in <see cref="StoreOptions"/>.</summary>
public static class GrainetesSiloBuilderExtensions
{
    public static ISiloBuilder AddGrainetesGrains(this ISiloBuilder builder, Action<StoreOptions> configure)
    {
        var options = new StoreOptions();
        configure(options);
        builder.Services.Configure(configure);
        builder.Services.TryAddSingleton(ResourceRegistry.BuiltIn);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton(new Grainetes.Machinery.Validation.ObjectValidator());
        builder.Services.TryAddSingleton<StoredValueProtector>();
        builder.Services.TryAddSingleton<ChangeLogStore>();
        builder.Services.TryAddSingleton<Grainetes.Grains.Events.EventRecorder>();
        builder.Services.AddOptions<Grainetes.Grains.Controllers.NodeLifecycleOptions>();
        builder.Services.AddOptions<Grainetes.Grains.Services.ServiceNetworkOptions>();
        // Quota admission first, as in Kubernetes' plugin order: a refused write takes no service addresses.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IObjectAdmission, Grainetes.Grains.Quota.QuotaAdmission>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IObjectAdmission, Grainetes.Grains.Services.ServiceAdmission>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IObjectAdmission, ConfigDataAdmission>());
        builder.Services.TryAddSingleton<Grainetes.Abstractions.Health.IStorageProbe, ChangeLogStorageProbe>();
        builder.Services.AddGrainetesSerialization();
        builder.Services.AddGrainetesInstruments();
        builder.AddIncomingGrainCallFilter<Grainetes.Grains.Telemetry.ReminderTickFilter>();
        builder.AddAzureTableGrainStorage(ObjectGrain.StorageName, o =>
        {
            o.TableServiceClient = new TableServiceClient(options.ConnectionString);
            o.TableName = options.TablePrefix + "Objects";
            o.DeleteStateOnClear = true;
        });
        builder.UseAzureTableReminderService(o =>
        {
            o.TableServiceClient = new TableServiceClient(options.ConnectionString);
            o.TableName = options.TablePrefix + "Reminders";
        });
        return builder;
    }
}
