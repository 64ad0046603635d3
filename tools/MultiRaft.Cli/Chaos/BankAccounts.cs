using System.Globalization;
using System.Text;
using MultiRaft.Client.Txn;

namespace MultiRaft.Cli.Chaos;

/// <summary>The bank workload's accounts: their keys (numbered with zero padding, so key order is account
/// order), the opening balance, and balances stored as decimal text.</summary>
internal sealed class BankAccounts
{
    public const long OpeningBalance = 100;
    private const string Prefix = "bank/";
    private static readonly byte[] RangeStart = Encoding.UTF8.GetBytes(Prefix);
    private static readonly byte[] RangeEnd = "bank0"u8.ToArray(); // '0' follows '/': just past every account.

    public BankAccounts(int count)
    {
        var digits = Math.Max(2, (count - 1).ToString(CultureInfo.InvariantCulture).Length);
        Names = [.. Enumerable.Range(0, count).Select(i => Prefix + i.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0'))];
    }

    public IReadOnlyList<string> Names { get; }

    public Dictionary<string, long> Opening() => Names.ToDictionary(n => n, _ => OpeningBalance, StringComparer.Ordinal);

    /// <summary>Account keys that cut the accounts into <paramref name="regions"/> regions of about equal size.</summary>
    public IReadOnlyList<string> SplitPoints(int regions)
    {
        var step = Math.Max(1, (Names.Count + regions - 1) / regions);
        return [.. Names.Where((_, i) => i % step == 0)];
    }

    public static byte[] Key(string name) => Encoding.UTF8.GetBytes(name);

    public static byte[] Encode(long balance) => Encoding.UTF8.GetBytes(balance.ToString(CultureInfo.InvariantCulture));

    public static long Decode(byte[] value) => long.Parse(Encoding.UTF8.GetString(value), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    /// <summary>Every account <paramref name="txn"/> sees, by one scan of the account range (which also shows
    /// any key there that is no account) or by a batch get of the account keys.</summary>
    public async Task<Dictionary<string, long>> ReadAllAsync(Transaction txn, bool scan, CancellationToken cancellation = default)
    {
        var pairs = scan
            ? await txn.ScanAsync(RangeStart, RangeEnd, Names.Count + 100, cancellation).ConfigureAwait(false)
            : await txn.BatchGetAsync([.. Names.Select(Key)], cancellation).ConfigureAwait(false);
        return pairs.ToDictionary(p => Encoding.UTF8.GetString(p.Key), p => Decode(p.Value), StringComparer.Ordinal);
    }
}
