using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using MultiRaft.PlacementDriver;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.PlacementDriver.Tests;

/// <summary>PD's HTTP API against a real PD: the JSON views, PD telling RPC clients where the API is, and
/// bad requests answered with 4xx and a message.</summary>
public sealed class HttpApiTests : IAsyncLifetime, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "multiraft-pd-http", Guid.NewGuid().ToString("N"));
    private PdServer _pd = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _pd = await PdServer.StartAsync(new PdServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            HttpListen = new IPEndPoint(IPAddress.Loopback, 0),
            DataDirectory = _directory,
            MaxReplicas = 1,
        });
        _http = new HttpClient { BaseAddress = new Uri($"http://{_pd.HttpEndpoint}/") };
    }

    [Fact]
    public async Task Views_list_stores_and_regions_and_rpc_clients_learn_the_address()
    {
        await using var pd = new PdClient([_pd.Endpoint]);
        Assert.Equal(_pd.HttpEndpoint!.ToString(), (await pd.GetClusterAsync()).HttpAddress);
        var store = await pd.AllocIdAsync();
        await pd.PutStoreAsync(store, "127.0.0.1:1", null);
        var region = await pd.GetBootstrapRegionAsync(store);
        Assert.NotNull(region);

        var stores = await _http.GetFromJsonAsync<JsonElement>("stores");
        Assert.Equal("Up", stores[0].GetProperty("state").GetString());
        Assert.Equal((long)store, stores[0].GetProperty("id").GetInt64());
        var regions = await _http.GetFromJsonAsync<JsonElement>("regions");
        Assert.Equal(1, regions.GetArrayLength());
        Assert.Equal("", regions[0].GetProperty("startKey").GetString());
        Assert.Equal(1, regions[0].GetProperty("epoch").GetProperty("confVer").GetInt32());
        var byKey = await _http.GetFromJsonAsync<JsonElement>("regions/key/anything");
        Assert.Equal((long)region!.Id, byKey.GetProperty("id").GetInt64());
        Assert.Equal(6, (await _http.GetFromJsonAsync<JsonElement>("schedulers")).GetArrayLength());
        Assert.Equal(0, (await _http.GetFromJsonAsync<JsonElement>("operators")).GetProperty("running").GetArrayLength());
    }

    [Fact]
    public void The_api_host_watches_no_files()
    {
        // A reloading settings file would watch the working directory, where `multiraft up` keeps its data.
        var root = Assert.IsAssignableFrom<IConfigurationRoot>(_pd.HttpApi!.Configuration);
        var watching = root.Providers.OfType<FileConfigurationProvider>().Where(p => p.Source.ReloadOnChange).Select(p => p.Source.Path);
        Assert.Empty(watching);
    }

    [Fact]
    public async Task Bad_requests_get_4xx_with_a_message()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("regions/424242")).StatusCode);
        var unknownRegion = await _http.PostAsJsonAsync("split", new { regionId = 424242 });
        Assert.Equal(HttpStatusCode.NotFound, unknownRegion.StatusCode);
        Assert.Contains("424242", await unknownRegion.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsync("schedulers/no-such/enable", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.PostAsync("schedulers/split/explode", null)).StatusCode);
        Assert.True((int)(await _http.PostAsync("split", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"))).StatusCode is >= 400 and < 500);
    }

    [Fact]
    public async Task A_scheduler_setting_changes_only_when_valid()
    {
        var changed = await _http.PostAsJsonAsync("schedulers/balance-leader/config", new { key = "tolerance", value = "5" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(5, (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("config").GetProperty("tolerance").GetInt32());
        foreach (var (key, value, says) in new[] { ("tolerance", "1", "greater than or equal"), ("tolerance", "lots", "not a valid value"), ("patience", "3", "no setting 'patience'") })
        {
            var refused = await _http.PostAsJsonAsync("schedulers/balance-leader/config", new { key, value });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(says, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var unknown = await _http.PostAsJsonAsync("schedulers/no-such/config", new { key = "tolerance", value = "3" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var schedulers = await _http.GetFromJsonAsync<JsonElement>("schedulers");
        var config = schedulers.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "balance-leader").GetProperty("config");
        Assert.Equal(5, config.GetProperty("tolerance").GetInt32());
    }

    [Fact]
    public async Task A_rebalance_plan_starts_nothing()
    {
        await using var pd = new PdClient([_pd.Endpoint]);
        var store = await pd.AllocIdAsync();
        await pd.PutStoreAsync(store, "127.0.0.1:1", null);
        await pd.GetBootstrapRegionAsync(store);

        var plan = await _http.GetFromJsonAsync<JsonElement>("rebalance");
        Assert.Equal(0, plan.GetProperty("operators").GetArrayLength());
        Assert.Equal((long)store, Assert.Single(plan.GetProperty("after").EnumerateArray()).GetProperty("storeId").GetInt64());
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync("regions?start=m&end=a")).StatusCode);
        Assert.Equal(1, (await _http.GetFromJsonAsync<JsonElement>("regions?start=a&end=m")).GetArrayLength());
        Assert.Equal(0, (await _http.GetFromJsonAsync<JsonElement>("operators")).GetProperty("running").GetArrayLength());
    }

    [Fact]
    public async Task The_gc_safe_point_is_shown_with_the_live_service_safe_points_lowest_first()
    {
        await using var pd = new PdClient([_pd.Endpoint]);
        var ts = await pd.TsoAsync();
        await pd.UpdateServiceSafePointAsync("backup", ts - 5, TimeSpan.FromMinutes(5));
        await pd.UpdateServiceSafePointAsync("txn", ts - 7, TimeSpan.FromMinutes(1));
        await pd.UpdateServiceSafePointAsync("gone", ts - 8, TimeSpan.Zero);
        await pd.UpdateGcSafePointAsync(ts - 9);

        var view = await _http.GetFromJsonAsync<JsonElement>("gc/safepoint");
        Assert.Equal(ts - 9, view.GetProperty("safePoint").GetUInt64());
        var services = view.GetProperty("serviceSafePoints");
        Assert.Equal(["txn", "backup"], services.EnumerateArray().Select(s => s.GetProperty("serviceId").GetString()));
        Assert.Equal(ts - 7, services[0].GetProperty("safePoint").GetUInt64());
        var expiresIn = services[0].GetProperty("expiresAt").GetDateTimeOffset() - DateTimeOffset.UtcNow;
        Assert.InRange(expiresIn, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));
    }

    public void Dispose() => _http.Dispose();

    public async Task DisposeAsync()
    {
        await _pd.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
