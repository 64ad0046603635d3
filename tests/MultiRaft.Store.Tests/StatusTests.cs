using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MultiRaft.Store.Status;
using Xunit.Abstractions;

namespace MultiRaft.Store.Tests;

/// <summary>The status server of real stores (<c>/metrics</c>, <c>/regions</c>, refusals), and the
/// Prometheus rendering on its own.</summary>
public sealed class StatusTests(ITestOutputHelper output)
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static Task<TestCluster> StartWithStatusAsync(int stores = 3) =>
        TestCluster.StartAsync(stores, o => o with { StatusListen = new IPEndPoint(IPAddress.Loopback, 0) });

    private static async Task<string> GetAsync(StoreServer store, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri($"http://{store.StatusEndpoint}{path}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Samples by series ("name{labels}") from a scrape.</summary>
    private static Dictionary<string, double> Samples(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var space = line.LastIndexOf(' ');
            samples[line[..space]] = line[(space + 1)..] switch
            {
                "+Inf" => double.PositiveInfinity,
                var number => double.Parse(number, CultureInfo.InvariantCulture),
            };
        }
        return samples;
    }

    private static double Sample(Dictionary<string, double> samples, string name, StoreServer store) =>
        samples.GetValueOrDefault($"{name}{{store=\"{store.StoreId}\"}}");

    [Fact]
    public async Task Metrics_count_this_stores_proposals_applies_and_fsyncs_only()
    {
        await using var cluster = await StartWithStatusAsync();
        var (_, leader) = await cluster.WaitForLeaderAsync();
        var leaderStore = cluster.StoreById(leader.StoreId)!;
        var before = Samples(await GetAsync(leaderStore, "/metrics"));
        await using (var client = cluster.NewClient())
        {
            for (var i = 0; i < 20; i++)
            {
                await client.PutAsync(B($"k{i}"), B($"v{i}"));
            }
            Assert.Equal(B("v3"), await client.GetAsync(B("k3")));
            // Reads right after acknowledged writes find the leader's lease fresh: they skip the Raft round.
            for (var i = 0; i < 50; i++)
            {
                await client.PutAsync(B("k3"), B($"w{i}"));
                Assert.Equal(B($"w{i}"), await client.GetAsync(B("k3")));
            }
        }

        foreach (var store in cluster.Stores)
        {
            var text = await GetAsync(store!, "/metrics");
            var samples = Samples(text);
            var isLeader = store == leaderStore;
            // Every series carries this store's id, and no other store's.
            foreach (var series in samples.Keys)
            {
                Assert.Contains($"store=\"{store!.StoreId}\"", series, StringComparison.Ordinal);
            }
            Assert.Equal(1, Sample(samples, "multiraft_regions", store!));
            Assert.Equal(isLeader ? 1 : 0, Sample(samples, "multiraft_leaders", store!));
            Assert.True(Sample(samples, "multiraft_apply_entries_total", store!) >= 20, text);
            Assert.True(Sample(samples, "multiraft_log_fsync_duration_milliseconds_count", store!) > 0, text);
            Assert.True(Sample(samples, "multiraft_raft_rounds_total", store!) > 0, text);
            Assert.True(Sample(samples, "multiraft_log_write_entries_count", store!) > 0, text);
            Assert.Contains("# TYPE multiraft_log_fsync_duration_milliseconds histogram", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE multiraft_proposals_total counter", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE multiraft_raft_messages_dropped_total counter", text, StringComparison.Ordinal);
            if (isLeader)
            {
                Assert.True(Sample(samples, "multiraft_proposals_total", store!) - Sample(before, "multiraft_proposals_total", store!) >= 20, text);
                Assert.True(Sample(samples, "multiraft_reads_total", store!) >= 1, text);
                Assert.True(Sample(samples, "multiraft_local_reads_total", store!) >= 1, text);
            }
            else
            {
                // Followers proposed nothing: the leader's numbers do not leak into their exporters.
                Assert.Equal(0, Sample(samples, "multiraft_proposals_total", store!));
                Assert.Equal(0, Sample(samples, "multiraft_reads_total", store!));
                Assert.Equal(0, Sample(samples, "multiraft_local_reads_total", store!));
            }
        }
    }

    [Fact]
    public async Task Regions_lists_the_region_with_its_leader()
    {
        await using var cluster = await StartWithStatusAsync();
        var (region, leader) = await cluster.WaitForLeaderAsync();
        foreach (var store in cluster.Stores)
        {
            using var json = JsonDocument.Parse(await GetAsync(store!, "/regions"));
            var regions = json.RootElement;
            Assert.Equal(JsonValueKind.Array, regions.ValueKind);
            var only = Assert.Single(regions.EnumerateArray());
            Assert.Equal(region.Id, only.GetProperty("id").GetUInt64());
            Assert.Equal("", only.GetProperty("startKey").GetString());
            Assert.Equal("", only.GetProperty("endKey").GetString());
            Assert.Equal(region.Epoch.Version, only.GetProperty("epoch").GetProperty("version").GetUInt64());
            Assert.Equal(region.Epoch.ConfVersion, only.GetProperty("epoch").GetProperty("confVersion").GetUInt64());
            var peers = only.GetProperty("peers").EnumerateArray().ToList();
            Assert.Equal(3, peers.Count);
            Assert.All(peers, p => Assert.Equal("voter", p.GetProperty("role").GetString()));
            Assert.Contains(peers, p => p.GetProperty("storeId").GetUInt64() == store!.StoreId);
            var isLeader = store!.StoreId == leader.StoreId;
            Assert.Equal(isLeader, only.GetProperty("isLeader").GetBoolean());
            if (isLeader)
            {
                Assert.Equal(leader.Id, only.GetProperty("leader").GetUInt64());
                Assert.True(only.GetProperty("term").GetUInt64() > 0);
                Assert.True(only.GetProperty("appliedIndex").GetUInt64() > 0);
            }
        }
    }

    [Fact]
    public async Task Bad_requests_get_400_unknown_paths_404_and_the_server_goes_on()
    {
        await using var cluster = await StartWithStatusAsync(stores: 1);
        var store = cluster.Stores[0]!;
        var endpoint = store.StatusEndpoint!;

        Assert.StartsWith("HTTP/1.1 404 ", await RawAsync(endpoint, B("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 405 ", await RawAsync(endpoint, B("POST /metrics HTTP/1.1\r\n\r\n")), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200 ", await RawAsync(endpoint, B("GET /regions?pretty HTTP/1.0\n\n")), StringComparison.Ordinal);
        byte[][] bad =
        [
            B("GARBAGE\r\n\r\n"),
            B("GET /metrics\r\n\r\n"),
            B("GET metrics HTTP/1.1\r\n\r\n"),
            B("GET /metrics HTTP/2.0\r\n\r\n"),
            B("GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n"),
            B("GET /metrics HTTP/1.1\r\n folded: header\r\n\r\n"),
            [.. B("GET /met"), 0, 1, 0xFF, .. B("rics HTTP/1.1\r\n\r\n")],
            B("GET /metrics HTTP/1.1\r\nX: " + new string('a', 10_000) + "\r\n\r\n"),
            B(new string('x', 9000)),
        ];
        foreach (var request in bad)
        {
            Assert.StartsWith("HTTP/1.1 400 ", await RawAsync(endpoint, request), StringComparison.Ordinal);
        }

        // Seeded noise: every connection is answered 400 or simply closed, never anything else.
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        for (var i = 0; i < 100; i++)
        {
            var noise = new byte[random.Next(1, 12_000)];
            random.NextBytes(noise);
            if (i % 2 == 0)
            {
                noise[^1] = (byte)'\n';
                noise[^2] = (byte)'\n';
            }
            var answer = await RawAsync(endpoint, noise);
            Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), answer);
        }

        // A request head that never ends is cut off after 5 s.
        using (var slow = new TcpClient())
        {
            await slow.ConnectAsync(endpoint);
            await slow.GetStream().WriteAsync(B("GET /metrics HTTP/1.1\r\n"));
            var started = DateTime.UtcNow;
            var answer = new MemoryStream();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await slow.GetStream().CopyToAsync(answer, timeout.Token);
            Assert.StartsWith("HTTP/1.1 400 ", Encoding.ASCII.GetString(answer.ToArray()), StringComparison.Ordinal);
            Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 3, 10);
        }

        // A client that connects and sends half a request, then leaves.
        using (var quitter = new TcpClient())
        {
            await quitter.ConnectAsync(endpoint);
            await quitter.GetStream().WriteAsync(B("GET /metr"));
        }

        Assert.Contains("multiraft_regions", await GetAsync(store, "/metrics"), StringComparison.Ordinal);
    }

    /// <summary>Sends the bytes as they are and reads the whole answer until the server closes.</summary>
    private static async Task<string> RawAsync(IPEndPoint endpoint, byte[] request)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(endpoint, timeout.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, timeout.Token);
            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The server may answer and close before it read everything: read what it said.
        }
        var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer, timeout.Token);
        }
        catch (IOException)
        {
        }
        return Encoding.ASCII.GetString(answer.ToArray());
    }

    [Fact]
    public void Exporter_renders_cumulative_buckets_escaped_labels_and_only_its_own_meter()
    {
        using var meter = new Meter(new MeterOptions("MultiRaft.Store") { Tags = [new("store", 7)] });
        using var other = new Meter(new MeterOptions("MultiRaft.Store") { Tags = [new("store", 8)] });
        using var exporter = new PrometheusExporter(meter);
        var counter = meter.CreateCounter<long>("proposals.rejected", "{command}", "Rejected\nproposals \\ by reason");
        var histogram = meter.CreateHistogram("log.fsync.duration", "ms", "fsync time",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 10] });
        meter.CreateObservableGauge("regions", () => 3);
        var strangers = other.CreateCounter<long>("proposals", null, "another store's");

        counter.Add(2, new KeyValuePair<string, object?>("reason", "a\"b\\c\nd"));
        counter.Add(1, new KeyValuePair<string, object?>("reason", "not_leader"));
        counter.Add(4, new KeyValuePair<string, object?>("reason", "not_leader"));
        foreach (var value in new[] { 0.5, 1, 3, 7, 100 })
        {
            histogram.Record(value);
        }
        strangers.Add(99);

        var text = exporter.Render();
        output.WriteLine(text);
        Assert.Equal(
            """
            # HELP multiraft_proposals_rejected_total Rejected\nproposals \\ by reason
            # TYPE multiraft_proposals_rejected_total counter
            multiraft_proposals_rejected_total{store="7",reason="a\"b\\c\nd"} 2
            multiraft_proposals_rejected_total{store="7",reason="not_leader"} 5
            # HELP multiraft_log_fsync_duration_milliseconds fsync time
            # TYPE multiraft_log_fsync_duration_milliseconds histogram
            multiraft_log_fsync_duration_milliseconds_bucket{store="7",le="1"} 2
            multiraft_log_fsync_duration_milliseconds_bucket{store="7",le="5"} 3
            multiraft_log_fsync_duration_milliseconds_bucket{store="7",le="10"} 4
            multiraft_log_fsync_duration_milliseconds_bucket{store="7",le="+Inf"} 5
            multiraft_log_fsync_duration_milliseconds_sum{store="7"} 111.5
            multiraft_log_fsync_duration_milliseconds_count{store="7"} 5
            # TYPE multiraft_regions gauge
            multiraft_regions{store="7"} 3

            """.ReplaceLineEndings("\n"),
            text);
        Assert.DoesNotContain("99", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Store_metrics_name_reasons_in_snake_case_and_render_zero_before_any_measurement()
    {
        using var metrics = new StoreMetrics(42);
        using var exporter = new PrometheusExporter(metrics.Meter);
        Assert.Equal("epoch_not_match", StoreMetrics.ReasonName(Protocol.Kv.RegionErrorKind.EpochNotMatch));
        Assert.Equal("not_leader", StoreMetrics.ReasonName(Protocol.Kv.RegionErrorKind.NotLeader));
        Assert.Equal("other", StoreMetrics.ReasonName((Protocol.Kv.RegionErrorKind)200));

        var samples = Samples(exporter.Render());
        Assert.Equal(0, samples["multiraft_proposals_total{store=\"42\"}"]);
        Assert.Equal(0, samples["multiraft_apply_batch_entries_bucket{store=\"42\",le=\"+Inf\"}"]);

        metrics.Proposed();
        metrics.ProposalFailed(Protocol.Kv.RegionErrorKind.ServerIsBusy);
        metrics.Applied(3);
        metrics.LogSynced(TimeSpan.FromMilliseconds(0.3));
        samples = Samples(exporter.Render());
        Assert.Equal(1, samples["multiraft_proposals_total{store=\"42\"}"]);
        Assert.Equal(1, samples["multiraft_proposals_rejected_total{store=\"42\",reason=\"server_is_busy\"}"]);
        Assert.Equal(3, samples["multiraft_apply_entries_total{store=\"42\"}"]);
        Assert.Equal(0, samples["multiraft_apply_batch_entries_bucket{store=\"42\",le=\"2\"}"]);
        Assert.Equal(1, samples["multiraft_apply_batch_entries_bucket{store=\"42\",le=\"4\"}"]);
        Assert.Equal(0, samples["multiraft_log_fsync_duration_milliseconds_bucket{store=\"42\",le=\"0.25\"}"]);
        Assert.Equal(1, samples["multiraft_log_fsync_duration_milliseconds_bucket{store=\"42\",le=\"0.5\"}"]);
    }

    [Fact]
    public void Metric_names_are_prefixed_snake_case_with_units()
    {
        Assert.Equal("multiraft_apply_batch_entries", PrometheusText.MetricName("apply.batchEntries", "{entry}", counter: false));
        Assert.Equal("multiraft_log_fsync_duration_milliseconds", PrometheusText.MetricName("log.fsync.duration", "ms", counter: false));
        Assert.Equal("multiraft_reads_total", PrometheusText.MetricName("reads", null, counter: true));
        Assert.Equal("multiraft_http_requests_total", PrometheusText.MetricName("HTTPRequests", "", counter: true));
        Assert.Equal("multiraft_sent_bytes_total", PrometheusText.MetricName("sent", "By", counter: true));
    }
}
