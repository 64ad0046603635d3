using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MultiRaft.Protocol.Metadata;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.PlacementDriver.Scheduling.Schedulers;

namespace MultiRaft.PlacementDriver.Http;

/// <summary>
/// PD's HTTP API (ASP.NET Core minimal API, loopback by default): JSON views of stores, regions, hot regions,
/// operators, schedulers and GC safe points for the ops tool and dashboards, and POST commands that become
/// operators (split, transfer leader, add / remove / move a peer), switch or configure schedulers, or rebalance
/// now. A bad request gets 4xx with a message.
/// </summary>
internal sealed class PdHttpApi : IAsyncDisposable
{
    private const string ApiScheduler = "api";

    /// <summary>The schedulers a rebalance runs: replicas first, then leaders (as a round orders them).</summary>
    private static readonly string[] Rebalancers = [BalanceRegionScheduler.SchedulerName, BalanceLeaderScheduler.SchedulerName];
    private readonly WebApplication _app;
    private readonly StoreRegistry _stores;
    private readonly RegionRegistry _regions;
    private readonly IdAllocator _ids;
    private readonly GcSafePoints _gc;
    private readonly SchedulerRunner? _schedulers;

    private PdHttpApi(WebApplication app, StoreRegistry stores, RegionRegistry regions, IdAllocator ids, GcSafePoints gc, SchedulerRunner? schedulers)
    {
        _app = app;
        _stores = stores;
        _regions = regions;
        _ids = ids;
        _gc = gc;
        _schedulers = schedulers;
    }

    public IPEndPoint Endpoint { get; private set; } = null!;

    /// <summary>The host's configuration (to check that nothing in it watches files).</summary>
    internal IConfiguration Configuration => _app.Configuration;

