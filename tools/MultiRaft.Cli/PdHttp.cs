using System.Net.Http.Json;
using System.Text.Json;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Cli;

/// <summary>
/// The ops commands' way to PD: they are given PD's RPC address (<c>--pd</c>), ask PD where its HTTP API is,
/// and talk JSON to that. Every failure becomes an <see cref="OpsException"/> with a message for the user.
/// </summary>
internal sealed class PdHttp : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
    private readonly HttpClient _http;

    private PdHttp(HttpClient http) => _http = http;

    public static async Task<PdHttp> ConnectAsync(string pd, CancellationToken cancellation)
    {
        var cluster = await GetClusterAsync(pd, cancellation).ConfigureAwait(false);
        if (cluster.HttpAddress is not { } address)
        {
            throw new OpsException($"PD at {pd} serves no HTTP API (start it with --http HOST:PORT)");
        }
        return new PdHttp(new HttpClient { BaseAddress = new Uri($"http://{address}/"), Timeout = TimeSpan.FromSeconds(10) });
    }

    /// <summary>Asks PD at <paramref name="pd"/> about its cluster; a PD that cannot be reached is an
    /// <see cref="OpsException"/> with a message for the user.</summary>
    public static async Task<Protocol.Pd.GetClusterResponse> GetClusterAsync(string pd, CancellationToken cancellation)
    {
        await using var client = new PdClient(PdClient.ParseEndpoints(pd), new PdClientOptions { CallTimeout = TimeSpan.FromSeconds(5) });
        try
        {
            return await client.GetClusterAsync(cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException)
        {
            throw new OpsException($"PD at {pd} is unreachable: {e.Message}");
        }
    }

    public async Task<T> GetAsync<T>(string path, CancellationToken cancellation)
    {
        using var response = await SendAsync(() => _http.GetAsync(path, cancellation)).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellation).ConfigureAwait(false))!;
    }

    public async Task<T> PostAsync<T>(string path, object body, CancellationToken cancellation)
    {
        using var response = await SendAsync(() => _http.PostAsJsonAsync(path, body, Json, cancellation)).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellation).ConfigureAwait(false))!;
    }

    private static async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send)
    {
        HttpResponseMessage response;
        try
        {
            response = await send().ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new OpsException($"PD's HTTP API is unreachable: {e.Message}");
        }
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            response.Dispose();
            var message = text.Contains("\"error\"", StringComparison.Ordinal) ? JsonDocument.Parse(text).RootElement.GetProperty("error").GetString() : text;
            throw new OpsException($"PD refused: {message} ({(int)response.StatusCode})");
        }
        return response;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An ops command failed for a reason the user should read.</summary>
internal sealed class OpsException : Exception
{
    public OpsException(string message) : base(message) { }

    public OpsException() { }

    public OpsException(string message, Exception inner) : base(message, inner) { }
}
