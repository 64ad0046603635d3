using MultiRaft.Raft;

namespace MultiRaft.Storage.RaftLog;

public sealed partial class RaftLogEngine
{
    /// <summary>
    /// Frees the log prefix written before this call. Every region whose live state (base point, hard state,
    /// entries) still sits there is rewritten at the tail if its live entries are at most
    /// <paramref name="maxRewriteBytes"/>; larger ones are returned in <see cref="PurgeResult.MustCompact"/>
    /// and hold the begin address back until they compact. So an idle region never pins the disk, and a
    /// lagging one costs at most one bounded rewrite. Ends with a sync; space comes back per segment file,
    /// which FasterLog deletes in the background shortly after. Until a whole segment lies between the begin
    /// address and the current segment there is nothing to free, so it returns at once: a rewrite holds the
    /// lock every append waits for, and busy regions would be copied for nothing.
    /// </summary>
    public PurgeResult Purge(long maxRewriteBytes)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var target = _log.TailAddress;
            var rewritten = new List<ulong>();
            var mustCompact = new List<ulong>();
            if (target >> _options.SegmentSizeBits << _options.SegmentSizeBits <= _log.BeginAddress)
            {
                return new PurgeResult(_log.BeginAddress, rewritten, mustCompact);
            }
            var newBegin = target;
            foreach (var log in _regions.Values.ToList())
            {
                var oldest = log.OldestLiveAddress;
                if (oldest >= target)
                {
                    continue;
                }
                if (log.LiveBytes > maxRewriteBytes)
                {
                    mustCompact.Add(log.Id);
                    newBegin = Math.Min(newBegin, oldest);
                    continue;
                }
                Rewrite(log);
                rewritten.Add(log.Id);
            }
            // The rewritten records must be durable before the old ones go.
            CommitAndWait();
            if (newBegin > _log.BeginAddress)
            {
                _log.TruncateUntil(newBegin);
                // A strong commit: an ordinary one with no new records may be skipped, and the truncation
                // (which is what deletes the old segment files) would wait for the next write.
                _log.CommitStrongly(out _, out _, spinWait: true);
            }
            return new PurgeResult(_log.BeginAddress, rewritten, mustCompact);
        }
    }

    /// <summary>Writes the region's whole live state again at the tail, starting with a Base record that
    /// resets it, so that replay from the new begin address rebuilds exactly this state.</summary>
    private void Rewrite(RegionLog log)
    {
        var entries = new List<Entry>();
        if (log.EntryCount > 0)
        {
            ReadEntries(log, log.FirstIndex, log.LastIndex + 1, long.MaxValue, entries);
        }
        var hadHardState = log.HardStateAddress >= 0;
        WriteBase(log, log.Offset, log.OffsetTerm, log.Snapshot);
        _groups.Begin(cache: false);
        _groups.AddEntries(log, entries.ToArray());
        if (hadHardState)
        {
            _groups.AddHardState(log, log.HardState);
        }
        _groups.Flush();
    }

    private void CommitAndWait()
    {
        var until = _log.TailAddress;
        _log.Commit(spinWait: false);
        WaitUntilDurable(until);
    }
}
