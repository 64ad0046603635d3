using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Txn;
using Mvcc = MultiRaft.Storage.Txn;

namespace MultiRaft.Store.Txn;

/// <summary>Maps between the wire contracts of the transactional service and the MVCC engine's types; the
/// enums share their numbering, which the casts rely on (and the tests check).</summary>
internal static class TxnConversions
{
    public static Mvcc.TxnMutation ToMvcc(this TxnMutation mutation) =>
        new((Mvcc.MutationKind)mutation.Kind, mutation.Key, mutation.Value);

    public static LockInfo ToInfo(this Mvcc.TxnLock txnLock) =>
        new(txnLock.Key, txnLock.Primary, txnLock.StartTs, txnLock.TtlMs, (TxnMutationKind)txnLock.Kind);

    public static KeyError ToWire(this Mvcc.TxnKeyError error) =>
        new((KeyErrorKind)error.Kind, error.Key, error.Message, error.Lock?.ToInfo(), error.ConflictStartTs, error.ConflictCommitTs);

    public static KeyError[] ToWire(this List<Mvcc.TxnKeyError> errors)
    {
        var wire = new KeyError[errors.Count];
        for (var i = 0; i < wire.Length; i++)
        {
            wire[i] = errors[i].ToWire();
        }
        return wire;
    }

    public static CheckTxnStatusResponse ToWire(this Mvcc.TxnStatus status) =>
        new(null, (TxnStatusKind)status.Kind, status.CommitTs, status.Lock?.ToInfo());

    public static TxnReadResponse ToWire(this Mvcc.TxnReadResult result)
    {
        var pairs = new KvEntry[result.Pairs.Count];
        for (var i = 0; i < pairs.Length; i++)
        {
            pairs[i] = new KvEntry(result.Pairs[i].Key, result.Pairs[i].Value);
        }
        var locks = new LockInfo[result.Locks.Count];
        for (var i = 0; i < locks.Length; i++)
        {
            locks[i] = result.Locks[i].ToInfo();
        }
        return new TxnReadResponse(null, pairs, locks, result.Error?.ToWire());
    }
}
