using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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

    public void Dispose() => _http.Dispose();

    public async Task DisposeAsync()
    {
        await _pd.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
