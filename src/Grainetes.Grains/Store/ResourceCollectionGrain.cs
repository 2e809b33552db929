using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Abstractions.Telemetry;
using Grainetes.Grains.Storage;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Selectors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.Grains.Store;

/// <summary>
/// Everything of one kind. Resource versions are handed out from memory (a block at a time is made
/// durable), writes commit in their object grains and are reported back here, and this grain orders
/// them, makes them durable in the change log with group commits, and only then shows them to lists and
/// watches. Reentrant: every turn's bookkeeping is synchronous, so interleaving at awaits is safe.
/// </summary>
[Reentrant]
public sealed partial class ResourceCollectionGrain : Grain, IResourceCollectionGrain
{
    private static readonly TimeSpan CommitTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StuckReservation = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan IndexFlushDelay = TimeSpan.FromMilliseconds(200);

    // A stopping silo waits for every running request before it deactivates a grain: long polls must not hold it.
    private static readonly TimeSpan StoppingPollWait = TimeSpan.FromMilliseconds(250);

    private readonly ChangeLogStore store;
    private readonly StoreOptions options;
    private readonly ObjectCounts objectCounts;
    private readonly ILogger<ResourceCollectionGrain> logger;

    private readonly Dictionary<string, SortedDictionary<string, CachedObject>> objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<(string Namespace, string Name)>> dependents = new(StringComparer.Ordinal);
    private readonly SortedDictionary<long, Reservation> reservations = new();
    private readonly Queue<ChangeEvent> ready = new();
    private readonly Dictionary<long, TaskCompletionSource> durableWaiters = new();
    private readonly List<ChangeEvent> memory = new();
    private readonly Dictionary<string, ListSnapshot> snapshots = new(StringComparer.Ordinal);

    private string kind = "";
    private KindMetadata metadata = KindMetadata.Empty;
    private long nextVersion;
    private long visibleVersion;
    private long memoryFloor;
    private long memoryChars;
    private long pendingIndexFrom;
    private long durableReservedUpTo;
    private Task? extending;
    private Task metadataWrite = Task.CompletedTask;
    private Task flushing = Task.CompletedTask;
    private bool flushRunning;
    private Task indexFlushing = Task.CompletedTask;
    private bool indexRunning;
    private TaskCompletionSource newEvents = NewSignal();
    private int logsSinceCompaction;
    private IGrainTimer? reservationTimer;
    private readonly CancellationToken hostStopping;

    public ResourceCollectionGrain(ChangeLogStore store, IOptions<StoreOptions> options, ObjectCounts objectCounts, Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime, ILogger<ResourceCollectionGrain> logger)
    {
        hostStopping = lifetime.ApplicationStopping;
        this.store = store;
        this.objectCounts = objectCounts;
        this.options = options.Value;
        this.logger = logger;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        kind = this.GetPrimaryKeyString();
        metadata = await store.LoadMetadataAsync(kind, cancellationToken);
        foreach (var row in await store.LoadIndexAsync(kind, cancellationToken))
        {
            Put(row.Namespace, row.Name, JsonMeta.ToCached(row.ResourceVersion, row.Json));
        }

        // The index may lag the log by the last flush before a stop: replay the log's tail over it.
        var last = metadata.IndexedUpTo;
        var replayed = 0;
        while (true)
        {
            var tail = await store.ReadAsync(kind, last, 1000, cancellationToken);
            foreach (var change in tail)
            {
                ApplyToCache(change, replayOnly: true);
                last = change.ResourceVersion;
            }

            replayed += tail.Count;
            if (tail.Count < 1000)
            {
                break;
            }
        }

        // Every version up to the old reservation is logged or will never be: start after it. A new kind starts at 1,
        // not 0: clients read a list's resourceVersion "0" as "any version" and would watch from the whole state.
        visibleVersion = Math.Max(Math.Max(last, metadata.ReservedUpTo), 1);
        memoryFloor = visibleVersion;
        nextVersion = visibleVersion + 1;
        pendingIndexFrom = metadata.IndexedUpTo;
        metadata = metadata with { ReservedUpTo = visibleVersion + options.SequenceBlock };
        await PersistMetadataAsync();
        durableReservedUpTo = metadata.ReservedUpTo;
        reservationTimer = this.RegisterGrainTimer(CheckStuckReservationsAsync, new GrainTimerCreationOptions
        {
            DueTime = StuckReservation,
            Period = TimeSpan.FromSeconds(15),
            Interleave = true,
        });
        ReportCount();
        LogActivated(kind, objects.Sum(n => n.Value.Count), replayed, visibleVersion);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        reservationTimer?.Dispose();
        objectCounts.Forget(kind);
        await flushing;
        await indexFlushing;
        if (pendingIndexFrom < visibleVersion)
        {
            await FlushIndexAsync(CancellationToken.None);
        }
    }

