using Grainetes.ApiServer;
using Grainetes.ApiServer.Security;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Grainetes.Tests.ApiServer;

/// <summary>The per-user caps and the request timeout, driven through the real middleware with real contexts.</summary>
public sealed class RequestLimitsMiddlewareTests
{
    private static DefaultHttpContext Request(string user, string query = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/api/v1/namespaces/default/pods";
        context.Request.QueryString = new QueryString(query);
        context.Features.Set(new RequestUser(UserInfo.Authenticated(user, null, [])));
        return context;
    }

    [Fact]
    public async Task AUserBeyondTheCapGets429WithRetryAfterWhileOthersGoOn()
    {
        var release = new TaskCompletionSource();
        var middleware = new RequestLimitsMiddleware(_ => release.Task, Options.Create(new ApiServerOptions { MaxRequestsInFlightPerUser = 2 }));

        var first = middleware.InvokeAsync(Request("greedy"));
        var second = middleware.InvokeAsync(Request("greedy"));
        var refused = await Assert.ThrowsAsync<ApiException>(() => middleware.InvokeAsync(Request("greedy")));
        Assert.Equal(429, refused.Code);
        Assert.Equal(1, refused.RetryAfterSeconds);

        var other = middleware.InvokeAsync(Request("polite"));
        release.SetResult();
        await Task.WhenAll(first, second, other);

        // The slots came back.
        await middleware.InvokeAsync(Request("greedy"));
    }

    [Fact]
    public async Task WatchesHaveTheirOwnCap()
    {
        var release = new TaskCompletionSource();
        var middleware = new RequestLimitsMiddleware(_ => release.Task, Options.Create(new ApiServerOptions { MaxWatchesPerUser = 1, MaxRequestsInFlightPerUser = 1 }));

        var watch = middleware.InvokeAsync(Request("w", "?watch=true"));
        Assert.Equal(429, (await Assert.ThrowsAsync<ApiException>(() => middleware.InvokeAsync(Request("w", "?watch=1")))).Code);
        var get = middleware.InvokeAsync(Request("w"));
        release.SetResult();
        await Task.WhenAll(watch, get);
    }

    [Fact]
    public async Task ARequestPastTheTimeoutIsAnswered504()
    {
        var middleware = new RequestLimitsMiddleware(
            context => Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted),
            Options.Create(new ApiServerOptions { RequestTimeout = TimeSpan.FromMilliseconds(100) }));

        var error = await Assert.ThrowsAsync<ApiException>(() => middleware.InvokeAsync(Request("slow")));
        Assert.Equal(504, error.Code);
        Assert.Equal("Timeout", error.Reason);
    }
}
