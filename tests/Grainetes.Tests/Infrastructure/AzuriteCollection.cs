namespace Grainetes.Tests.Infrastructure;

/// <summary>Test classes marked <c>[Collection(AzuriteCollection.Name)]</c> share one private Azurite and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}