    public async Task<long> Reserve()
    {
        var version = nextVersion++;
        while (version > durableReservedUpTo)
        {
            // Callers share one extension of the block; none may use a version before it is durable.
            await (extending ??= ExtendReservationAsync(version));
        }

        reservations[version] = new Reservation(DateTimeOffset.UtcNow, null);
        return version;
    }

    public async Task Committed(ChangeEvent change)
    {
        if (!reservations.ContainsKey(change.ResourceVersion))
        {
            // The reservation was already written off as stuck; the object grain logs it anew on reactivation.
            throw ApiException.ServiceUnavailable("the write took too long to commit; retry it");
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        durableWaiters[change.ResourceVersion] = waiter;
        reservations[change.ResourceVersion] = reservations[change.ResourceVersion] with { Change = change };
        Release();
        try
        {
            await waiter.Task.WaitAsync(CommitTimeout);
        }
        catch (TimeoutException)
        {
            // Committed in its grain and queued here in order: it will be logged once storage catches up.
            throw ApiException.ServiceUnavailable("the change is committed but not yet logged; storage is slow", 2);
        }
    }

    public Task Abandon(long resourceVersion)
    {
        reservations.Remove(resourceVersion);
        Release();
        return Task.CompletedTask;
    }

    public Task<bool> IsKnown(string @namespace, string name, long resourceVersion)
    {
        var cached = Find(@namespace, name);
        if (resourceVersion == 0)
        {
            return Task.FromResult(cached is null);
        }

        if (cached?.ResourceVersion == resourceVersion)
        {
            return Task.FromResult(true);
        }

        // Still in flight (reserved, committed, not yet logged) also counts as known.
        return Task.FromResult(reservations.ContainsKey(resourceVersion) || ready.Any(r => r.ResourceVersion == resourceVersion));
    }

    public Task<string?> Cached(string @namespace, string name) => Task.FromResult(Find(@namespace, name)?.Json);

    public Task<ListResult> List(ListRequest request)
    {
        PurgeSnapshots();
        if (!string.IsNullOrEmpty(request.Continue))
        {
            return Task.FromResult(Continue(request));
        }

        var labels = LabelSelector.Parse(request.LabelSelector);
        var fields = FieldSelector.Parse(request.FieldSelector);
        var nameHint = fields.ExactValue("metadata.name");
        var items = new List<string>();
        foreach (var (ns, names) in Namespaces(request.Namespace ?? fields.ExactValue("metadata.namespace")))
        {
            IEnumerable<KeyValuePair<string, CachedObject>> candidates = names;
            if (nameHint is not null)
            {
                candidates = names.TryGetValue(nameHint, out var one) ? [new(nameHint, one)] : [];
            }

            foreach (var (_, cached) in candidates)
            {
                if (!labels.IsEverything && !labels.Matches(cached.Labels))
                {
                    continue;
                }

                if (!fields.IsEverything && !fields.Matches(JsonNode.Parse(cached.Json)!.AsObject()))
                {
                    continue;
                }

                items.Add(cached.Json);
            }
        }

        return Task.FromResult(Chunk(items, 0, visibleVersion, request.Limit, null));
    }

    public Task<IReadOnlyList<string>> Names(string? @namespace) =>
        Task.FromResult<IReadOnlyList<string>>(Namespaces(@namespace).SelectMany(n => n.Value.Keys.Select(k => @namespace is not null || n.Key.Length == 0 ? k : n.Key + "/" + k)).ToList());

    public Task<IReadOnlyList<string>> Dependents(string ownerUid) =>
        Task.FromResult<IReadOnlyList<string>>(
            dependents.TryGetValue(ownerUid, out var set) ? set.Select(d => d.Namespace + "/" + d.Name).ToList() : []);

    public async Task<WatchBatch> Poll(long afterResourceVersion, string? @namespace, TimeSpan maxWait)
    {
        if (afterResourceVersion < metadata.CompactedBelow - 1)
        {
            return new WatchBatch([], visibleVersion, true, metadata.CompactedBelow);
        }

        var batch = await Collect(afterResourceVersion, @namespace);
        if (batch.Events.Count > 0 || batch.LatestResourceVersion > afterResourceVersion || maxWait <= TimeSpan.Zero)
        {
            return batch;
        }

        // Once the silo stops, still a short wait, so pollers that loop until they are deactivated do not spin.
        // WaitAsync drops its timer as soon as the signal fires; a Task.Delay raced against it would live on for the
        // whole wait, and a thousand busy watches would keep tens of thousands of timers queued.
        var stopping = hostStopping.IsCancellationRequested;
        var wait = stopping && maxWait > StoppingPollWait ? StoppingPollWait : maxWait;
        await newEvents.Task.WaitAsync(wait, stopping ? CancellationToken.None : hostStopping)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);

        return await Collect(afterResourceVersion, @namespace);
    }

