namespace Grainetes.ApiServer.Http;

/// <summary>
/// What a resource request turned out to be, in Kubernetes' terms (<c>verb</c> as kube-apiserver counts it:
/// get, list, watch, create, update, patch, delete, deletecollection), left on the request's features by the
/// handler for the telemetry middleware to measure it by.
/// </summary>
public sealed record ApiRequestInfo(string Verb, string Resource, string Subresource);
