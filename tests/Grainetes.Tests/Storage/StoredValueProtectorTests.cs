using System.Security.Cryptography;
using Grainetes.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Grainetes.Tests.Storage;

public sealed class StoredValueProtectorTests
{
    private static StoredValueProtector With(string? key) =>
        new(Options.Create(new StoreOptions { SecretsEncryptionKey = key }));

    private static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void SecretsAreSealedAndOpenedOtherKindsPassThrough()
    {
        var protector = With(Key);
        const string json = """{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}""";
        var stored = protector.Protect("secrets", json)!;
        Assert.DoesNotContain("aHVudGVyMg", stored);
        Assert.StartsWith("k8s:enc:aesgcm:v1:secrets:", stored);
        Assert.NotEqual(stored, protector.Protect("secrets", json)); // a fresh nonce per write
        Assert.Equal(json, protector.Unprotect(stored));
        Assert.Equal("""{"kind":"ConfigMap"}""", protector.Protect("configmaps", """{"kind":"ConfigMap"}"""));
    }

    [Fact]
    public void ATamperedValueOrAnotherKeyIsRefused()
    {
        var stored = With(Key).Protect("secrets", """{"kind":"Secret"}""")!;
        var bytes = Convert.FromBase64String(stored[(stored.LastIndexOf(':') + 1)..]);
        bytes[^1] ^= 1;
        var tampered = stored[..(stored.LastIndexOf(':') + 1)] + Convert.ToBase64String(bytes);
        Assert.ThrowsAny<CryptographicException>(() => With(Key).Unprotect(tampered));
        Assert.ThrowsAny<CryptographicException>(() => With(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))).Unprotect(stored));
        Assert.Throws<InvalidOperationException>(() => With(null).Unprotect(stored));
    }

    [Fact]
    public void ValuesWrittenBeforeAKeyExistedStillRead()
    {
        const string plain = """{"kind":"Secret"}""";
        Assert.Equal(plain, With(Key).Unprotect(plain));
        Assert.Equal(plain, With(null).Protect("secrets", plain));
    }
}
