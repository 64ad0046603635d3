using MultiRaft.Protocol.Kv;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client;

internal sealed partial class RequestCoalescer<TItem, TResult>
{
    /// <summary>A caller's item and the task it waits on. A caller whose token fires stops waiting at once; its
    /// item stays in the batch (it may already be on its way).</summary>
    private sealed class Waiter(RpcClient store, RegionContext context, TItem item)
        // Continuations run where the task completes: see Completion.
        : TaskCompletionSource<(RegionError? Error, TResult Result)>(TaskCreationOptions.None)
    {
        // Registered on the caller's token directly rather than through Task.WaitAsync: one registration, where
        // WaitAsync adds a second task and a completion callback per call.
        private CancellationTokenRegistration _cancellation;

        public RpcClient Store { get; } = store;

        public RegionContext Context { get; } = context;

        public TItem Item { get; } = item;

        public void StopWaitingOn(CancellationToken cancellation)
        {
            if (cancellation.CanBeCanceled)
            {
                // Cancelled on the pool, not on the thread that fired the token (a timer's, or any caller's of
                // Cancel), which would otherwise run the caller's continuation.
                _cancellation = cancellation.UnsafeRegister(static (waiter, token) => ThreadPool.UnsafeQueueUserWorkItem(
                    static cancelled => cancelled.Waiter.TrySetCanceled(cancelled.Token), (Waiter: (Waiter)waiter!, Token: token), preferLocal: false), this);
            }
        }

        public void Complete((RegionError? Error, TResult Result) answer)
        {
            _cancellation.Unregister();
            TrySetResult(answer);
        }

        public void Fail(Exception e)
        {
            _cancellation.Unregister();
            TrySetException(e);
        }
    }

    /// <summary>
    /// Hands a batch's answers to its callers on the thread that received them: each caller's continuation runs
    /// here, one after another, rather than as a thread-pool work item of its own (under <c>bench --workload
    /// read</c> that hop per call cost about a sixth of all CPU). A continuation may block, even on another call
    /// of this same batch (sync over async), so before running one with others still waiting, a thread makes
    /// sure a helper is queued that carries on with the rest; a blocked continuation then holds up nobody but
    /// its own caller. Usually the batch is done before the helper runs and it finds nothing left: one work
    /// item per batch instead of one per call.
    /// </summary>
    /// <param name="answers">One per waiter, unless <paramref name="failure"/> fails them all.</param>
    private sealed class Completion(List<Waiter> waiters, (RegionError? Error, TResult Result)[]? answers, Exception? failure)
        : IThreadPoolWorkItem
    {
        private int _lastTaken = -1;
        private int _helperQueued;

        /// <summary>Completes waiters until none is left.</summary>
        public void Run()
        {
            int i;
            while ((i = Interlocked.Increment(ref _lastTaken)) < waiters.Count)
            {
                // Set means a helper is queued and has not started: it will take what comes after this one.
                if (i < waiters.Count - 1 && Interlocked.CompareExchange(ref _helperQueued, 1, 0) == 0)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                }
                if (failure is null)
                {
                    waiters[i].Complete(answers![i]);
                }
                else
                {
                    waiters[i].Fail(failure);
                }
            }
        }

        /// <summary>The helper: it has started, so the next one needed must be queued anew.</summary>
        void IThreadPoolWorkItem.Execute()
        {
            Volatile.Write(ref _helperQueued, 0);
            Run();
        }
    }
}