    public Task<long> CurrentResourceVersion() => Task.FromResult(visibleVersion);

    private async Task<WatchBatch> Collect(long after, string? ns)
    {
        IReadOnlyList<ChangeEvent> source;
        if (after >= memoryFloor)
        {
            var start = FirstAfter(after);
            source = start < memory.Count ? memory.GetRange(start, Math.Min(1000, memory.Count - start)) : [];
        }
        else
        {
            source = await store.ReadAsync(kind, after, 1000);
            source = source.Where(e => e.ResourceVersion <= visibleVersion).ToList();
        }

        var scannedTo = source.Count > 0 ? source[^1].ResourceVersion : Math.Max(after, visibleVersion);
        if (source.Count == 0 && after < memoryFloor)
        {
            scannedTo = Math.Max(after, memoryFloor);
        }

        var events = ns is null ? source : source.Where(e => e.Namespace == ns).ToList();
        return new WatchBatch(events, scannedTo, false, metadata.CompactedBelow);
    }

    private int FirstAfter(long version)
    {
        int lo = 0, hi = memory.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (memory[mid].ResourceVersion <= version)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private async Task ExtendReservationAsync(long needed)
    {
        try
        {
            var target = Math.Max(needed, nextVersion) + options.SequenceBlock;
            metadata = metadata with { ReservedUpTo = target };
            await PersistMetadataAsync();
            durableReservedUpTo = target;
        }
        finally
        {
            extending = null;
        }
    }

    /// <summary>
    /// Writes the bookkeeping row one write at a time, each with the latest values: concurrent writes
    /// landing out of order could otherwise move the durable reservation backwards.
    /// </summary>
    private Task PersistMetadataAsync()
    {
        var previous = metadataWrite;
        var next = WriteAfterAsync(previous);
        metadataWrite = next;
        return next;

        async Task WriteAfterAsync(Task before)
        {
            try
            {
                await before;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The earlier write's caller saw its failure; this write carries the latest values anyway.
            }

            await store.SaveMetadataAsync(kind, metadata);
        }
    }

    /// <summary>Moves the committed prefix of the reservations to the log queue, in version order.</summary>
    private void Release()
    {
        while (reservations.Count > 0)
        {
            var (version, reservation) = reservations.First();
            if (reservation.Change is null)
            {
                break;
            }

            reservations.Remove(version);
            ready.Enqueue(reservation.Change);
        }

        if (ready.Count > 0 && !flushRunning)
        {
            flushRunning = true;
            flushing = FlushLoopAsync();
        }
    }

    private async Task FlushLoopAsync()
    {
        var delay = TimeSpan.FromMilliseconds(50);
        try
        {
            while (ready.Count > 0)
            {
                var batch = ready.Take(100).ToList();
                try
                {
                    await store.AppendAsync(kind, batch);
                    delay = TimeSpan.FromMilliseconds(50);
                }
                catch (Exception ex)
                {
                    // The changes are committed in their grains: keep them queued, in order, until storage is back.
                    LogAppendFailed(ex, kind, batch.Count);
                    await Task.Delay(delay);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
                    continue;
                }

                for (var i = 0; i < batch.Count; i++)
                {
                    ready.Dequeue();
                }

                foreach (var change in batch)
                {
                    ApplyToCache(change, replayOnly: false);
                    visibleVersion = change.ResourceVersion;
                    if (durableWaiters.Remove(change.ResourceVersion, out var waiter))
                    {
                        waiter.TrySetResult();
                    }
                }

                var signal = newEvents;
                newEvents = NewSignal();
                signal.TrySetResult();
                TrimMemory();
                ReportCount();
                ScheduleIndexFlush();
            }
        }
        finally
        {
            flushRunning = false;
        }
    }

    /// <summary>
    /// The index trails the log by up to <see cref="IndexFlushDelay"/>, off the write path, so that a burst of
    /// changes costs one batch per partition rather than one write per change.
    /// </summary>
    private void ScheduleIndexFlush()
    {
        if (indexRunning)
        {
            return;
        }

        indexRunning = true;
        indexFlushing = IndexLoopAsync();
    }

    private async Task IndexLoopAsync()
    {
        try
        {
            while (pendingIndexFrom < visibleVersion)
            {
                await Task.Delay(IndexFlushDelay);
                await FlushIndexAsync(CancellationToken.None);
            }
        }
        finally
        {
            indexRunning = false;
        }
    }

    private async Task FlushIndexAsync(CancellationToken cancellationToken)
    {
        var from = pendingIndexFrom;
        var to = visibleVersion;
        var changes = memory.Skip(FirstAfter(from)).TakeWhile(e => e.ResourceVersion <= to).ToList();
        if (from < memoryFloor && from < to)
        {
            // Not everything is in memory any more (a long storage outage): read it back.
            changes = (await store.ReadAsync(kind, from, int.MaxValue, cancellationToken)).Where(e => e.ResourceVersion <= to).ToList();
        }

        try
        {
            await store.ApplyToIndexAsync(kind, changes, cancellationToken);
            pendingIndexFrom = to;
            logsSinceCompaction += changes.Count;
            var compactBelow = metadata.CompactedBelow;
            if (logsSinceCompaction >= options.RetainedEvents / 10 && to - options.RetainedEvents > metadata.CompactedBelow)
            {
                compactBelow = to - options.RetainedEvents;
                await store.CompactAsync(kind, compactBelow, cancellationToken);
                logsSinceCompaction = 0;
            }

            metadata = metadata with { IndexedUpTo = to, CompactedBelow = compactBelow };
            await PersistMetadataAsync();
        }
        catch (Exception ex)
        {
            // The log holds every change; the index catches up on the next flush or activation.
            LogIndexFailed(ex, kind);
        }
    }

    private void ApplyToCache(ChangeEvent change, bool replayOnly)
    {
        var existing = Find(change.Namespace, change.Name);
        if (existing is not null && existing.ResourceVersion >= change.ResourceVersion)
        {
            return;
        }

        if (existing is not null)
        {
            RemoveDependents(existing, change.Namespace, change.Name);
        }

        if (change.Type == WatchEventType.Deleted)
        {
            if (objects.TryGetValue(change.Namespace, out var names))
            {
                names.Remove(change.Name);
                if (names.Count == 0)
                {
                    objects.Remove(change.Namespace);
                }
            }
        }
        else
        {
            Put(change.Namespace, change.Name, JsonMeta.ToCached(change.ResourceVersion, change.Json));
        }

        if (!replayOnly)
        {
            memory.Add(change);
            memoryChars += change.Json.Length;
        }
    }

    private void Put(string ns, string name, CachedObject cached)
    {
        if (!objects.TryGetValue(ns, out var names))
        {
            names = new SortedDictionary<string, CachedObject>(StringComparer.Ordinal);
            objects[ns] = names;
        }

        names[name] = cached;
        foreach (var uid in cached.OwnerUids)
        {
            if (!dependents.TryGetValue(uid, out var set))
            {
                set = [];
                dependents[uid] = set;
            }

            set.Add((ns, name));
        }
    }

    private void RemoveDependents(CachedObject cached, string ns, string name)
    {
        foreach (var uid in cached.OwnerUids)
        {
            if (dependents.TryGetValue(uid, out var set) && set.Remove((ns, name)) && set.Count == 0)
            {
                dependents.Remove(uid);
            }
        }
    }

    /// <summary>The per-kind object gauge reads this silo's reports; a kind lives on one silo at a time.</summary>
    private void ReportCount() => objectCounts.Report(kind, objects.Sum(n => (long)n.Value.Count));

    private CachedObject? Find(string ns, string name) =>
        objects.TryGetValue(ns, out var names) && names.TryGetValue(name, out var cached) ? cached : null;

    private IEnumerable<KeyValuePair<string, SortedDictionary<string, CachedObject>>> Namespaces(string? ns)
    {
        if (ns is not null)
        {
            return objects.TryGetValue(ns, out var names) ? [new(ns, names)] : [];
        }

        return objects.OrderBy(o => o.Key, StringComparer.Ordinal);
    }

    private void TrimMemory()
    {
        // Bounded by count and by size: a kind of large objects (1 MiB ConfigMaps) must not hold gigabytes for
        // watches that a read of the durable log serves as well. Trim to 90 % of either bound so trimming is rare.
        var maxChars = options.MemoryEventBytes / sizeof(char);
        if (memory.Count <= options.MemoryEvents && memoryChars <= maxChars)
        {
            return;
        }

        var keepCount = options.MemoryEvents * 9 / 10;
        var keepChars = maxChars * 9 / 10;
        var drop = 0;
        while (drop < memory.Count - 1 && (memory.Count - drop > keepCount || memoryChars > keepChars))
        {
            memoryChars -= memory[drop].Json.Length;
            drop++;
        }

        if (drop > 0)
        {
            memoryFloor = memory[drop - 1].ResourceVersion;
            memory.RemoveRange(0, drop);
        }
    }

    private ListResult Continue(ListRequest request)
    {
        var (id, offset) = DecodeContinue(request.Continue!);
        if (!snapshots.TryGetValue(id, out var snapshot))
        {
            throw new ApiException(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
        }

        return Chunk(snapshot.Items, offset, snapshot.ResourceVersion, request.Limit, id);
    }

    private ListResult Chunk(IReadOnlyList<string> items, int offset, long version, int limit, string? snapshotId)
    {
        if (limit <= 0 || items.Count - offset <= limit)
        {
            if (snapshotId is not null)
            {
                snapshots.Remove(snapshotId);
            }

            return new ListResult(offset == 0 ? items : items.Skip(offset).ToList(), version, null, 0);
        }

        if (snapshotId is null)
        {
            snapshotId = Guid.NewGuid().ToString("N");
            snapshots[snapshotId] = new ListSnapshot(items, version, DateTimeOffset.UtcNow + options.ContinueTokenLifetime);
        }

        var page = items.Skip(offset).Take(limit).ToList();
        var next = offset + limit;
        return new ListResult(page, version, EncodeContinue(snapshotId, next), items.Count - next);
    }

    private void PurgeSnapshots()
    {
        if (snapshots.Count == 0)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        foreach (var id in snapshots.Where(s => s.Value.Expires < now).Select(s => s.Key).ToList())
        {
            snapshots.Remove(id);
        }
    }

    private static string EncodeContinue(string id, int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(id + ":" + offset.ToString(CultureInfo.InvariantCulture)));

    private static (string Id, int Offset) DecodeContinue(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return (text[..colon], int.Parse(text[(colon + 1)..], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException)
        {
            throw ApiException.BadRequest("continue key is not valid: " + ex.Message);
        }
    }

    private async Task CheckStuckReservationsAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var stuck = reservations.Where(r => r.Value.Change is null && now - r.Value.Reserved > StuckReservation).Select(r => r.Key).ToList();
        foreach (var version in stuck)
        {
            // Its object grain died between reserving and reporting; a reactivated grain re-logs what it stored.
            LogStuckReservation(kind, version);
            reservations.Remove(version);
        }

        if (stuck.Count > 0)
        {
            Release();
        }

        await Task.CompletedTask;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Reservation(DateTimeOffset Reserved, ChangeEvent? Change);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kind {Kind} activated with {Objects} objects ({Replayed} changes replayed), at version {Version}")]
    private partial void LogActivated(string kind, int objects, int replayed, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Appending {Count} changes of {Kind} to the log failed; retrying")]
    private partial void LogAppendFailed(Exception ex, string kind, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Updating the index of {Kind} failed; the log still holds every change")]
    private partial void LogIndexFailed(Exception ex, string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reservation {Version} of {Kind} was never committed; written off")]
    private partial void LogStuckReservation(string kind, long version);
}
