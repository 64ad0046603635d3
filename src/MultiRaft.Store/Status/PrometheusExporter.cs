using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace MultiRaft.Store.Status;

/// <summary>
/// Listens to the instruments of one <see cref="Meter"/> (and no other, so the stores of one process stay
/// apart) and renders them in the Prometheus text format: counters as sums, up-down counters as sums,
/// gauges and observable instruments as their last value (observed on each scrape), histograms with fixed
/// buckets (the instrument's advice, else defaults) as cumulative <c>_bucket</c>, <c>_sum</c> and
/// <c>_count</c>. Thread-safe: measurements may arrive from any thread while a scrape renders.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly Meter _meter;
    private readonly MeterListener _listener;
    private readonly List<Family> _families = [];
    private readonly Lock _scrape = new();

    public PrometheusExporter(Meter meter)
    {
        _meter = meter;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, _meter))
                {
                    listener.EnableMeasurementEvents(instrument, Add(instrument));
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((Family)state!).Record((double)value, tags));
        _listener.Start();
    }

    private Family Add(Instrument instrument)
    {
        var family = new Family(instrument, MeterLabels(instrument.Meter));
        lock (_families)
        {
            _families.Add(family);
        }
        return family;
    }

    private static KeyValuePair<string, string>[] MeterLabels(Meter meter)
    {
        var labels = new List<KeyValuePair<string, string>>();
        foreach (var tag in meter.Tags ?? [])
        {
            labels.Add(new(PrometheusText.LabelName(tag.Key), PrometheusText.LabelString(tag.Value)));
        }
        return [.. labels];
    }

    /// <summary>Observes the observable instruments, then renders every family.</summary>
    public string Render()
    {
        Family[] families;
        lock (_families)
        {
            families = [.. _families];
        }
        var text = new StringBuilder(4096);
        // One scrape at a time observes and renders, so observable values are not interleaved.
        lock (_scrape)
        {
            _listener.RecordObservableInstruments();
            foreach (var family in families)
            {
                family.Render(text);
            }
        }
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private enum Kind
    {
        Sum,
        LastValue,
        Histogram,
    }

    /// <summary>A series' labels as the lookup key: the single tag of almost every measurement costs no
    /// allocation; several tags are joined into one string.</summary>
    private readonly record struct SeriesKey(string? Name, object? Value);

    /// <summary>One instrument: its Prometheus name, type and help, and one series per tag set.</summary>
    private sealed class Family
    {
        private readonly ConcurrentDictionary<SeriesKey, Series> _series = new();
        private readonly KeyValuePair<string, string>[] _meterLabels;
        private readonly Kind _kind;
        private readonly double[] _buckets = [];
        private readonly string _name;
        private readonly string _type;
        private readonly string? _help;

        public Family(Instrument instrument, KeyValuePair<string, string>[] meterLabels)
        {
            _meterLabels = meterLabels;
            var definition = instrument.GetType().GetGenericTypeDefinition();
            _kind = definition == typeof(Histogram<>) ? Kind.Histogram
                : definition == typeof(Counter<>) || definition == typeof(UpDownCounter<>) ? Kind.Sum
                : Kind.LastValue;
            var monotonic = definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>);
            _type = _kind == Kind.Histogram ? "histogram" : monotonic ? "counter" : "gauge";
            _name = PrometheusText.MetricName(instrument.Name, instrument.Unit, monotonic);
            _help = instrument.Description;
            if (_kind == Kind.Histogram)
            {
                _buckets = BucketsOf(instrument);
            }
            if (!instrument.IsObservable && (instrument.Tags is null || !instrument.Tags.Any()))
            {
                // An instrument without tags shows 0 before its first measurement.
                _series[default] = NewSeries([]);
            }
        }

        private static double[] BucketsOf(Instrument instrument)
        {
            IEnumerable<double>? advised = instrument switch
            {
                Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
                Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
                Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
                Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
                _ => null,
            };
            var buckets = advised?.Where(b => !double.IsNaN(b) && !double.IsInfinity(b)).Distinct().Order().ToArray();
            return buckets is { Length: > 0 } ? buckets : DefaultBuckets;
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = tags.Length switch
            {
                0 => default,
                1 => new SeriesKey(tags[0].Key, tags[0].Value),
                _ => new SeriesKey(null, JoinTags(tags)),
            };
            if (!_series.TryGetValue(key, out var series))
            {
                series = _series.GetOrAdd(key, NewSeries(Labels(tags)));
            }
            switch (_kind)
            {
                case Kind.Sum:
                    series.Add(value);
                    break;
                case Kind.LastValue:
                    series.Set(value);
                    break;
                default:
                    series.Observe(value, BucketOf(value));
                    break;
            }
        }

        private Series NewSeries(KeyValuePair<string, string>[] labels) =>
            new(_kind == Kind.Histogram ? new long[_buckets.Length + 1] : null, [.. _meterLabels, .. labels]);

        private static string JoinTags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var joined = new StringBuilder();
            foreach (var tag in Labels(tags))
            {
                joined.Append(tag.Key).Append('\0').Append(tag.Value).Append('\0');
            }
            return joined.ToString();
        }

        private static KeyValuePair<string, string>[] Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = new KeyValuePair<string, string>[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                labels[i] = new(PrometheusText.LabelName(tags[i].Key), PrometheusText.LabelString(tags[i].Value));
            }
            Array.Sort(labels, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return labels;
        }

        public void Render(StringBuilder text)
        {
            if (!string.IsNullOrEmpty(_help))
            {
                text.Append("# HELP ").Append(_name).Append(' ').Append(PrometheusText.EscapeHelp(_help)).Append('\n');
            }
            text.Append("# TYPE ").Append(_name).Append(' ').Append(_type).Append('\n');
            var all = new List<Series>(_series.Count);
            foreach (var (key, series) in _series)
            {
                // The zero placeholder of an instrument without tags gives way once tagged series exist.
                if (key != default || _series.Count == 1 || !series.IsEmpty)
                {
                    all.Add(series);
                }
            }
            all.Sort(static (a, b) => string.CompareOrdinal(a.LabelText, b.LabelText));
            foreach (var series in all)
            {
                if (_kind == Kind.Histogram)
                {
                    RenderHistogram(text, series);
                }
                else
                {
                    Sample(text, _name, series.Labels, null, series.Value);
                }
            }
        }

        private void RenderHistogram(StringBuilder text, Series series)
        {
            var (counts, sum, count) = series.Snapshot();
            long cumulative = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                cumulative += counts[i];
                var le = i < _buckets.Length ? PrometheusText.Number(_buckets[i]) : "+Inf";
                Sample(text, _name + "_bucket", series.Labels, le, cumulative);
            }
            Sample(text, _name + "_sum", series.Labels, null, sum);
            Sample(text, _name + "_count", series.Labels, null, count);
        }

        private static void Sample(StringBuilder text, string name, KeyValuePair<string, string>[] labels, string? le, double value)
        {
            text.Append(name);
            if (labels.Length > 0 || le is not null)
            {
                text.Append('{');
                var first = true;
                foreach (var (labelName, labelValue) in labels)
                {
                    text.Append(first ? "" : ",").Append(labelName).Append("=\"");
                    PrometheusText.AppendLabelValue(text, labelValue);
                    text.Append('"');
                    first = false;
                }
                if (le is not null)
                {
                    text.Append(first ? "" : ",").Append("le=\"").Append(le).Append('"');
                }
                text.Append('}');
            }
            text.Append(' ').Append(PrometheusText.Number(value)).Append('\n');
        }

        /// <summary>Where a histogram value falls: the first bucket whose bound is at least the value
        /// (Prometheus buckets are "less than or equal"), or the last, +Inf.</summary>
        private int BucketOf(double value)
        {
            var i = Array.BinarySearch(_buckets, value);
            return i >= 0 ? i : ~i;
        }

        private sealed class Series(long[]? buckets, KeyValuePair<string, string>[] labels)
        {
            private readonly Lock _lock = new();
            private double _value;
            private double _sum;
            private long _count;

            public KeyValuePair<string, string>[] Labels { get; } = labels;

            public string LabelText { get; } = string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"));

            public double Value => Volatile.Read(ref _value);

            public bool IsEmpty => Value == 0 && Volatile.Read(ref _count) == 0;

            public void Add(double value)
            {
                double seen, current = Volatile.Read(ref _value);
                do
                {
                    seen = current;
                    current = Interlocked.CompareExchange(ref _value, seen + value, seen);
                }
                while (!current.Equals(seen));
            }

            public void Set(double value) => Volatile.Write(ref _value, value);

            public void Observe(double value, int bucket)
            {
                lock (_lock)
                {
                    buckets![bucket]++;
                    _sum += value;
                    _count++;
                }
            }

            public (long[] Counts, double Sum, long Count) Snapshot()
            {
                lock (_lock)
                {
                    return ([.. buckets!], _sum, _count);
                }
            }
        }
    }
}