    public static async Task<PdHttpApi> StartAsync(IPEndPoint listen, StoreRegistry stores, RegionRegistry regions, IdAllocator ids, GcSafePoints gc,
        SchedulerRunner? schedulers, CancellationToken cancellation)
    {
        // No appsettings reload: its file watcher covers the content root recursively, and `multiraft up` keeps
        // its data under the working directory, so every log and RocksDB write woke the watcher (measured: 2-3%
        // of the whole process's CPU under a write load). The API needs no settings files at all.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(listen));
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        });
        var app = builder.Build();
        var api = new PdHttpApi(app, stores, regions, ids, gc, schedulers);
        api.Map();
        await app.StartAsync(cancellation).ConfigureAwait(false);
        var address = app.Urls.First();
        api.Endpoint = IPEndPoint.Parse(new Uri(address).Authority);
        return api;
    }

    private void Map()
    {
        _app.MapGet("/stores", () => Results.Ok(StoreViews()));
        _app.MapGet("/regions", (string? key, ulong? store, string? start, string? end) => Regions(key, store, start, end));
        _app.MapGet("/regions/{id}", (ulong id) => Region(_regions.Snapshot().FirstOrDefault(r => r.Region.Id == id), $"region {id}"));
        _app.MapGet("/regions/key/{key}", (string key) => Region(Find(KeyInput.Parse(key)), $"a region holding '{key}'"));
        _app.MapGet("/hot", () => Results.Ok(_regions.Snapshot().Where(r => (r.Stats?.WriteBytesPerSec ?? 0) + (r.Stats?.ReadBytesPerSec ?? 0) > 0)
            .OrderByDescending(r => (r.Stats?.WriteBytesPerSec ?? 0) + (r.Stats?.ReadBytesPerSec ?? 0)).Take(20).Select(RegionView.Of)));
        _app.MapGet("/operators", () => _schedulers is { } s ? Results.Ok(new OperatorsView(s.Controller.Running(), s.Controller.History())) : NoScheduling());
        _app.MapGet("/schedulers", () => _schedulers is { } s ? Results.Ok(s.Schedulers.Select(x => new SchedulerView(x.Name, x.Enabled, x.ConfigObject))) : NoScheduling());
        _app.MapPost("/schedulers/{name}/config", (string name, SettingBody body) => ConfigureScheduler(name, body));
        _app.MapPost("/schedulers/{name}/{action}", (string name, string action) => SetScheduler(name, action));
        _app.MapGet("/gc/safepoint", () =>
        {
            var (safePoint, services) = _gc.Snapshot();
            return Results.Ok(new GcSafePointView(safePoint, services));
        });
        _app.MapGet("/rebalance", () => Rebalance(dryRun: true));
        _app.MapPost("/rebalance", () => Rebalance(dryRun: false));
        _app.MapPost("/{command}", (string command, CommandBody body) => Command(command, body));
    }

    private StoreView[] StoreViews()
    {
        var regions = _regions.Snapshot();
        return Array.ConvertAll(_stores.GetAll(), s =>
        {
            var stats = _stores.StatsOf(s.Id);
            return new StoreView(s.Id, s.Address, s.StatusAddress, s.State.ToString(),
                regions.Count(r => r.Region.PeerOnStore(s.Id) is not null), regions.Count(r => r.Leader?.StoreId == s.Id),
                stats?.CapacityBytes ?? 0, stats?.AvailableBytes ?? 0, stats?.UsedBytes ?? 0, s.LastHeartbeatUnixMs);
        });
    }

    /// <summary>The regions in key order: those holding <paramref name="key"/>, with a replica on
    /// <paramref name="store"/>, overlapping [<paramref name="start"/>, <paramref name="end"/>) (an empty or
    /// missing end: no end), as many of these as are given.</summary>
    private IResult Regions(string? key, ulong? store, string? start, string? end)
    {
        IEnumerable<RegionState> regions = _regions.Snapshot();
        try
        {
            if (key is not null)
            {
                var bytes = KeyInput.Parse(key);
                regions = regions.Where(r => r.Region.Contains(bytes));
            }
            if (start is not null || end is not null)
            {
                var from = KeyInput.Parse(start ?? "");
                var to = KeyInput.Parse(end ?? "");
                if (to.Length > 0 && ByteOrder.Instance.Compare(from, to) >= 0)
                {
                    return Results.BadRequest(new ApiError($"the range's start '{start}' must sort before its end '{end}'"));
                }
                regions = regions.Where(r => (r.Region.EndKey.Length == 0 || ByteOrder.Instance.Compare(r.Region.EndKey, from) > 0)
                    && (to.Length == 0 || ByteOrder.Instance.Compare(r.Region.StartKey, to) < 0));
            }
        }
        catch (ArgumentException e)
        {
            return Results.BadRequest(new ApiError(e.Message));
        }
        if (store is { } id)
        {
            regions = regions.Where(r => r.Region.PeerOnStore(id) is not null);
        }
        return Results.Ok(regions.OrderBy(r => r.Region.StartKey, ByteOrder.Instance).Select(RegionView.Of));
    }

    private RegionState? Find(byte[] key) => _regions.Snapshot().FirstOrDefault(r => r.Region.Contains(key));

    private static IResult Region(RegionState? state, string what) =>
        state is null ? Results.NotFound(new ApiError($"no {what}")) : Results.Ok(RegionView.Of(state));

    private static IResult NoScheduling() => Results.Json(new ApiError("this PD runs without its schedulers"), statusCode: StatusCodes.Status409Conflict);

    private IResult SetScheduler(string name, string action)
    {
        if (_schedulers is null)
        {
            return NoScheduling();
        }
        if (action is not ("enable" or "disable"))
        {
            return Results.BadRequest(new ApiError($"unknown action '{action}': enable or disable"));
        }
        return _schedulers.SetEnabled(name, action == "enable")
            ? Results.Ok(new SchedulerView(name, action == "enable", _schedulers.Find(name)!.ConfigObject))
            : UnknownScheduler(name);
    }

    private static IResult UnknownScheduler(string name) =>
        Results.NotFound(new ApiError($"no scheduler '{name}'; known: {string.Join(", ", SchedulerRunner.AllNames)}"));

    private IResult ConfigureScheduler(string name, SettingBody body)
    {
        if (_schedulers is null)
        {
            return NoScheduling();
        }
        if (_schedulers.Find(name) is not { } scheduler)
        {
            return UnknownScheduler(name);
        }
        if (body.Key is null || body.Value is null)
        {
            return Results.BadRequest(new ApiError("'key' and 'value' are required"));
        }
        try
        {
            SchedulerSettings.Change(scheduler, body.Key, body.Value);
        }
        catch (ArgumentException e)
        {
            return Results.BadRequest(new ApiError(e.Message));
        }
        return Results.Ok(new SchedulerView(name, scheduler.Enabled, scheduler.ConfigObject));
    }

    /// <summary>One round of the balance schedulers now (enabled or not): a dry run answers what they would
    /// start and the counts that would follow; otherwise the operators they started.</summary>
    private IResult Rebalance(bool dryRun)
    {
        if (_schedulers is null)
        {
            return NoScheduling();
        }
        var round = _schedulers.RunNow(Rebalancers, dryRun);
        if (!dryRun)
        {
            return Results.Ok(round.Proposed.Select(o => o.View()));
        }
        var after = round.Stores.OrderBy(s => s.Id).Select(s => new StoreCountView(s.Id, s.Leaders, s.Replicas));
        return Results.Ok(new RebalancePlanView([.. round.Proposed.Select(o => o.PlannedView())], [.. after]));
    }

    private IResult Command(string command, CommandBody body)
    {
        if (_schedulers is null)
        {
            return NoScheduling();
        }
        if (_regions.Snapshot().FirstOrDefault(r => r.Region.Id == body.RegionId) is not { } state)
        {
            return Results.NotFound(new ApiError($"no region {body.RegionId}"));
        }
        Operator op;
        try
        {
            op = Build(command, state, body);
        }
        catch (ArgumentException e)
        {
            return Results.BadRequest(new ApiError(e.Message));
        }
        return _schedulers.Controller.TryAdd(op, out var refusal)
            ? Results.Accepted(value: new Accepted(op.Id, $"{op.Kind} of region {op.RegionId}"))
            : Results.Json(new ApiError(refusal ?? "refused"), statusCode: StatusCodes.Status409Conflict);
    }

    private Operator Build(string command, RegionState state, CommandBody body)
    {
        var region = state.Region;
        const string reason = "requested through the API";
        switch (command)
        {
            case "split":
                var keys = body.Key is null ? [] : new[] { KeyInput.Parse(body.Key) };
                if (keys.Length == 1 && (!region.Contains(keys[0]) || keys[0].AsSpan().SequenceEqual(region.StartKey)))
                {
                    throw new ArgumentException($"key '{body.Key}' is not strictly inside region {region.Id}");
                }
                return Operator.Split(region, keys, ApiScheduler, reason);
            case "transfer-leader":
                var to = PeerOn(region, Required(body.ToStore, "toStore"), "toStore");
                return to.IsLearner ? throw new ArgumentException($"the peer on store {to.StoreId} is a learner") : Operator.TransferLeader(region, to, ApiScheduler, reason);
            case "add-peer":
                return Operator.AddReplica(region, NewPeer(region, Required(body.StoreId, "storeId")), ApiScheduler, reason);
            case "remove-peer":
                return Operator.RemoveReplica(region, PeerOn(region, Required(body.StoreId, "storeId"), "storeId"), ApiScheduler, reason);
            case "move-peer":
                var source = PeerOn(region, Required(body.FromStore, "fromStore"), "fromStore");
                return Operator.MovePeer(region, source, NewPeer(region, Required(body.ToStore, "toStore")), ApiScheduler, reason);
            default:
                throw new ArgumentException($"unknown command '{command}': split, transfer-leader, add-peer, remove-peer or move-peer");
        }
    }

    private static ulong Required(ulong? value, string name) => value ?? throw new ArgumentException($"'{name}' is required");

    private static PeerInfo PeerOn(RegionInfo region, ulong store, string name) =>
        region.PeerOnStore(store) ?? throw new ArgumentException($"region {region.Id} has no peer on store {store} ({name})");

    private PeerInfo NewPeer(RegionInfo region, ulong store)
    {
        if (_stores.Get(store) is not { State: Protocol.Metadata.StoreState.Up })
        {
            throw new ArgumentException($"store {store} is not an up store");
        }
        if (region.PeerOnStore(store) is not null)
        {
            throw new ArgumentException($"store {store} already holds a replica of region {region.Id}");
        }
        return new PeerInfo(_ids.Allocate(1), store, IsLearner: true);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static ByteOrder Instance { get; } = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
